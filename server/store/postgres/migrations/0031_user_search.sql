-- User search: username prefix on a text_pattern_ops index; nickname
-- substring on a trigram index. searchable = false keeps a user out of
-- search results. pg_trgm goes to public, not to this store's schema (a
-- schema may be one of several in the database, and dropping it must not
-- drop the extension under the others); the index names the operator
-- class in whichever schema holds the extension.
ALTER TABLE users ADD COLUMN searchable BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX users_username_prefix ON users (username_lower text_pattern_ops);
DO $$
DECLARE ext_schema text;
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX users_nickname_trgm ON users USING gin (lower(nickname) %I.gin_trgm_ops)', ext_schema);
END
$$;
