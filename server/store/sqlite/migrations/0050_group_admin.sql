-- Group administration (contract §5): info, join policy, mute, member
-- nicknames and mutes, applications and bans. groups.status 1 = dismissed.
ALTER TABLE groups ADD COLUMN introduction TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN notification TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN join_policy TEXT NOT NULL DEFAULT 'approval';
ALTER TABLE groups ADD COLUMN is_muted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN nickname TEXT NOT NULL DEFAULT '';
ALTER TABLE group_members ADD COLUMN mute_end_time INTEGER NOT NULL DEFAULT 0;

CREATE TABLE group_applications (
    group_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    handle_time INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_applications_user ON group_applications (user_id, state);

CREATE TABLE group_bans (
    group_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
