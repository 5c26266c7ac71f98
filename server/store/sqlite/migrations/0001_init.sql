-- Accounts. username_lower is NULL for users created through the admin API.
CREATE TABLE users (
    user_id          TEXT PRIMARY KEY,
    username         TEXT,
    username_lower   TEXT UNIQUE,
    password_hash    BLOB,
    nickname         TEXT NOT NULL DEFAULT '',
    face_url         TEXT NOT NULL DEFAULT '',
    create_time      INTEGER NOT NULL,
    token_generation INTEGER NOT NULL DEFAULT 0,
    -- change_version is the user's sync cursor counter: bumped on every
    -- change to one of the user's conversations.
    change_version   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE revoked_tokens (
    token_id   TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Social graph. Friendships are stored in both directions so each side can
-- later carry its own remark, tags or mute setting.
CREATE TABLE friend_requests (
    from_user_id TEXT NOT NULL,
    to_user_id   TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL,
    create_time  INTEGER NOT NULL,
    handle_time  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (from_user_id, to_user_id)
);
CREATE INDEX friend_requests_to ON friend_requests (to_user_id, state);

CREATE TABLE friends (
    user_id        TEXT NOT NULL,
    friend_user_id TEXT NOT NULL,
    remark         TEXT NOT NULL DEFAULT '',
    create_time    INTEGER NOT NULL,
    PRIMARY KEY (user_id, friend_user_id)
);

-- Not used yet: the full social graph (issue 3) blocks users here.
CREATE TABLE blacklist (
    owner_user_id TEXT NOT NULL,
    block_user_id TEXT NOT NULL,
    create_time   INTEGER NOT NULL,
    PRIMARY KEY (owner_user_id, block_user_id)
);

CREATE TABLE groups (
    group_id      TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    face_url      TEXT NOT NULL DEFAULT '',
    owner_user_id TEXT NOT NULL,
    create_time   INTEGER NOT NULL,
    -- status 0 = active; dismissed/muted groups come later.
    status        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE group_members (
    group_id  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    role      TEXT NOT NULL,
    join_time INTEGER NOT NULL,
    -- join_seq is the first seq the member may read.
    join_seq  INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- One row per conversation, holding its seq counter.
CREATE TABLE conversations (
    conversation_id TEXT PRIMARY KEY,
    session_type    TEXT NOT NULL,
    group_id        TEXT NOT NULL DEFAULT '',
    max_seq         INTEGER NOT NULL DEFAULT 0,
    update_time     INTEGER NOT NULL
);

CREATE TABLE messages (
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    server_msg_id   TEXT NOT NULL UNIQUE,
    client_msg_id   TEXT NOT NULL,
    send_id         TEXT NOT NULL,
    recv_id         TEXT NOT NULL DEFAULT '',
    group_id        TEXT NOT NULL DEFAULT '',
    session_type    TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    content         BLOB NOT NULL,
    send_time       INTEGER NOT NULL,
    create_time     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (send_id, client_msg_id)
) WITHOUT ROWID;

-- Each user's state of each of their conversations.
CREATE TABLE user_conversations (
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    session_type    TEXT NOT NULL,
    peer_user_id    TEXT NOT NULL DEFAULT '',
    group_id        TEXT NOT NULL DEFAULT '',
    min_seq         INTEGER NOT NULL DEFAULT 1,
    read_seq        INTEGER NOT NULL DEFAULT 0,
    is_pinned       INTEGER NOT NULL DEFAULT 0,
    draft_text      TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL DEFAULT 0,
    update_time     INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);
-- Sync reads a user's changes after a cursor through this index.
CREATE INDEX user_conversations_version ON user_conversations (user_id, version);
