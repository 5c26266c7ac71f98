package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

const testChunk = protocol.MinChunkSize

func smallChunks(c *server.Config) { c.Media.ChunkSize = testChunk }

// pngBytes is a file of n bytes that starts as a PNG does.
func pngBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	copy(b, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	return b
}

func start(t *testing.T, e *env, token string, req protocol.UploadStartReq) (int, protocol.UploadStartResp, []byte) {
	t.Helper()
	st, _, body := e.req("POST", protocol.UploadsPath, token, jsonBody(t, req), nil)
	var up protocol.UploadStartResp
	if st == http.StatusCreated {
		require.NoError(t, json.Unmarshal(body, &up))
	}
	return st, up, body
}

func status(t *testing.T, e *env, token, id string) protocol.UploadStatus {
	t.Helper()
	st, _, body := e.req("GET", protocol.UploadsPath+"/"+id, token, nil, nil)
	require.Equal(t, http.StatusOK, st, "%s", body)
	var s protocol.UploadStatus
	require.NoError(t, json.Unmarshal(body, &s))
	return s
}

func putChunk(e *env, token, id string, i int, b []byte) (int, []byte) {
	st, _, body := e.req("PUT", fmt.Sprintf("%s/%s/%d", protocol.UploadsPath, id, i), token, b, nil)
	return st, body
}

func chunkOf(data []byte, i int) []byte {
	return data[i*testChunk : min(len(data), (i+1)*testChunk)]
}

// The chunk size suits the file: a twentieth of it in whole 256 KiB
// units, so that a client can report its progress every 5%, between
// 256 KiB and the setting (default 8 MiB) for the largest.
func TestUploadChunkSizeSuitsTheFile(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Media.MaxFileBytes = 1 << 30; c.Media.QuotaBytes = 4 << 30 })
	_, tok := e.register("alice")
	const k = protocol.MinChunkSize
	for _, tc := range []struct {
		size, chunk int64
	}{
		{0, k}, {1, k}, {20 * k, k}, {20*k + 1, 2 * k}, {10 << 20, 2 * k},
		{100 << 20, 5 << 20}, {160 << 20, 8 << 20}, {1 << 30, 8 << 20},
	} {
		st, up, body := start(t, e, tok, protocol.UploadStartReq{FileName: "f.bin", Size: tc.size})
		require.Equal(t, http.StatusCreated, st, "%s", body)
		assert.Equal(t, tc.chunk, up.ChunkSize, "size %d", tc.size)
	}
}

