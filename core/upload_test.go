package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// fakeUploads is the upload routes (contract §4.1, §10) behind a
// core.HTTPDoer, in memory, for the sender's logic; e2e tests the SDK
// against parleyd's own routes.
type fakeUploads struct {
	chunkSize int64

	mu      sync.Mutex
	uploads map[string]*fakeUpload
	puts    []string // "id/index" of every PUT that was stored
	starts  int
	// hook, when set, runs before a request is answered; a non-nil
	// answer or error replaces the normal one.
	hook func(method, path string) (*core.HTTPResponse, error)
}

type fakeUpload struct {
	size   int64
	chunks map[int][]byte
	done   bool
}

func newFakeUploads(chunk int64) *fakeUploads {
	return &fakeUploads{chunkSize: chunk, uploads: map[string]*fakeUpload{}}
}

func jsonResp(status int, v any) *core.HTTPResponse {
	b, _ := json.Marshal(v)
	return &core.HTTPResponse{Status: status, Body: b}
}

func errResp(status int, code protocol.Code) *core.HTTPResponse {
	return jsonResp(status, map[string]any{"error": map[string]any{"code": code, "message": "refused"}})
}

func (f *fakeUploads) Do(ctx context.Context, r *core.HTTPRequest) (*core.HTTPResponse, error) {
	if r.Token != "tok" {
		return errResp(401, protocol.CodeUnauthenticated), nil
	}
	path := strings.TrimPrefix(r.URL, "http://parley.test/api/v1/uploads")
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		if resp, err := hook(r.Method, path); resp != nil || err != nil {
			return resp, err
		}
	}
	var body []byte
	for _, p := range r.Body {
		b, err := p.ReadBytes(ctx)
		if err != nil {
			return nil, err
		}
		body = append(body, b...)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case r.Method == "POST" && path == "":
		var req struct {
			Size int64 `json:"size"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.Size <= 0 {
			return errResp(400, protocol.CodeInvalidArgument), nil
		}
		f.starts++
		id := "up" + strconv.Itoa(f.starts)
		f.uploads[id] = &fakeUpload{size: req.Size, chunks: map[int][]byte{}}
		return jsonResp(201, map[string]any{"uploadID": id, "chunkSize": f.chunkSize}), nil
	case r.Method == "GET" && len(parts) == 1:
		u := f.uploads[parts[0]]
		if u == nil {
			return errResp(404, protocol.CodeNotFound), nil
		}
		received := []int{}
		for i := range u.chunks {
			received = append(received, i)
		}
		return jsonResp(200, map[string]any{"uploadID": parts[0], "size": u.size, "chunkSize": f.chunkSize, "received": received}), nil
	case r.Method == "PUT" && len(parts) == 2:
		u := f.uploads[parts[0]]
		i, err := strconv.Atoi(parts[1])
		if u == nil || err != nil {
			return errResp(404, protocol.CodeNotFound), nil
		}
		want := min(f.chunkSize, u.size-int64(i)*f.chunkSize)
		if int64(len(body)) != want {
			return errResp(400, protocol.CodeInvalidArgument), nil
		}
		u.chunks[i] = body
		f.puts = append(f.puts, path)
		return &core.HTTPResponse{Status: 204}, nil
	case r.Method == "POST" && len(parts) == 2 && parts[1] == "complete":
		u := f.uploads[parts[0]]
		if u == nil {
			return errResp(404, protocol.CodeNotFound), nil
		}
		var n int64
		for _, c := range u.chunks {
			n += int64(len(c))
		}
		if n != u.size {
			return errResp(400, protocol.CodeInvalidArgument), nil
		}
		u.done = true
		return jsonResp(200, map[string]any{"url": "http://parley.test/files/" + parts[0], "mimeType": "image/png", "size": u.size}), nil
	}
	return errResp(404, protocol.CodeNotFound), nil
}

// file returns the bytes of upload id, joined.
func (f *fakeUploads) file(id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.uploads[id]
	var out []byte
	for i := 0; i < len(u.chunks); i++ {
		out = append(out, u.chunks[i]...)
	}
	return out
}

func (f *fakeUploads) putCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.puts)
}

// testFile returns n bytes that differ at every offset that matters.
func testFile(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/1000)
	}
	return b
}

// createWithFile makes a custom message whose data.url is filled by the
// upload of data: custom content takes any member, so the machinery is
// tested without the file-bearing codecs.
func createWithFile(t *testing.T, c *core.Client, data []byte) core.Message {
	t.Helper()
	m, err := c.CreateMessageWithFiles(protocol.ContentCustom, json.RawMessage(`{"data":{"kind":"photo"},"description":"a photo"}`),
		[]core.File{{Name: "p.png", Type: "image/png", Data: core.ByteSlice(data)}}, []string{"data"})
	require.NoError(t, err)
	require.Len(t, m.Uploads, 1)
	return m
}

func progressOf(id string, evs []core.Event) []core.MessageProgress {
	var out []core.MessageProgress
	for _, ev := range evs {
		if p, ok := ev.(core.MessageProgress); ok && p.ClientMsgID == id {
			out = append(out, p)
		}
	}
	return out
}

func sendsOf(fs *fakeServer, id string) func() int {
	var mu sync.Mutex
	n := 0
	fs.set(func(s *fakeServer) {
		s.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
			if f.Type == protocol.ReqSend && strings.Contains(string(f.Data), id) {
				mu.Lock()
				n++
				mu.Unlock()
			}
			resp, perr := defaultAnswer(s, f)
			return resp, perr, true
		}
	})
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// A file goes up chunk by chunk before its message, the content carries
// its url, progress counts confirmed bytes up to the total before sent,
// and the stored bytes go once the message is sent.
func TestUploadThenSend(t *testing.T) {
	ctx := context.Background()
	up := newFakeUploads(256 << 10)
	fs := &fakeServer{}
	st := mem.New()
	c, rec := newTestClient(t, fs, st, func(cfg *core.Config) { cfg.HTTP = up })
	require.NoError(t, c.Login(ctx, "me", "tok"))
	data := testFile(1<<20 + 12345) // five chunks, the last one short
	m := createWithFile(t, c, data)
	sends := sendsOf(fs, m.ClientMsgID)

	got, err := c.SendMessage(ctx, m, "bob", "")
	require.NoError(t, err)
	assert.Equal(t, core.StatusSent, got.Status)
	assert.Equal(t, 1, sends(), "the message is sent once")
	assert.Equal(t, data, up.file("up1"), "the server holds the file byte for byte")
	assert.Equal(t, 5, up.putCount())

	var content struct {
		Data struct {
			Kind string `json:"kind"`
			URL  string `json:"url"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got.Content, &content))
	assert.Equal(t, "http://parley.test/files/up1", content.Data.URL)
	assert.Equal(t, "photo", content.Data.Kind, "the app's members stay")

	rec.waitFor(t, "sent", hasStatus(m.ClientMsgID, core.StatusSent))
	rec.mu.Lock()
	evs := append([]core.Event(nil), rec.events...)
	rec.mu.Unlock()
	ps := progressOf(m.ClientMsgID, evs)
	require.NotEmpty(t, ps)
	for i, p := range ps {
		assert.Equal(t, int64(len(data)), p.BytesTotal)
		if i > 0 {
			assert.GreaterOrEqual(t, p.BytesSent, ps[i-1].BytesSent, "progress never goes back")
		}
	}
	assert.Equal(t, ps[len(ps)-1].BytesSent, ps[len(ps)-1].BytesTotal, "the last event is complete")
	assert.GreaterOrEqual(t, len(ps), 5, "an event per confirmed chunk")
	lastProgress, sentAt := -1, -1
	for i, ev := range evs {
		if p, ok := ev.(core.MessageProgress); ok && p.ClientMsgID == m.ClientMsgID {
			lastProgress = i
		}
		if s, ok := ev.(core.MessageStatusChanged); ok && s.Message.ClientMsgID == m.ClientMsgID && s.Message.Status == core.StatusSent {
			sentAt = i
		}
	}
	assert.Less(t, lastProgress, sentAt, "the complete progress comes before sent")

	chunks, err := st.Chunks(ctx, m.ClientMsgID, 0, 0, 100)
	require.NoError(t, err)
	assert.Empty(t, chunks, "the stored bytes are dropped once the file is up")
	stored, err := st.Messages(ctx, []string{m.ClientMsgID})
	require.NoError(t, err)
	require.Len(t, stored, 1)
	assert.Empty(t, stored[0].Uploads)
}

