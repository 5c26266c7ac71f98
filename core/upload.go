package core

// Files: the bytes an app gives, the HTTP transport the upload routes go
// over, and the client of those routes (contract §4.1, §10). The sender's
// side of an upload, the worker that moves a message's file to the
// server, is in uploads.go; its decisions are in step_upload.go.

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"parley/protocol"
)

// Bytes is a run of bytes held by the platform: natively a ByteSlice, in
// the browser a JS Blob, so that a file's bytes go from the app's File to
// IndexedDB and to the server without being copied into Go.
type Bytes interface {
	// Len is the number of bytes.
	Len() int64
	// Slice returns the bytes [start, end) of the run, 0 <= start <= end <= Len().
	Slice(start, end int64) Bytes
	// ReadBytes copies the bytes into memory: for tests, and a transport
	// that cannot send them as they are (in the browser they stay out of
	// Go otherwise).
	ReadBytes(ctx context.Context) ([]byte, error)
}

// ByteSlice is Bytes in memory.
type ByteSlice []byte

// Len implements Bytes.
func (b ByteSlice) Len() int64 { return int64(len(b)) }

// Slice implements Bytes.
func (b ByteSlice) Slice(start, end int64) Bytes { return b[start:end:end] }

// File is a file the app gives to a create method or UploadFile.
type File struct {
	// Name is the file's name ("" for a Blob without one).
	Name string
	// Type is the MIME type the app claims; the server decides the stored
	// one from the bytes.
	Type string
	Data Bytes
}

// Upload is one file of an unsent message and how far its upload got. It
// is stored with the message (Message.Uploads), so that a reload resumes
// it: the file's bytes are in the store's chunks of slot i (its index in
// Message.Uploads), the server's upload is UploadID.
type Upload struct {
	// Field says where the result goes in the content: "" is the content
	// itself (its url, mimeType and size are set), any other name is a
	// member object of it (an image's thumbnail, a video's snapshot)
	// whose url is set.
	Field    string `json:"field,omitempty"`
	FileName string `json:"fileName"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
	// UploadID and ChunkSize are the server's, once the upload started.
	UploadID  string `json:"uploadID,omitempty"`
	ChunkSize int64  `json:"chunkSize,omitempty"`
	// Sent counts the bytes the server confirmed.
	Sent int64 `json:"sent,omitempty"`
	// Result is the completed upload; set when the file is on the server.
	Result *UploadResult `json:"result,omitempty"`
}

// UploadResult is a completed upload (POST /api/v1/uploads/{id}/complete).
type UploadResult struct {
	URL      string `json:"url"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
}

// ChunkBytes is the size of the pieces a message's file is stored in.
// It is the smallest chunk size the server may choose (§10), so that an
// upload chunk spans whole pieces whatever the server chose, and small
// enough that storing a piece never holds much memory.
const ChunkBytes = 256 << 10

// HTTPDoer does one request of the server's HTTP API. Natively it is
// NativeHTTP (net/http); the browser build passes one over fetch (package
// fetchjs), which keeps net/http out of the wasm.
type HTTPDoer interface {
	// Do sends req and returns the answer of any status; an error means
	// no answer came (the network, or ctx ended).
	Do(ctx context.Context, req *HTTPRequest) (*HTTPResponse, error)
}

// HTTPRequest is one API request.
type HTTPRequest struct {
	Method string
	// URL is absolute.
	URL string
	// Token is sent as Authorization: Bearer.
	Token string
	// ContentType is the body's; "" when there is no body.
	ContentType string
	// Body is the concatenation of its parts (a chunk spans several
	// stored pieces); nil for none.
	Body []Bytes
}

// HTTPResponse is an API answer.
type HTTPResponse struct {
	Status int
	Body   []byte
}

// uploadAPI is the client of the upload routes.
type uploadAPI struct {
	http  HTTPDoer
	base  string // the server's base URL, without a trailing slash
	token string
}

const uploadsPath = "/api/v1/uploads"