// An upload goes up in chunks in any order, each idempotent, and comes
// back byte for byte with the type its bytes have, not the one claimed.
func TestUploadRoundTrip(t *testing.T) {
	e := newEnv(t, smallChunks)
	alice, tok := e.register("alice")
	data := pngBytes(2*testChunk + 1000)
	st, up, body := start(t, e, tok, protocol.UploadStartReq{FileName: "cat.png", MIMEType: "text/html", Size: int64(len(data))})
	require.Equal(t, http.StatusCreated, st, "%s", body)
	assert.Equal(t, int64(testChunk), up.ChunkSize)
	assert.True(t, protocol.ValidID(up.UploadID))

	s := status(t, e, tok, up.UploadID)
	assert.Equal(t, protocol.UploadStatus{UploadID: up.UploadID, Size: int64(len(data)), ChunkSize: testChunk, Received: []int{}}, s)

	for _, i := range []int{2, 0, 0} {
		st, body := putChunk(e, tok, up.UploadID, i, chunkOf(data, i))
		require.Equal(t, http.StatusNoContent, st, "%s", body)
	}
	assert.Equal(t, []int{0, 2}, status(t, e, tok, up.UploadID).Received)

	st, _, body = e.req("POST", protocol.UploadsPath+"/"+up.UploadID+"/complete", tok, nil, nil)
	require.Equal(t, http.StatusBadRequest, st)
	assert.Contains(t, string(body), "1 of 3 chunks are missing, first 1")

	st, body = putChunk(e, tok, up.UploadID, 1, chunkOf(data, 1))
	require.Equal(t, http.StatusNoContent, st, "%s", body)
	st, _, body = e.req("POST", protocol.UploadsPath+"/"+up.UploadID+"/complete", tok, nil, nil)
	require.Equal(t, http.StatusOK, st, "%s", body)
	var done protocol.UploadCompleteResp
	require.NoError(t, json.Unmarshal(body, &done))
	assert.Equal(t, e.hs.URL+protocol.FilesPath+"/"+up.UploadID, done.URL, "absolute")
	assert.Equal(t, "image/png", done.MIMEType, "sniffed, not claimed")
	assert.Equal(t, int64(len(data)), done.Size)
	assert.Equal(t, up.UploadID, done.FileID)

	// Completing again answers the same; the state says complete.
	st, _, again := e.req("POST", protocol.UploadsPath+"/"+up.UploadID+"/complete", tok, nil, nil)
	require.Equal(t, http.StatusOK, st)
	var done2 protocol.UploadCompleteResp
	require.NoError(t, json.Unmarshal(again, &done2))
	assert.Equal(t, done.URL, done2.URL)
	s = status(t, e, tok, up.UploadID)
	assert.True(t, s.Complete)
	assert.Equal(t, []int{0, 1, 2}, s.Received)
	require.NotNil(t, s.File)
	assert.Equal(t, "image/png", s.File.MIMEType)
	// A chunk sent again after completion (a lost acknowledgement) is fine.
	st, _ = putChunk(e, tok, up.UploadID, 2, chunkOf(data, 2))
	assert.Equal(t, http.StatusNoContent, st)

	// The uploader's own link serves the bytes; the bare URL does not.
	st, hdr, got := e.req("GET", done.DownloadURL, "", nil, nil)
	require.Equal(t, http.StatusOK, st, "%s", got)
	assert.True(t, bytes.Equal(data, got), "byte for byte")
	assert.Equal(t, "image/png", hdr.Get("Content-Type"))
	assert.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))
	assert.Equal(t, `inline; filename=cat.png`, hdr.Get("Content-Disposition"))
	st, _, body = e.req("GET", done.URL, "", nil, nil)
	assert.Equal(t, http.StatusForbidden, st)
	assert.Equal(t, protocol.CodePermissionDenied, errCodeOf(t, body))
	st, _, _ = e.req("GET", done.URL, tok, nil, nil)
	assert.Equal(t, http.StatusForbidden, st, "a token is no signature")
	_ = alice
}

// An empty file has no chunks and completes at once.
func TestUploadEmptyFile(t *testing.T) {
	e := newEnv(t)
	_, tok := e.register("alice")
	done := e.upload(tok, "empty.txt", "text/plain", nil)
	assert.Equal(t, int64(0), done.Size)
	st, _, got := e.req("GET", done.DownloadURL, "", nil, nil)
	require.Equal(t, http.StatusOK, st)
	assert.Empty(t, got)
}

// Upload state is in the store and bytes in the blob store: a restarted
// server resumes an upload where it stopped.
func TestUploadSurvivesRestart(t *testing.T) {
	e := newEnv(t, smallChunks)
	_, tok := e.register("alice")
	data := pngBytes(testChunk + 10)
	_, up, _ := start(t, e, tok, protocol.UploadStartReq{FileName: "a.png", MIMEType: "image/png", Size: int64(len(data))})
	st, _ := putChunk(e, tok, up.UploadID, 0, chunkOf(data, 0))
	require.Equal(t, http.StatusNoContent, st)

	e.shutdown()
	e.hs.Close()
	e.start()

	assert.Equal(t, []int{0}, status(t, e, tok, up.UploadID).Received)
	st, _ = putChunk(e, tok, up.UploadID, 1, chunkOf(data, 1))
	require.Equal(t, http.StatusNoContent, st)
	st, _, body := e.req("POST", protocol.UploadsPath+"/"+up.UploadID+"/complete", tok, nil, nil)
	require.Equal(t, http.StatusOK, st, "%s", body)
	var done protocol.UploadCompleteResp
	require.NoError(t, json.Unmarshal(body, &done))
	_, _, got := e.req("GET", done.DownloadURL, "", nil, nil)
	assert.True(t, bytes.Equal(data, got))
}