// The bytes are stored with the message before anything goes on the
// wire: a reload mid-upload resumes from the chunks the server holds and
// sends the message once.
func TestUploadResumesAfterReload(t *testing.T) {
	ctx := context.Background()
	up := newFakeUploads(256 << 10)
	var mu sync.Mutex
	allowed := 2 // PUTs answered before the "crash"
	up.hook = func(method, path string) (*core.HTTPResponse, error) {
		if method != "PUT" {
			return nil, nil
		}
		mu.Lock()
		defer mu.Unlock()
		if allowed == 0 {
			return nil, fmt.Errorf("connection reset")
		}
		allowed--
		return nil, nil
	}
	fs := &fakeServer{}
	st := mem.New()
	c, rec := newTestClient(t, fs, st, func(cfg *core.Config) { cfg.HTTP = up })
	require.NoError(t, c.Login(ctx, "me", "tok"))
	data := testFile(6 * 256 << 10)
	m := createWithFile(t, c, data)
	sctx, cancel := context.WithCancel(ctx)
	go func() {
		rec.waitFor(t, "two chunks", func(evs []core.Event) bool {
			ps := progressOf(m.ClientMsgID, evs)
			return len(ps) > 0 && ps[len(ps)-1].BytesSent == 2*256<<10
		})
		cancel()
	}()
	_, err := c.SendMessage(sctx, m, "bob", "")
	require.Equal(t, protocol.CodeCanceled, protocol.CodeOf(err))
	require.NoError(t, c.Logout(ctx))
	assert.Equal(t, 2, up.putCount())

	// The page reloads: a new client on the same store, the server works.
	mu.Lock()
	allowed = 100
	mu.Unlock()
	c2, rec2 := newTestClient(t, fs, st, func(cfg *core.Config) { cfg.HTTP = up })
	sends := sendsOf(fs, m.ClientMsgID)
	require.NoError(t, c2.Login(ctx, "me", "tok"))
	rec2.waitFor(t, "sent after the reload", hasStatus(m.ClientMsgID, core.StatusSent))
	assert.Equal(t, 1, sends(), "sent once")
	assert.Equal(t, 6, up.putCount(), "no chunk the server confirmed is sent again")
	assert.Equal(t, 1, up.starts, "the same upload is resumed")
	assert.Equal(t, data, up.file("up1"))
	rec2.mu.Lock()
	ps := progressOf(m.ClientMsgID, rec2.events)
	rec2.mu.Unlock()
	require.NotEmpty(t, ps)
	assert.Equal(t, int64(2*256<<10), ps[0].BytesSent, "the resumed upload announces where it stands")
}

