-- Profiles carry the app's own data (ex) and a version: a server-wide
-- counter, bumped by every profile change under one row lock, so that a
-- device catches up on the profiles it knows by asking for those above the
-- version it last saw.
ALTER TABLE users ADD COLUMN ex TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN profile_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX users_profile_version ON users (profile_version);
CREATE TABLE profile_counter (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO profile_counter (id, version) VALUES (1, 0);