func TestUploadLimits(t *testing.T) {
	e := newEnv(t, smallChunks, func(c *server.Config) {
		c.Media.MaxFileBytes = 3 * testChunk
		c.Media.QuotaBytes = 4 * testChunk
	})
	_, tok := e.register("alice")
	_, mtok := e.register("mallory")

	for _, tc := range []struct {
		name   string
		req    protocol.UploadStartReq
		status int
		code   protocol.Code
	}{
		{"over the file limit", protocol.UploadStartReq{FileName: "big", Size: 3*testChunk + 1}, 413, protocol.CodeTooLarge},
		{"negative size", protocol.UploadStartReq{FileName: "n", Size: -1}, 400, protocol.CodeInvalidArgument},
		{"no name", protocol.UploadStartReq{Size: 1}, 400, protocol.CodeInvalidArgument},
		{"a path", protocol.UploadStartReq{FileName: "../x", Size: 1}, 400, protocol.CodeInvalidArgument},
		{"bad type", protocol.UploadStartReq{FileName: "x", MIMEType: "not a type", Size: 1}, 400, protocol.CodeInvalidArgument},
	} {
		st, _, body := start(t, e, tok, tc.req)
		assert.Equal(t, tc.status, st, tc.name)
		assert.Equal(t, tc.code, errCodeOf(t, body), tc.name)
	}
	st, _, body := e.req("POST", protocol.UploadsPath, tok, []byte(`{"fileName":`), nil)
	assert.Equal(t, http.StatusBadRequest, st, "%s", body)

	// The quota counts uploads in progress.
	st, up, _ := start(t, e, tok, protocol.UploadStartReq{FileName: "a", Size: 3 * testChunk})
	require.Equal(t, http.StatusCreated, st)
	st, _, body = start(t, e, tok, protocol.UploadStartReq{FileName: "b", Size: testChunk + 1})
	assert.Equal(t, http.StatusRequestEntityTooLarge, st)
	assert.Equal(t, protocol.CodeTooLarge, errCodeOf(t, body))
	assert.Contains(t, string(body), "quota")
	st, _, _ = start(t, e, tok, protocol.UploadStartReq{FileName: "c", Size: testChunk})
	assert.Equal(t, http.StatusCreated, st, "exactly the quota")
	st, _, _ = start(t, e, mtok, protocol.UploadStartReq{FileName: "m", Size: testChunk})
	assert.Equal(t, http.StatusCreated, st, "quotas are per user")

	// Chunks: exact sizes, indexes in range, the uploader only.
	for _, tc := range []struct {
		name  string
		index string
		n     int
		tok   string
		st    int
		code  protocol.Code
	}{
		{"short", "0", testChunk - 1, tok, 400, protocol.CodeInvalidArgument},
		{"long", "0", testChunk + 1, tok, 413, protocol.CodeTooLarge},
		{"past the end", "3", testChunk, tok, 400, protocol.CodeInvalidArgument},
		{"negative", "-1", testChunk, tok, 400, protocol.CodeInvalidArgument},
		{"not a number", "x", testChunk, tok, 400, protocol.CodeInvalidArgument},
		{"leading zero", "01", testChunk, tok, 400, protocol.CodeInvalidArgument},
		{"another user's", "0", testChunk, mtok, 403, protocol.CodePermissionDenied},
	} {
		st, _, body := e.req("PUT", protocol.UploadsPath+"/"+up.UploadID+"/"+tc.index, tc.tok, make([]byte, tc.n), nil)
		assert.Equal(t, tc.st, st, tc.name)
		assert.Equal(t, tc.code, errCodeOf(t, body), tc.name)
	}
	assert.Empty(t, status(t, e, tok, up.UploadID).Received, "no refused chunk was kept")
	for _, r := range []struct{ method, path string }{
		{"GET", "/" + up.UploadID},
		{"POST", "/" + up.UploadID + "/complete"},
	} {
		st, _, body := e.req(r.method, protocol.UploadsPath+r.path, mtok, nil, nil)
		assert.Equal(t, http.StatusForbidden, st, r.path)
		assert.Equal(t, protocol.CodePermissionDenied, errCodeOf(t, body))
	}
	st, _, body = e.req("GET", protocol.UploadsPath+"/fnothere", tok, nil, nil)
	assert.Equal(t, http.StatusNotFound, st)
	assert.Equal(t, protocol.CodeNotFound, errCodeOf(t, body))
}

