-- A group's member_version counts the changes to its members (joined,
-- left, role, mute, nickname), and group_member_changes logs which member
-- each version was about, so that a device asks for the members changed
-- since its version instead of the whole list. A group starts at 1 with
-- an empty log: a device with no version (0) is told tooOld and reads the
-- list whole. The oldest rows are pruned (store.GroupMemberChangeLog).
ALTER TABLE groups ADD COLUMN member_version BIGINT NOT NULL DEFAULT 1;
CREATE TABLE group_member_changes (
    group_id TEXT NOT NULL,
    version  BIGINT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, version)
);
