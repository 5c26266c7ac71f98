-- The same schema as the SQLite store's 0001_init.sql, in PostgreSQL types.

-- Accounts. username_lower is NULL for users created through the admin API.
CREATE TABLE users (
    user_id          TEXT PRIMARY KEY,
    username         TEXT,
    username_lower   TEXT UNIQUE,
    password_hash    BYTEA,
    nickname         TEXT NOT NULL DEFAULT '',
    face_url         TEXT NOT NULL DEFAULT '',
    create_time      BIGINT NOT NULL,
    token_generation BIGINT NOT NULL DEFAULT 0,
    -- change_version is the user's sync cursor counter: bumped on every
    -- change to one of the user's conversations. Its row lock orders every
    -- change to the user's conversation states, across nodes.
    change_version   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE revoked_tokens (
    token_id   TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE friend_requests (
    from_user_id TEXT NOT NULL,
    to_user_id   TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL,
    create_time  BIGINT NOT NULL,
    handle_time  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (from_user_id, to_user_id)
);
CREATE INDEX friend_requests_to ON friend_requests (to_user_id, state);

CREATE TABLE friends (
    user_id        TEXT NOT NULL,
    friend_user_id TEXT NOT NULL,
    remark         TEXT NOT NULL DEFAULT '',
    create_time    BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_user_id)
);

CREATE TABLE blacklist (
    owner_user_id TEXT NOT NULL,
    block_user_id TEXT NOT NULL,
    create_time   BIGINT NOT NULL,
    PRIMARY KEY (owner_user_id, block_user_id)
);

CREATE TABLE groups (
    group_id      TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    face_url      TEXT NOT NULL DEFAULT '',
    owner_user_id TEXT NOT NULL,
    create_time   BIGINT NOT NULL,
    status        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE group_members (
    group_id  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    role      TEXT NOT NULL,
    join_time BIGINT NOT NULL,
    join_seq  BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- One row per conversation, holding its seq counter. Its row lock makes
-- seq assignment atomic across nodes: UPDATE … RETURNING max_seq.
CREATE TABLE conversations (
    conversation_id TEXT PRIMARY KEY,
    session_type    TEXT NOT NULL,
    group_id        TEXT NOT NULL DEFAULT '',
    max_seq         BIGINT NOT NULL DEFAULT 0,
    update_time     BIGINT NOT NULL
);

CREATE TABLE messages (
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    server_msg_id   TEXT NOT NULL UNIQUE,
    client_msg_id   TEXT NOT NULL,
    send_id         TEXT NOT NULL,
    recv_id         TEXT NOT NULL DEFAULT '',
    group_id        TEXT NOT NULL DEFAULT '',
    session_type    TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    content         BYTEA NOT NULL,
    send_time       BIGINT NOT NULL,
    create_time     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, seq),
    -- The idempotency key.
    UNIQUE (send_id, client_msg_id)
);

CREATE TABLE user_conversations (
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    session_type    TEXT NOT NULL,
    peer_user_id    TEXT NOT NULL DEFAULT '',
    group_id        TEXT NOT NULL DEFAULT '',
    min_seq         BIGINT NOT NULL DEFAULT 1,
    read_seq        BIGINT NOT NULL DEFAULT 0,
    is_pinned       BOOLEAN NOT NULL DEFAULT FALSE,
    draft_text      TEXT NOT NULL DEFAULT '',
    version         BIGINT NOT NULL DEFAULT 0,
    update_time     BIGINT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);
-- Sync reads a user's changes after a cursor through this index.
CREATE INDEX user_conversations_version ON user_conversations (user_id, version);
