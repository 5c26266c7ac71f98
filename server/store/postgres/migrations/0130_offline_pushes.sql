-- The messages waiting for an offlinePush (store.OfflinePushes): push_id
-- is '' until the recipient's batch is leased, then the batch's ID.
CREATE TABLE offline_push_messages (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id TEXT NOT NULL,
    push_id TEXT NOT NULL DEFAULT '',
    body    BYTEA NOT NULL
);
CREATE INDEX offline_push_messages_user ON offline_push_messages (user_id, push_id, id);
-- One row per recipient with messages waiting: when their push is due,
-- and the ID of the batch once leased.
CREATE TABLE offline_push_batches (
    user_id TEXT PRIMARY KEY,
    due     BIGINT NOT NULL,
    push_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX offline_push_batches_due ON offline_push_batches (due, user_id);
