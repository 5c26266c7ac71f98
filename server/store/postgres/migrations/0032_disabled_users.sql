-- A disabled user cannot sign in or use a token until enabled again.
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
