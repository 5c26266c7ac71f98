-- social_version counts changes to a user's friends, friend requests and
-- blacklist, so that a device reconnecting reads those lists again only
-- when they changed.
ALTER TABLE users ADD COLUMN social_version BIGINT NOT NULL DEFAULT 0;
