package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"parley/protocol"
	"parley/server/files"
	"parley/server/httpapi"
	"parley/server/store"
)

// Downloads. A file's lasting URL, {base}/api/v1/files/{fileID}, is what
// message contents carry. Only public files (avatars) are served from it
// as it is; others need a signed URL, the lasting one plus
//
//	?c={conversationID}&q={seq}&u={userID}&e={expiresMs}&s={signature}
//
// for a viewer u of the message at seq q of conversation c (or, without
// c and q, for the uploader u alone). The signature (HMAC-SHA256 with a
// key the store keeps, so every node checks it) makes the URL
// unforgeable; on every download the server also checks, as of now, that
// u may still see that message and that the message still holds the file
// (a viewer who left the group, or a revoked message, stops the URL
// working before it expires). A forwarded file is signed through the
// forwarded message, so it works for the members of the conversation it
// was forwarded to.

// fileGrant is what a signed URL says: who may read the file, through
// which message, until when.
type fileGrant struct {
	ConversationID string
	Seq            int64
	UserID         string
	Expires        int64 // Unix ms
}

func fileURL(base, fileID string) string {
	return base + protocol.FilesPath + "/" + fileID
}

func (m *media) sig(fileID string, g fileGrant) string {
	mac := hmac.New(sha256.New, m.urlKey)
	fmt.Fprintf(mac, "file-v1\x00%s\x00%s\x00%d\x00%s\x00%d", fileID, g.ConversationID, g.Seq, g.UserID, g.Expires)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

// signURL returns the signed download URL of fileID for g.
func (m *media) signURL(base, fileID string, g fileGrant) string {
	q := url.Values{}
	if g.ConversationID != "" {
		q.Set("c", g.ConversationID)
		q.Set("q", strconv.FormatInt(g.Seq, 10))
	}
	q.Set("u", g.UserID)
	q.Set("e", strconv.FormatInt(g.Expires, 10))
	q.Set("s", m.sig(fileID, g))
	return fileURL(base, fileID) + "?" + q.Encode()
}

// fileIDOf returns the file ID of a lasting file URL of this server: its
// path is /api/v1/files/{fileID}, whatever its host (a deployment may be
// reached under several names). false for any other URL.
func fileIDOf(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery != "" {
		return "", false
	}
	id, ok := strings.CutPrefix(u.Path, protocol.FilesPath+"/")
	if !ok || !protocol.ValidID(id) || id == "sign" {
		return "", false
	}
	return id, true
}

// handleFileSign signs the download URLs of the files of messages the
// caller may see.
func (s *Server) handleFileSign(w http.ResponseWriter, r *http.Request) {
	userID := s.mediaCaller(w, r)
	if userID == "" {
		return
	}
	var req protocol.FileSignReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if err := httpapi.FileSign(&req); err != nil {
		s.writeError(w, err)
		return
	}
	ctx := r.Context()
	base := s.baseURL(r)
	exp := s.now().Add(s.media.cfg.URLTTL).UnixMilli()
	resp := protocol.FileSignResp{Messages: make([]protocol.SignedMessage, 0, len(req.Messages)), ExpiresAt: exp}
	for _, ref := range req.Messages {
		out := protocol.SignedMessage{ConversationID: ref.ConversationID, Seq: ref.Seq, URLs: map[string]string{}}
		ids, err := s.messageFiles(ctx, userID, ref.ConversationID, ref.Seq)
		if err != nil {
			pe := s.publicError(err)
			if pe.Code == protocol.CodeInternal || pe.Code == protocol.CodeUnavailable {
				s.writeError(w, err)
				return
			}
			out.Error = pe
		}
		g := fileGrant{ConversationID: ref.ConversationID, Seq: ref.Seq, UserID: userID, Expires: exp}
		for raw, id := range ids {
			out.URLs[raw] = s.media.signURL(base, id, g)
		}
		resp.Messages = append(resp.Messages, out)
	}
	writeJSON(w, http.StatusOK, resp)
}

// messageFiles returns the files of this server that the message at seq
// of conversationID points to (lasting URL → file ID), after checking
// that userID may see that message.
func (s *Server) messageFiles(ctx context.Context, userID, conversationID string, seq int64) (map[string]string, error) {
	if seq < 1 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "seq must be at least 1")
	}
	minSeq, err := s.access(ctx, userID, conversationID)
	if err != nil {
		return nil, err
	}
	if seq < minSeq {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "this message is from before you joined")
	}
	msgs, err := s.store.Messages(ctx, conversationID, seq, seq, 1, false)
	if err != nil {
		return nil, err
	}
	if len(msgs) != 1 || msgs[0].Seq != seq {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no message at seq %d", seq)
	}
	c, err := protocol.DecodeContent(msgs[0].ContentType, msgs[0].Content)
	if err != nil {
		// A type that holds no files (revoked, or one this server does
		// not know).
		return map[string]string{}, nil
	}
	out := map[string]string{}
	for _, raw := range protocol.ContentURLs(c) {
		if id, ok := fileIDOf(raw); ok {
			out[raw] = id
		}
	}
	return out, nil
}

