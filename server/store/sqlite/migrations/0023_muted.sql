-- A muted conversation's unread count is kept but left out of the user's
-- total (the SDK's getTotalUnreadCount).
ALTER TABLE user_conversations ADD COLUMN is_muted INTEGER NOT NULL DEFAULT 0;
