package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"parley/protocol"
	"parley/server/files"
	"parley/server/httpapi"
	"parley/server/store"
)

// The upload API (contract §4.1, §10): start, chunks, state, complete.
// State lives in the store and bytes in the blob store, so an upload
// resumes on any node and after a restart; chunks are idempotent.

func (s *Server) handleUploadStart(w http.ResponseWriter, r *http.Request) {
	userID := s.mediaCaller(w, r)
	if userID == "" {
		return
	}
	var req protocol.UploadStartReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	cfg := s.media.cfg
	claimed, err := httpapi.UploadStart(&req, cfg.MaxFileBytes)
	if err != nil {
		s.writeError(w, err)
		return
	}
	ctx := r.Context()
	used, err := s.store.UserUploadBytes(ctx, userID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if used+req.Size > cfg.QuotaBytes {
		s.writeError(w, protocol.Errorf(protocol.CodeTooLarge, "the file would take your uploads to %d bytes, over your quota of %d", used+req.Size, cfg.QuotaBytes))
		return
	}
	// A public upload's ID says so, so that a download of it needs no
	// store lookup to know it may skip the signature check.
	prefix := "f"
	if req.Public {
		prefix = "p"
	}
	u := &store.Upload{
		UploadID: randomID(prefix, 16), UserID: userID, FileName: req.FileName, MIMEType: claimed,
		Size: req.Size, ChunkSize: uploadChunkSize(req.Size, cfg.ChunkSize), CreateTime: s.nowMs(),
	}
	if err := s.store.CreateUpload(ctx, u); err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, protocol.UploadStartResp{UploadID: u.UploadID, ChunkSize: u.ChunkSize})
}

// progressChunks is how many chunks a file is cut into at least, where
// the smallest chunk allows: a client reports the bytes the server
// confirmed, chunk by chunk, and so can report every 5% (issue 12).
const progressChunks = 20

// uploadChunkSize is the chunk size of a new upload of size bytes: a
// twentieth of the file in whole MinChunkSize units, between MinChunkSize
// and largest. Large files get large chunks (fewer requests, each one
// durably stored before it is confirmed), small ones small chunks.
func uploadChunkSize(size, largest int64) int64 {
	per := (size + progressChunks - 1) / progressChunks
	units := (per + protocol.MinChunkSize - 1) / protocol.MinChunkSize
	return min(max(units*protocol.MinChunkSize, protocol.MinChunkSize), largest)
}

// ownUpload loads the caller's upload named in the path. Another user's
// upload is permission_denied; a missing one not_found.
func (s *Server) ownUpload(ctx context.Context, userID, uploadID string) (*store.Upload, error) {
	if !protocol.ValidID(uploadID) {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such upload")
	}
	u, err := s.store.Upload(ctx, uploadID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such upload")
	}
	if err != nil {
		return nil, err
	}
	if u.UserID != userID {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "not your upload")
	}
	return u, nil
}

