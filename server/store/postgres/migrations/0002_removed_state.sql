-- A member's state of a group conversation outlives their removal, so that
-- sync tells their devices (removed_seq: the conversation's max seq when
-- they left; NULL while a member). group_version is the change version of
-- the last membership change of the group as the user sees it.
ALTER TABLE user_conversations ADD COLUMN removed_seq BIGINT;
ALTER TABLE user_conversations ADD COLUMN group_version BIGINT NOT NULL DEFAULT 0;
