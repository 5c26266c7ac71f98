-- A conversation the user hid or deleted is off their list while its
-- max seq is below hidden_until_seq: until its next message.
ALTER TABLE user_conversations ADD COLUMN hidden_until_seq BIGINT NOT NULL DEFAULT 0;
