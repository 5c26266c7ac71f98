package protocol

// The HTTP API of uploads, downloads and link previews (contract §4.1,
// §8, §10; docs/protocol.md section 9). Each request needs a user's
// token (Authorization: Bearer), except a download through a signed URL.

// Paths of the file routes.
const (
	// UploadsPath starts an upload (POST); UploadsPath+"/{uploadID}" is
	// its state (GET), +"/{uploadID}/{index}" one chunk (PUT),
	// +"/{uploadID}/complete" its end (POST).
	UploadsPath = "/api/v1/uploads"
	// FilesPath+"/{fileID}" downloads a file (GET, signed URL);
	// FilesPath+"/sign" signs the download URLs of messages (POST).
	FilesPath = "/api/v1/files"
	// PreviewsPath+"?url=…" previews a web page (GET).
	PreviewsPath = "/api/v1/previews"
)

// Chunk sizes an upload may be given (contract §10).
const (
	MinChunkSize = 256 << 10
	MaxChunkSize = 8 << 20
)

// UploadStartReq is POST /api/v1/uploads.
type UploadStartReq struct {
	FileName string `json:"fileName"`
	// MIMEType is the type the client believes the file has; the server
	// stores the one it sniffs from the bytes.
	MIMEType string `json:"mimeType"`
	Size     int64  `json:"size"`
	// Public files (avatars, group faces: uploadFile) are served to
	// anyone holding their URL, with no signature; others only through
	// URLs signed for a viewer.
	Public bool `json:"public,omitempty"`
}

// UploadStartResp answers UploadStartReq (201). The file has
// ceil(size / chunkSize) chunks, indexes from 0; each but the last is
// chunkSize bytes.
type UploadStartResp struct {
	UploadID  string `json:"uploadID"`
	ChunkSize int64  `json:"chunkSize"`
}

// UploadStatus answers GET /api/v1/uploads/{uploadID}: the chunks the
// server holds, so that an upload resumes with the others. Once complete,
// Complete is true and File is what complete answered.
type UploadStatus struct {
	UploadID  string              `json:"uploadID"`
	Size      int64               `json:"size"`
	ChunkSize int64               `json:"chunkSize"`
	Received  []int               `json:"received"`
	Complete  bool                `json:"complete"`
	File      *UploadCompleteResp `json:"file,omitempty"`
}

// UploadCompleteResp answers POST /api/v1/uploads/{uploadID}/complete.
type UploadCompleteResp struct {
	// URL is the file's lasting, absolute address, what a message's
	// content carries ({base}/api/v1/files/{fileID}). For a public file it
	// serves the bytes to anyone; otherwise it needs a signature
	// (FileSignResp).
	URL      string `json:"url"`
	MIMEType string `json:"mimeType"`
	Size     int64  `json:"size"`
	FileID   string `json:"fileID"`
	// DownloadURL is URL signed for the uploader alone, valid until
	// ExpiresAt (Unix ms): to show the file before it is in a message.
	DownloadURL string `json:"downloadURL"`
	ExpiresAt   int64  `json:"expiresAt"`
}

// FileSignReq is POST /api/v1/files/sign: the messages whose files the
// caller wants to show (at most MaxSignMessages).
type FileSignReq struct {
	Messages []MessageRef `json:"messages"`
}

// MaxSignMessages bounds FileSignReq.Messages.
const MaxSignMessages = 100

// MessageRef names one stored message.
type MessageRef struct {
	ConversationID string `json:"conversationID"`
	Seq            int64  `json:"seq"`
}

// FileSignResp answers FileSignReq, one entry per message asked for, in
// order. URLs maps each file URL of the message's content
// (ContentURLs) that this server stores to its signed download URL, valid
// until ExpiresAt (Unix ms); a message the caller may not see is answered
// with Error instead, the others still signed.
type FileSignResp struct {
	Messages  []SignedMessage `json:"messages"`
	ExpiresAt int64           `json:"expiresAt"`
}

// SignedMessage is one entry of FileSignResp.
type SignedMessage struct {
	ConversationID string            `json:"conversationID"`
	Seq            int64             `json:"seq"`
	URLs           map[string]string `json:"urls"`
	Error          *Error            `json:"error,omitempty"`
}

// PreviewResp answers GET /api/v1/previews?url=…: what LinkContent
// carries. Empty fields are what the page did not say.
type PreviewResp struct {
	URL         string `json:"url"`
	Title       string `json:"title"`
	Description string `json:"description"`
	ImageURL    string `json:"imageURL"`
}
