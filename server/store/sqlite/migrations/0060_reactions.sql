-- Reactions: a message's reactions as their JSON ('' for none), changed
-- like a pin (the change takes the conversation's next message_version).
ALTER TABLE messages ADD COLUMN reactions TEXT NOT NULL DEFAULT '';