// handleFileDownload serves a file to the holder of a URL that allows it.
func (s *Server) handleFileDownload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fileID := r.PathValue("fileID")
	if s.media.files == nil {
		s.writeError(w, protocol.Errorf(protocol.CodeUnavailable, "this server stores no files"))
		return
	}
	denied := protocol.Errorf(protocol.CodePermissionDenied, "this link does not allow the file, or has expired")
	if !protocol.ValidID(fileID) {
		s.writeError(w, protocol.Errorf(protocol.CodeNotFound, "no such file"))
		return
	}
	if !strings.HasPrefix(fileID, "p") {
		if err := s.checkGrant(r, fileID); err != nil {
			if protocol.CodeOf(err) == protocol.CodePermissionDenied {
				err = denied
			}
			s.writeError(w, err)
			return
		}
	}
	u, err := s.store.Upload(ctx, fileID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.CompleteTime == 0) {
		s.writeError(w, protocol.Errorf(protocol.CodeNotFound, "no such file"))
		return
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	s.serveFile(w, r, u)
}

// checkGrant checks the signed URL of a download as of now.
func (s *Server) checkGrant(r *http.Request, fileID string) error {
	q := r.URL.Query()
	denied := protocol.Errorf(protocol.CodePermissionDenied, "denied")
	g := fileGrant{ConversationID: q.Get("c"), UserID: q.Get("u")}
	var err error
	if g.Expires, err = strconv.ParseInt(q.Get("e"), 10, 64); err != nil {
		return denied
	}
	if g.ConversationID != "" {
		if g.Seq, err = strconv.ParseInt(q.Get("q"), 10, 64); err != nil {
			return denied
		}
	}
	if !hmac.Equal([]byte(q.Get("s")), []byte(s.media.sig(fileID, g))) {
		return denied
	}
	if s.nowMs() > g.Expires {
		return protocol.Errorf(protocol.CodePermissionDenied, "this link has expired; ask for a new one (POST %s/sign)", protocol.FilesPath)
	}
	ctx := r.Context()
	if g.ConversationID == "" {
		// The uploader's own link.
		u, err := s.store.Upload(ctx, fileID)
		if err != nil {
			return err
		}
		if u.UserID != g.UserID {
			return denied
		}
		return nil
	}
	ids, err := s.messageFiles(ctx, g.UserID, g.ConversationID, g.Seq)
	if err != nil {
		if c := protocol.CodeOf(err); c == protocol.CodeInternal || c == protocol.CodeUnavailable {
			return err
		}
		return denied
	}
	for _, id := range ids {
		if id == fileID {
			return nil
		}
	}
	return denied
}

// inlineTypes are the types a browser may render from our origin: media
// that runs no script. Everything else (HTML, SVG, PDF, text…) is sent as
// an attachment, under a sandboxing policy, never rendered as a page of
// this origin.
var inlineTypes = []string{
	"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/heic",
}

func servedInline(mimeType string) bool {
	mt, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		return false
	}
	return slices.Contains(inlineTypes, mt) || strings.HasPrefix(mt, "audio/") || strings.HasPrefix(mt, "video/")
}

// serveFile sends u's bytes, or the single range the request asks for.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, u *store.Upload) {
	ctx := r.Context()
	h := w.Header()
	h.Set("Content-Type", u.MIMEType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Accept-Ranges", "bytes")
	// A file never changes: its ID is its version. The URL (signature
	// included) is private to its viewer.
	h.Set("ETag", `"`+u.UploadID+`"`)
	h.Set("Cache-Control", "private, max-age=3600")
	disposition := "attachment"
	if servedInline(u.MIMEType) {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": u.FileName}))
	if r.Header.Get("If-None-Match") == `"`+u.UploadID+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	off, n, ok := parseRange(r.Header.Get("Range"), u.Size)
	if !ok {
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", u.Size))
		writeJSON(w, http.StatusRequestedRangeNotSatisfiable, protocol.ErrorBody{Error: *protocol.Errorf(protocol.CodeInvalidArgument, "range not satisfiable")})
		return
	}
	status := http.StatusOK
	if n != u.Size {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, u.Size))
	}
	rc, err := s.media.files.Get(ctx, fileKey(u.UploadID), off, n)
	if err != nil {
		if errors.Is(err, files.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "no such file")
		}
		h.Del("Content-Range")
		s.writeError(w, err)
		return
	}
	defer rc.Close()
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rc); err != nil && ctx.Err() == nil {
		s.log.Debug("file download cut", "file", u.UploadID, "err", err)
	}
}

// parseRange reads a Range header of one range against a file of size
// bytes and returns its offset and length; the whole file when the
// header is empty or asks for several ranges (which a server may ignore).
// ok is false for a range that cannot be satisfied.
func parseRange(hdr string, size int64) (off, n int64, ok bool) {
	spec, found := strings.CutPrefix(hdr, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size, true
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, size, true
	}
	if first == "" {
		// A suffix: the last n bytes.
		k, err := strconv.ParseInt(last, 10, 64)
		if err != nil || k <= 0 {
			return 0, 0, false
		}
		k = min(k, size)
		return size - k, k, true
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return 0, 0, false
		}
		end = min(e, size-1)
	}
	return start, end - start + 1, true
}