type startUploadReq struct {
	FileName string `json:"fileName"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
	// Public files (uploadFile: avatars, group faces) are served to
	// anyone holding their URL.
	Public bool `json:"public,omitempty"`
}

type startUploadResp struct {
	UploadID  string `json:"uploadID"`
	ChunkSize int64  `json:"chunkSize"`
}

// uploadStatus is GET /api/v1/uploads/{id}.
type uploadStatus struct {
	UploadID  string `json:"uploadID"`
	Size      int64  `json:"size"`
	ChunkSize int64  `json:"chunkSize"`
	Received  []int  `json:"received"`
}

// minChunkSize and maxChunkSize bound the chunk size a server may choose (§10).
const (
	minChunkSize = 256 << 10
	maxChunkSize = 8 << 20
)

func (a uploadAPI) start(ctx context.Context, f startUploadReq) (startUploadResp, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return startUploadResp{}, errInvalid("upload: " + err.Error())
	}
	var out startUploadResp
	if err := a.call(ctx, "POST", uploadsPath, "application/json", []Bytes{ByteSlice(body)}, &out); err != nil {
		return out, err
	}
	if out.UploadID == "" || out.ChunkSize < minChunkSize || out.ChunkSize > maxChunkSize {
		return out, &Error{Code: protocol.CodeInternal, Message: "upload: the server answered an invalid upload (chunk size " + strconv.FormatInt(out.ChunkSize, 10) + ")"}
	}
	return out, nil
}

func (a uploadAPI) status(ctx context.Context, id string) (uploadStatus, error) {
	var out uploadStatus
	err := a.call(ctx, "GET", uploadsPath+"/"+queryEscape(id), "", nil, &out)
	return out, err
}

func (a uploadAPI) put(ctx context.Context, id string, index int, body []Bytes) error {
	return a.call(ctx, "PUT", uploadsPath+"/"+queryEscape(id)+"/"+strconv.Itoa(index), "application/octet-stream", body, nil)
}

func (a uploadAPI) complete(ctx context.Context, id string) (UploadResult, error) {
	var out UploadResult
	if err := a.call(ctx, "POST", uploadsPath+"/"+queryEscape(id)+"/complete", "", nil, &out); err != nil {
		return out, err
	}
	if out.URL == "" {
		return out, &Error{Code: protocol.CodeInternal, Message: "upload: the server completed an upload without a url"}
	}
	return out, nil
}

// call does one request and decodes a 2xx answer into out (nil: ignored).
// A refusal is the server's *Error; no answer is a network error.
func (a uploadAPI) call(ctx context.Context, method, path, contentType string, body []Bytes, out any) error {
	if a.http == nil {
		return &Error{Code: protocol.CodeUnimplemented, Message: "uploads need Config.HTTP in this build"}
	}
	resp, err := a.http.Do(ctx, &HTTPRequest{Method: method, URL: a.base + path, Token: a.token, ContentType: contentType, Body: body})
	if err != nil {
		if ctx.Err() != nil {
			return withCode(ctx.Err())
		}
		return errNetwork(err)
	}
	if resp.Status < 200 || resp.Status > 299 {
		return httpError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return &Error{Code: protocol.CodeInternal, Message: method + " " + path + ": undecodable answer: " + err.Error()}
	}
	return nil
}

// httpError is the *Error of a refused request: the body's error when it
// has one, else one made from the status.
func httpError(resp *HTTPResponse) error {
	var body struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(resp.Body, &body) == nil && body.Error != nil && body.Error.Code != "" {
		return body.Error
	}
	code := protocol.CodeInternal
	switch {
	case resp.Status == 401:
		code = protocol.CodeUnauthenticated
	case resp.Status == 403:
		code = protocol.CodePermissionDenied
	case resp.Status == 404:
		code = protocol.CodeNotFound
	case resp.Status == 413:
		code = protocol.CodeTooLarge
	case resp.Status == 429:
		code = protocol.CodeRateLimited
	case resp.Status == 502, resp.Status == 503, resp.Status == 504:
		code = protocol.CodeUnavailable
	case resp.Status >= 400 && resp.Status < 500:
		code = protocol.CodeInvalidArgument
	}
	return &Error{Code: code, Message: "HTTP " + strconv.Itoa(resp.Status)}
}

// httpBase is the server's base URL for the HTTP API.
func httpBase(server string) string {
	if i := strings.IndexAny(server, "?#"); i >= 0 {
		server = server[:i]
	}
	return strings.TrimRight(server, "/")
}

// retryable reports whether an upload request may succeed if tried again.
func retryable(err error) bool {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Temporary()
	}
	return true
}

// chunkParts returns the stored pieces of slot that make up bytes [from,
// to) of its file, cut to that range.
func chunkParts(pieces []Chunk, from, to int64) []Bytes {
	var out []Bytes
	for _, p := range pieces {
		start := int64(p.Index) * ChunkBytes
		end := start + p.Data.Len()
		if end <= from || start >= to {
			continue
		}
		a, b := max(from, start)-start, min(to, end)-start
		out = append(out, p.Data.Slice(a, b))
	}
	return out
}

// filePieces cuts f into the chunks stored for slot of message id.
func filePieces(id string, slot int, f Bytes) []Chunk {
	n := f.Len()
	out := make([]Chunk, 0, (n+ChunkBytes-1)/ChunkBytes)
	for i, off := 0, int64(0); off < n; i, off = i+1, off+ChunkBytes {
		out = append(out, Chunk{ClientMsgID: id, Slot: slot, Index: i, Data: f.Slice(off, min(off+ChunkBytes, n))})
	}
	return out
}

// ReadBytes implements Bytes.
func (b ByteSlice) ReadBytes(context.Context) ([]byte, error) { return b, nil }
