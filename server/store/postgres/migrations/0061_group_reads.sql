-- Group read receipts are counted from each member's read position (one
-- row per member: read_seq and read_time, when it last moved), never one
-- row per message and reader. receipt_version is the user's change version
-- when a read last changed the read counts of their own messages.
ALTER TABLE user_conversations ADD COLUMN read_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE user_conversations ADD COLUMN receipt_version BIGINT NOT NULL DEFAULT 0;