// A refusal fails the message with the server's code; a retry after the
// cause is gone sends it, from the stored bytes.
func TestUploadRefusedThenRetried(t *testing.T) {
	ctx := context.Background()
	up := newFakeUploads(256 << 10)
	var mu sync.Mutex
	refuse := true
	up.hook = func(method, path string) (*core.HTTPResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		if refuse && method == "POST" && path == "" {
			return errResp(413, protocol.CodeTooLarge), nil
		}
		return nil, nil
	}
	fs := &fakeServer{}
	st := mem.New()
	c, _ := newTestClient(t, fs, st, func(cfg *core.Config) { cfg.HTTP = up })
	require.NoError(t, c.Login(ctx, "me", "tok"))
	data := testFile(300 << 10)
	m := createWithFile(t, c, data)
	_, err := c.SendMessage(ctx, m, "bob", "")
	require.Equal(t, protocol.CodeTooLarge, protocol.CodeOf(err))
	stored, err := st.Messages(ctx, []string{m.ClientMsgID})
	require.NoError(t, err)
	require.Len(t, stored, 1)
	assert.Equal(t, core.StatusFailed, stored[0].Status)

	mu.Lock()
	refuse = false
	mu.Unlock()
	got, err := c.SendMessage(ctx, stored[0], "bob", "")
	require.NoError(t, err, "the retry uploads the stored bytes")
	assert.Equal(t, core.StatusSent, got.Status)
	assert.Equal(t, data, up.file("up1"))
}

