package store

import "context"

// Upload is a file being uploaded in chunks, or uploaded. The file is
// known by its upload's ID once complete: the blob store keeps its bytes
// under that ID (server/files), this row who owns it and what it is.
type Upload struct {
	UploadID string
	// UserID is the uploader: the only one who may add chunks, complete
	// it or read it before it is attached to a message.
	UserID   string
	FileName string
	// MIMEType is the type claimed at the start until CompleteUpload
	// stores the one sniffed from the bytes.
	MIMEType  string
	Size      int64
	ChunkSize int64
	// CreateTime and CompleteTime are Unix ms; CompleteTime is 0 while
	// the upload is in progress.
	CreateTime   int64
	CompleteTime int64
}

// Uploads stores resumable uploads, so that an upload survives a restart
// of the server and any node can take its next chunk.
type Uploads interface {
	// CreateUpload stores u, in progress. ErrExists if its ID is taken.
	CreateUpload(ctx context.Context, u *Upload) error
	// Upload returns one upload, or ErrNotFound.
	Upload(ctx context.Context, uploadID string) (*Upload, error)
	// AddUploadChunk records that chunk index is stored; recording it
	// again is not an error. ErrNotFound if the upload does not exist.
	AddUploadChunk(ctx context.Context, uploadID string, index int) error
	// UploadChunks returns the indexes of the recorded chunks, ascending.
	UploadChunks(ctx context.Context, uploadID string) ([]int, error)
	// CompleteUpload marks an upload complete with its sniffed type, at
	// now (Unix ms), and forgets its chunks. ErrNotFound if it does not
	// exist; completing one already complete changes nothing.
	CompleteUpload(ctx context.Context, uploadID, mimeType string, now int64) error
	// UserUploadBytes is the total Size of the user's uploads, complete
	// or not: what counts against their quota.
	UserUploadBytes(ctx context.Context, userID string) (int64, error)
	// StaleUploads returns up to limit uploads still in progress that
	// were created before createdBefore (Unix ms), oldest first.
	StaleUploads(ctx context.Context, createdBefore int64, limit int) ([]*Upload, error)
	// DeleteUpload forgets an upload and its chunks; a missing one is not
	// an error.
	DeleteUpload(ctx context.Context, uploadID string) error
}