// Uploads left incomplete past UploadTTL go, chunks and quota with them.
func TestAbandonedUploadsAreDeleted(t *testing.T) {
	clock := &atomicTime{}
	clock.set(time.Now())
	e := newEnv(t, smallChunks, func(c *server.Config) {
		c.Clock = clock.get
		c.Media.UploadTTL = time.Hour
		c.Media.QuotaBytes = 2 * testChunk
	})
	_, tok := e.register("alice")
	_, old, _ := start(t, e, tok, protocol.UploadStartReq{FileName: "old", Size: 2 * testChunk})
	st, _ := putChunk(e, tok, old.UploadID, 0, make([]byte, testChunk))
	require.Equal(t, http.StatusNoContent, st)
	done := e.upload(tok, "kept", "", nil)

	clock.set(clock.get().Add(30 * time.Minute))
	n, err := e.srv.SweepUploads(t.Context())
	require.NoError(t, err)
	assert.Zero(t, n, "not yet abandoned")

	clock.set(clock.get().Add(31 * time.Minute))
	n, err = e.srv.SweepUploads(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	parts, err := os.ReadDir(filepath.Join(e.dataDir, "files", ".parts"))
	require.NoError(t, err)
	for _, p := range parts {
		assert.NotContains(t, p.Name(), old.UploadID, "its bytes are gone from the disk")
	}
	st, _, _ = e.req("GET", protocol.UploadsPath+"/"+old.UploadID, tok, nil, nil)
	assert.Equal(t, http.StatusNotFound, st)
	st, _, _ = start(t, e, tok, protocol.UploadStartReq{FileName: "new", Size: 2 * testChunk})
	assert.Equal(t, http.StatusCreated, st, "the quota is free again")
	assert.True(t, status(t, e, tok, done.FileID).Complete, "complete uploads stay")
}

// groupWithImage makes alice's group with bob and carl, then removes carl;
// alice sends an image message there and returns it with its file.
func groupWithImage(t *testing.T, e *env, data []byte, name string) (conv string, seq int64, done protocol.UploadCompleteResp, toks map[string]string) {
	toks = map[string]string{}
	for _, u := range []string{"alice", "bob", "carl", "dave"} {
		toks[u] = e.user(u)
	}
	done = e.upload(toks["alice"], name, "", data)
	a := e.dial(toks["alice"])
	var g protocol.Group
	a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "g", MemberUserIDs: []string{"bob", "carl"}}, &g)
	a.do(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "carl"}, nil)
	content := fmt.Sprintf(`{"url":%q,"mimeType":%q,"size":%d,"fileName":%q}`, done.URL, done.MIMEType, done.Size, name)
	var r protocol.SendResp
	a.do(protocol.ReqSend, protocol.SendReq{ClientMsgID: "img1", GroupID: g.GroupID, ContentType: protocol.ContentFile, Content: json.RawMessage(content)}, &r)
	return r.ConversationID, r.Seq, done, toks
}

