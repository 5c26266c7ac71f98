-- social_changes logs, per user, which other user each social version
-- was about (a friendship, a request between them, a block), so that a
-- device that was away asks for the changes since its version instead of
-- the whole lists. The oldest rows are pruned: a version older than the
-- log reaches reads the lists whole.
CREATE TABLE social_changes (
    user_id       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    other_user_id TEXT NOT NULL,
    PRIMARY KEY (user_id, version)
);
