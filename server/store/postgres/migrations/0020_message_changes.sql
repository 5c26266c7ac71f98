-- Changes to stored messages (revoke, edit): each takes the conversation's
-- next message_version and stamps it on the message's version, so that a
-- device that was away pulls what changed above its last one through
-- messages_changed.
ALTER TABLE conversations ADD COLUMN message_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN edit_time BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_client ON messages (conversation_id, client_msg_id);
CREATE INDEX messages_changed ON messages (conversation_id, version) WHERE version > 0;
