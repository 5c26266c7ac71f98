-- The durable queue of webhook deliveries (store.Webhooks).
CREATE TABLE webhook_jobs (
    id           TEXT PRIMARY KEY,
    event        TEXT NOT NULL,
    body         BYTEA NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL,
    create_time  BIGINT NOT NULL,
    last_error   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_jobs_due ON webhook_jobs (next_attempt, id);
