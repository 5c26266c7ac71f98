-- Messages a user deleted for themselves: kept for the others, masked in
-- what the server gives this user, and read back by version by the
-- user's other devices. delete_version is the user's change version of
-- their latest deletion in the conversation.
CREATE TABLE user_deleted_messages (
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    client_msg_id   TEXT NOT NULL,
    version         INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id, seq)
);
CREATE INDEX user_deleted_messages_version ON user_deleted_messages (user_id, conversation_id, version);
CREATE INDEX user_deleted_messages_seq ON user_deleted_messages (conversation_id, seq);
ALTER TABLE user_conversations ADD COLUMN delete_version INTEGER NOT NULL DEFAULT 0;