func TestFileDownloadsAreAuthorized(t *testing.T) {
	clock := &atomicTime{}
	clock.set(time.Now())
	e := newEnv(t, func(c *server.Config) { c.Clock = clock.get; c.Media.URLTTL = time.Hour })
	data := pngBytes(5000)
	conv, seq, done, toks := groupWithImage(t, e, data, "cat.png")

	// A member gets a working link.
	signed := e.sign(toks["bob"], protocol.MessageRef{ConversationID: conv, Seq: seq})
	require.Len(t, signed.Messages, 1)
	require.Nil(t, signed.Messages[0].Error)
	link := signed.Messages[0].URLs[done.URL]
	require.NotEmpty(t, link)
	assert.Equal(t, clock.get().Add(time.Hour).UnixMilli(), signed.ExpiresAt)
	st, hdr, got := e.req("GET", link, "", nil, nil)
	require.Equal(t, http.StatusOK, st, "%s", got)
	assert.True(t, bytes.Equal(data, got))
	assert.Equal(t, "bytes", hdr.Get("Accept-Ranges"))

	// Ranges, as a video player seeks.
	for _, tc := range []struct {
		rng      string
		from, to int
		want     string
	}{
		{"bytes=0-9", 0, 10, "bytes 0-9/5000"},
		{"bytes=4990-", 4990, 5000, "bytes 4990-4999/5000"},
		{"bytes=-5", 4995, 5000, "bytes 4995-4999/5000"},
		{"bytes=100-99999", 100, 5000, "bytes 100-4999/5000"},
	} {
		st, hdr, got := e.req("GET", link, "", nil, http.Header{"Range": {tc.rng}})
		require.Equal(t, http.StatusPartialContent, st, tc.rng)
		assert.Equal(t, tc.want, hdr.Get("Content-Range"), tc.rng)
		assert.Equal(t, data[tc.from:tc.to], got, tc.rng)
	}
	st, hdr, _ = e.req("GET", link, "", nil, http.Header{"Range": {"bytes=5000-"}})
	assert.Equal(t, http.StatusRequestedRangeNotSatisfiable, st)
	assert.Equal(t, "bytes */5000", hdr.Get("Content-Range"))

	// Someone removed from the group, or never in it, gets no link.
	for _, who := range []string{"carl", "dave"} {
		s := e.sign(toks[who], protocol.MessageRef{ConversationID: conv, Seq: seq})
		require.NotNil(t, s.Messages[0].Error, who)
		assert.Equal(t, protocol.CodePermissionDenied, s.Messages[0].Error.Code, who)
		assert.Empty(t, s.Messages[0].URLs, who)
	}
	// A link changed in any part, or used for another file, is refused.
	u, err := url.Parse(link)
	require.NoError(t, err)
	for name, mod := range map[string]func(q url.Values){
		"another user":    func(q url.Values) { q.Set("u", "dave") },
		"another message": func(q url.Values) { q.Set("q", fmt.Sprint(seq+1)) },
		"later expiry":    func(q url.Values) { q.Set("e", fmt.Sprint(clock.get().Add(48*time.Hour).UnixMilli())) },
		"no signature":    func(q url.Values) { q.Del("s") },
		"bad signature":   func(q url.Values) { q.Set("s", strings.Repeat("A", 24)) },
		"no conversation": func(q url.Values) { q.Del("c"); q.Del("q") },
	} {
		q := u.Query()
		mod(q)
		v := *u
		v.RawQuery = q.Encode()
		st, _, body := e.req("GET", v.String(), "", nil, nil)
		assert.Equal(t, http.StatusForbidden, st, name)
		assert.Equal(t, protocol.CodePermissionDenied, errCodeOf(t, body), name)
	}
	other := e.upload(toks["dave"], "d.png", "", pngBytes(10))
	st, _, _ = e.req("GET", strings.Replace(link, done.FileID, other.FileID, 1), "", nil, nil)
	assert.Equal(t, http.StatusForbidden, st, "a link of one file opens no other")

	// The link stops working when it expires; a new one is signed.
	clock.set(clock.get().Add(61 * time.Minute))
	st, _, body := e.req("GET", link, "", nil, nil)
	assert.Equal(t, http.StatusForbidden, st)
	assert.Contains(t, string(body), "expired")
	fresh := e.sign(toks["bob"], protocol.MessageRef{ConversationID: conv, Seq: seq}).Messages[0].URLs[done.URL]
	st, _, _ = e.req("GET", fresh, "", nil, nil)
	assert.Equal(t, http.StatusOK, st)

	// A member who leaves loses a link signed before.
	a := e.dial(toks["alice"])
	_, gid, _, _ := protocol.ParseConversationID(conv)
	a.do(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: gid, UserID: "bob"}, nil)
	st, _, _ = e.req("GET", fresh, "", nil, nil)
	assert.Equal(t, http.StatusForbidden, st, "checked as of now")

	// Bad requests.
	st, _, body = e.req("POST", protocol.FilesPath+"/sign", toks["alice"], jsonBody(t, protocol.FileSignReq{}), nil)
	assert.Equal(t, http.StatusBadRequest, st, "%s", body)
	s := e.sign(toks["alice"], protocol.MessageRef{ConversationID: "nonsense", Seq: 1}, protocol.MessageRef{ConversationID: conv, Seq: 99}, protocol.MessageRef{ConversationID: conv, Seq: seq})
	assert.Equal(t, protocol.CodeInvalidArgument, s.Messages[0].Error.Code)
	assert.Equal(t, protocol.CodeNotFound, s.Messages[1].Error.Code)
	assert.Nil(t, s.Messages[2].Error, "one bad entry does not fail the others")
	assert.NotEmpty(t, s.Messages[2].URLs[done.URL])
}