func (s *Server) handleUploadStatus(w http.ResponseWriter, r *http.Request) {
	userID := s.mediaCaller(w, r)
	if userID == "" {
		return
	}
	u, err := s.ownUpload(r.Context(), userID, r.PathValue("uploadID"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	st := protocol.UploadStatus{UploadID: u.UploadID, Size: u.Size, ChunkSize: u.ChunkSize, Received: []int{}}
	if u.CompleteTime != 0 {
		st.Complete = true
		for i := range chunkCount(u.Size, u.ChunkSize) {
			st.Received = append(st.Received, i)
		}
		done := s.completeResp(r, u)
		st.File = &done
	} else if st.Received, err = s.store.UploadChunks(r.Context(), u.UploadID); err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleUploadChunk(w http.ResponseWriter, r *http.Request) {
	userID := s.mediaCaller(w, r)
	if userID == "" {
		return
	}
	ctx := r.Context()
	u, err := s.ownUpload(ctx, userID, r.PathValue("uploadID"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	n := chunkCount(u.Size, u.ChunkSize)
	index, err := strconv.Atoi(r.PathValue("index"))
	if err != nil || index < 0 || index >= n || strconv.Itoa(index) != r.PathValue("index") {
		s.writeError(w, protocol.Errorf(protocol.CodeInvalidArgument, "chunk index must be 0 to %d", n-1))
		return
	}
	if u.CompleteTime != 0 {
		// The file has every chunk already; sending one again is a retry
		// of a chunk acknowledged before.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	want := min(u.ChunkSize, u.Size-int64(index)*u.ChunkSize)
	if r.ContentLength >= 0 && r.ContentLength != want {
		code := protocol.CodeInvalidArgument
		if r.ContentLength > want {
			code = protocol.CodeTooLarge
		}
		s.writeError(w, protocol.Errorf(code, "chunk %d must be %d bytes, not %d", index, want, r.ContentLength))
		return
	}
	body := http.MaxBytesReader(w, r.Body, want+1)
	if asm, ok := s.media.files.(files.Assembler); ok {
		// Straight into place: complete then copies nothing.
		err = asm.PutPart(ctx, fileKey(u.UploadID), int64(index)*u.ChunkSize, body, want)
	} else {
		err = s.media.files.Put(ctx, chunkKey(u.UploadID, index), body, want)
	}
	if err != nil {
		if errors.Is(err, files.ErrShort) {
			err = protocol.Errorf(protocol.CodeInvalidArgument, "chunk %d must be %d bytes", index, want)
		} else if ctx.Err() != nil {
			// The client went away mid-chunk: nothing was stored.
			return
		}
		s.writeError(w, err)
		return
	}
	if err := s.store.AddUploadChunk(ctx, u.UploadID, index); err != nil {
		s.writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleUploadComplete(w http.ResponseWriter, r *http.Request) {
	userID := s.mediaCaller(w, r)
	if userID == "" {
		return
	}
	ctx := r.Context()
	u, err := s.ownUpload(ctx, userID, r.PathValue("uploadID"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if u.CompleteTime != 0 {
		writeJSON(w, http.StatusOK, s.completeResp(r, u))
		return
	}
	got, err := s.store.UploadChunks(ctx, u.UploadID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	n := chunkCount(u.Size, u.ChunkSize)
	if missing := missingChunks(got, n); len(missing) > 0 {
		s.writeError(w, protocol.Errorf(protocol.CodeInvalidArgument, "%d of %d chunks are missing, first %d", len(missing), n, missing[0]))
		return
	}
	head, err := s.readHead(ctx, u)
	if err != nil {
		s.writeError(w, err)
		return
	}
	mimeType := sniffMIME(head, u.MIMEType)
	asm, inPlace := s.media.files.(files.Assembler)
	if inPlace {
		err = asm.Finish(ctx, fileKey(u.UploadID), u.Size)
	} else {
		// The chunks are joined into one blob as a stream: one chunk is
		// open at a time and none is held in memory whole.
		joined := &chunkJoiner{ctx: ctx, files: s.media.files, upload: u, n: n}
		err = s.media.files.Put(ctx, fileKey(u.UploadID), joined, u.Size)
		joined.Close()
	}
	if err != nil {
		s.writeError(w, fmt.Errorf("server: join upload %s: %w", u.UploadID, err))
		return
	}
	now := s.nowMs()
	if err := s.store.CompleteUpload(ctx, u.UploadID, mimeType, now); err != nil {
		s.writeError(w, err)
		return
	}
	if !inPlace {
		for i := range n {
			if err := s.media.files.Delete(ctx, chunkKey(u.UploadID, i)); err != nil {
				s.log.Warn("deleting an upload's chunk", "upload", u.UploadID, "index", i, "err", err)
			}
		}
	}
	u.MIMEType, u.CompleteTime = mimeType, now
	writeJSON(w, http.StatusOK, s.completeResp(r, u))
}

// sniffBytes is how much of a file's start sniffMIME reads.
const sniffBytes = 4096

func (s *Server) readHead(ctx context.Context, u *store.Upload) ([]byte, error) {
	if u.Size == 0 {
		return nil, nil
	}
	var rc io.ReadCloser
	var err error
	if asm, ok := s.media.files.(files.Assembler); ok {
		rc, err = asm.GetPart(ctx, fileKey(u.UploadID), 0, min(sniffBytes, u.Size))
	} else {
		rc, err = s.media.files.Get(ctx, chunkKey(u.UploadID, 0), 0, sniffBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("server: read upload %s: %w", u.UploadID, err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, rc); err != nil {
		return nil, fmt.Errorf("server: read upload %s: %w", u.UploadID, err)
	}
	return b.Bytes(), nil
}

func missingChunks(got []int, n int) []int {
	have := make([]bool, n)
	for _, i := range got {
		if i >= 0 && i < n {
			have[i] = true
		}
	}
	var missing []int
	for i, ok := range have {
		if !ok {
			missing = append(missing, i)
		}
	}
	return missing
}

// completeResp is the answer of a complete upload.
func (s *Server) completeResp(r *http.Request, u *store.Upload) protocol.UploadCompleteResp {
	base := s.baseURL(r)
	exp := s.now().Add(s.media.cfg.URLTTL).UnixMilli()
	return protocol.UploadCompleteResp{
		URL:         fileURL(base, u.UploadID),
		MIMEType:    u.MIMEType,
		Size:        u.Size,
		FileID:      u.UploadID,
		DownloadURL: s.media.signURL(base, u.UploadID, fileGrant{UserID: u.UserID, Expires: exp}),
		ExpiresAt:   exp,
	}
}

// baseURL is the server's address for absolute URLs: PublicURL, else the
// request's own scheme and host.
func (s *Server) baseURL(r *http.Request) string {
	if s.media.cfg.PublicURL != "" {
		return s.media.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// chunkJoiner reads an upload's chunks one after the other.
type chunkJoiner struct {
	ctx    context.Context
	files  files.Store
	upload *store.Upload
	n      int
	next   int
	cur    io.ReadCloser
}

func (j *chunkJoiner) Read(p []byte) (int, error) {
	for {
		if j.cur == nil {
			if j.next >= j.n {
				return 0, io.EOF
			}
			rc, err := j.files.Get(j.ctx, chunkKey(j.upload.UploadID, j.next), 0, -1)
			if err != nil {
				return 0, err
			}
			j.cur = rc
			j.next++
		}
		n, err := j.cur.Read(p)
		if err == io.EOF {
			j.cur.Close()
			j.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (j *chunkJoiner) Close() error {
	if j.cur != nil {
		return j.cur.Close()
	}
	return nil
}
