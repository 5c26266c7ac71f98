-- Pinned messages: a pin is a change to the message (it takes the
-- conversation's next message_version, as a revoke or an edit does).
ALTER TABLE messages ADD COLUMN is_pinned BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE messages ADD COLUMN pinned_by TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN pin_time BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_pinned ON messages (conversation_id, seq) WHERE is_pinned;