// Deleting the unsent message cancels its upload: the waiting send
// rejects with canceled and nothing of it is left.
func TestDeleteUnsentCancelsUpload(t *testing.T) {
	ctx := context.Background()
	up := newFakeUploads(256 << 10)
	release := make(chan struct{})
	up.hook = func(method, path string) (*core.HTTPResponse, error) {
		if method == "PUT" && strings.HasSuffix(path, "/1") {
			<-release
		}
		return nil, nil
	}
	defer close(release)
	fs := &fakeServer{}
	st := mem.New()
	c, rec := newTestClient(t, fs, st, func(cfg *core.Config) { cfg.HTTP = up })
	require.NoError(t, c.Login(ctx, "me", "tok"))
	m := createWithFile(t, c, testFile(3*256<<10))
	sends := sendsOf(fs, m.ClientMsgID)
	errc := make(chan error, 1)
	go func() { _, err := c.SendMessage(ctx, m, "bob", ""); errc <- err }()
	rec.waitFor(t, "the first chunk", func(evs []core.Event) bool {
		ps := progressOf(m.ClientMsgID, evs)
		return len(ps) > 0 && ps[len(ps)-1].BytesSent > 0
	})
	require.NoError(t, c.DeleteUnsentMessage(ctx, "", m.ClientMsgID))
	assert.Equal(t, protocol.CodeCanceled, protocol.CodeOf(<-errc))
	ms, err := st.Messages(ctx, []string{m.ClientMsgID})
	require.NoError(t, err)
	assert.Empty(t, ms)
	es, err := st.Outbox(ctx)
	require.NoError(t, err)
	assert.Empty(t, es)
	cs, err := st.Chunks(ctx, m.ClientMsgID, 0, 0, 10)
	require.NoError(t, err)
	assert.Empty(t, cs)
	assert.Equal(t, 0, sends())
	err = c.DeleteUnsentMessage(ctx, "", m.ClientMsgID)
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(err))
}

// An upload that keeps moving is not cut off by the send timeout: every
// confirmed chunk pushes the deadline on (uploads.go's policy).
func TestSlowUploadOutlivesSendTimeout(t *testing.T) {
	ctx := context.Background()
	up := newFakeUploads(256 << 10)
	up.hook = func(method, path string) (*core.HTTPResponse, error) {
		if method == "PUT" {
			time.Sleep(60 * time.Millisecond)
		}
		return nil, nil
	}
	fs := &fakeServer{}
	c, _ := newTestClient(t, fs, mem.New(), func(cfg *core.Config) {
		cfg.HTTP = up
		cfg.SendTimeout = 150 * time.Millisecond
		cfg.UploadMinRate = 1 << 30 // no allowance: the send timeout alone
	})
	require.NoError(t, c.Login(ctx, "me", "tok"))
	data := testFile(8 * 256 << 10) // 8 chunks: ~480 ms, over 3 send timeouts
	m := createWithFile(t, c, data)
	got, err := c.SendMessage(ctx, m, "bob", "")
	require.NoError(t, err)
	assert.Equal(t, core.StatusSent, got.Status)
	assert.Equal(t, data, up.file("up1"))
}

// An upload that stalls fails once a send timeout passed without progress.
func TestStalledUploadFails(t *testing.T) {
	ctx := context.Background()
	up := newFakeUploads(256 << 10)
	up.hook = func(method, path string) (*core.HTTPResponse, error) {
		if method == "PUT" {
			return nil, fmt.Errorf("no route to host")
		}
		return nil, nil
	}
	fs := &fakeServer{}
	c, _ := newTestClient(t, fs, mem.New(), func(cfg *core.Config) {
		cfg.HTTP = up
		cfg.SendTimeout = 300 * time.Millisecond
		cfg.UploadMinRate = 1 << 30
	})
	require.NoError(t, c.Login(ctx, "me", "tok"))
	m := createWithFile(t, c, testFile(100))
	_, err := c.SendMessage(ctx, m, "bob", "")
	assert.Equal(t, protocol.CodeNetwork, protocol.CodeOf(err))
}

// UploadFile uploads outside a message and reports confirmed bytes.
func TestUploadFile(t *testing.T) {
	ctx := context.Background()
	up := newFakeUploads(256 << 10)
	fs := &fakeServer{}
	c, _ := newTestClient(t, fs, mem.New(), func(cfg *core.Config) { cfg.HTTP = up })
	require.NoError(t, c.Login(ctx, "me", "tok"))
	data := testFile(600 << 10)
	var seen []int64
	r, err := c.UploadFile(ctx, core.File{Name: "face.png", Type: "image/png", Data: core.ByteSlice(data)}, func(sent, total int64) {
		assert.Equal(t, int64(len(data)), total)
		seen = append(seen, sent)
	})
	require.NoError(t, err)
	assert.Equal(t, core.UploadResult{URL: "http://parley.test/files/up1", MimeType: "image/png", Size: int64(len(data))}, r)
	assert.Equal(t, []int64{256 << 10, 512 << 10, 600 << 10}, seen)
	assert.True(t, bytes.Equal(data, up.file("up1")))

	_, err = c.UploadFile(ctx, core.File{Name: "empty"}, nil)
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "an empty file is refused with a code")
}
