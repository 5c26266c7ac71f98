-- User search: username prefix on a text_pattern_ops index; nickname
-- substring on a trigram index. searchable = false keeps a user out of
-- search results.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE users ADD COLUMN searchable BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX users_username_prefix ON users (username_lower text_pattern_ops);
CREATE INDEX users_nickname_trgm ON users USING gin (lower(nickname) gin_trgm_ops);