// A file forwarded into another conversation opens for that
// conversation's members, through the forwarded message.
func TestForwardedFileOpensForNewConversation(t *testing.T) {
	e := newEnv(t)
	data := pngBytes(100)
	conv, seq, done, toks := groupWithImage(t, e, data, "cat.png")
	b := e.dial(toks["bob"])
	content := fmt.Sprintf(`{"url":%q,"mimeType":"image/png","size":100,"width":1,"height":1,"thumbnail":{"url":"","width":0,"height":0}}`, done.URL)
	var r protocol.SendResp
	b.do(protocol.ReqSend, protocol.SendReq{ClientMsgID: "fw1", RecvID: "dave", ContentType: protocol.ContentImage, Content: json.RawMessage(content)}, &r)
	// And inside a merger, from dave to himself.
	merger := fmt.Sprintf(`{"title":"t","messages":[{"clientMsgID":"img1","seq":%d,"sendID":"alice","contentType":"image","content":%s,"sendTime":1}]}`, seq, content)
	var r2 protocol.SendResp
	e.dial(toks["dave"]).do(protocol.ReqSend, protocol.SendReq{ClientMsgID: "mg1", RecvID: "dave", ContentType: protocol.ContentMerger, Content: json.RawMessage(merger)}, &r2)

	for _, ref := range []protocol.MessageRef{{ConversationID: r.ConversationID, Seq: r.Seq}, {ConversationID: r2.ConversationID, Seq: r2.Seq}} {
		s := e.sign(toks["dave"], ref)
		require.Nil(t, s.Messages[0].Error)
		link := s.Messages[0].URLs[done.URL]
		require.NotEmpty(t, link, "%+v", ref)
		st, _, got := e.req("GET", link, "", nil, nil)
		require.Equal(t, http.StatusOK, st)
		assert.True(t, bytes.Equal(data, got))
	}
	// The original conversation is still not dave's.
	s := e.sign(toks["dave"], protocol.MessageRef{ConversationID: conv, Seq: seq})
	assert.NotNil(t, s.Messages[0].Error)
}

// What a browser must not render from our origin goes as an attachment.
func TestDownloadHeaders(t *testing.T) {
	e := newEnv(t)
	_, tok := e.register("alice")
	for _, tc := range []struct {
		name, claimed string
		data          []byte
		typ, disp     string
	}{
		{"page.html", "image/png", []byte("<!DOCTYPE html><script>alert(1)</script>"), "text/html; charset=utf-8", `attachment; filename=page.html`},
		{"x.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "text/plain; charset=utf-8", `attachment; filename=x.svg`},
		{"y.svg", "image/svg+xml", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), "text/xml; charset=utf-8", `attachment; filename=y.svg`},
		{"notes.txt", "text/plain", []byte("hello"), "text/plain; charset=utf-8", `attachment; filename=notes.txt`},
		{"rapport é.pdf", "application/pdf", []byte("%PDF-1.7\n"), "application/pdf", `attachment; filename*=utf-8''rapport%20%C3%A9.pdf`},
		{"v.webm", "audio/webm", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"), "audio/webm", `inline; filename=v.webm`},
	} {
		done := e.upload(tok, tc.name, tc.claimed, tc.data)
		assert.Equal(t, tc.typ, done.MIMEType, tc.name)
		st, hdr, _ := e.req("GET", done.DownloadURL, "", nil, nil)
		require.Equal(t, http.StatusOK, st, tc.name)
		assert.Equal(t, tc.typ, hdr.Get("Content-Type"), tc.name)
		assert.Equal(t, tc.disp, hdr.Get("Content-Disposition"), tc.name)
		assert.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"), tc.name)
		assert.Contains(t, hdr.Get("Content-Security-Policy"), "sandbox", tc.name)
	}
}

// Public uploads (avatars) are served from their lasting URL to anyone.
func TestPublicUpload(t *testing.T) {
	e := newEnv(t)
	_, tok := e.register("alice")
	data := pngBytes(64)
	st, up, body := start(t, e, tok, protocol.UploadStartReq{FileName: "me.png", MIMEType: "image/png", Size: 64, Public: true})
	require.Equal(t, http.StatusCreated, st, "%s", body)
	st, _ = putChunk(e, tok, up.UploadID, 0, data)
	require.Equal(t, http.StatusNoContent, st)
	st, _, body = e.req("POST", protocol.UploadsPath+"/"+up.UploadID+"/complete", tok, nil, nil)
	require.Equal(t, http.StatusOK, st)
	var done protocol.UploadCompleteResp
	require.NoError(t, json.Unmarshal(body, &done))
	st, _, got := e.req("GET", done.URL, "", nil, nil)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, data, got)
	assert.NoError(t, protocol.CheckFileName("me.png"))
	_, err := protocol.CheckContent(protocol.ContentCard, []byte(fmt.Sprintf(`{"userID":"alice","faceURL":%q}`, done.URL)))
	assert.NoError(t, err, "a public URL is a faceURL")
}
