-- User search: username prefix on username_lower's unique index; nickname
-- substring on a trigram full-text index kept in step with users by
-- triggers. searchable = 0 keeps a user out of search results. The index
-- follows users by rowid, which only a VACUUM renumbers: after one, run
-- INSERT INTO users_nick (users_nick) VALUES ('rebuild').
ALTER TABLE users ADD COLUMN searchable INTEGER NOT NULL DEFAULT 1;
CREATE VIRTUAL TABLE users_nick USING fts5(nickname, content='users', content_rowid='rowid', tokenize='trigram');
INSERT INTO users_nick (rowid, nickname) SELECT rowid, nickname FROM users;
CREATE TRIGGER users_nick_ai AFTER INSERT ON users BEGIN
    INSERT INTO users_nick (rowid, nickname) VALUES (new.rowid, new.nickname);
END;
CREATE TRIGGER users_nick_ad AFTER DELETE ON users BEGIN
    INSERT INTO users_nick (users_nick, rowid, nickname) VALUES ('delete', old.rowid, old.nickname);
END;
CREATE TRIGGER users_nick_au AFTER UPDATE OF nickname ON users BEGIN
    INSERT INTO users_nick (users_nick, rowid, nickname) VALUES ('delete', old.rowid, old.nickname);
    INSERT INTO users_nick (rowid, nickname) VALUES (new.rowid, new.nickname);
END;
