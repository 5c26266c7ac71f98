-- Resumable uploads (issue 12). A complete upload is the record of its
-- file: the blob store keeps the bytes under upload_id.
CREATE TABLE uploads (
	upload_id     TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL,
	file_name     TEXT NOT NULL,
	mime_type     TEXT NOT NULL,
	size          BIGINT NOT NULL,
	chunk_size    BIGINT NOT NULL,
	create_time   BIGINT NOT NULL,
	complete_time BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX uploads_by_user ON uploads (user_id);
CREATE INDEX uploads_in_progress ON uploads (create_time) WHERE complete_time = 0;
CREATE TABLE upload_chunks (
	upload_id TEXT NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
	idx       INTEGER NOT NULL,
	PRIMARY KEY (upload_id, idx)
);
