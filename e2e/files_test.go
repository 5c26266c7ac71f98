package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
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
	"parley/server"
	"parley/server/files"
)

// withFiles gives the server a local blob store and small chunks, so a
// test file spans several.
func withFiles(t *testing.T) func(*server.Config) { return withChunks(t, protocol.MinChunkSize) }

// withChunks gives the server a local blob store and chunks of at most
// chunk bytes (0: the default).
func withChunks(t *testing.T, chunk int64) func(*server.Config) {
	dir := filepath.Join(t.TempDir(), "files")
	return func(cfg *server.Config) {
		fs, err := files.OpenLocal(dir)
		require.NoError(t, err)
		cfg.Media.Files = fs
		cfg.Media.ChunkSize = chunk
	}
}

func pngBytes(n int) []byte {
	// A PNG signature, so the server sniffs image/png, then filler.
	b := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, n)...)
	for i := 8; i < len(b); i++ {
		b[i] = byte(i * 13)
	}
	return b
}

// An image goes up through parleyd's upload routes as part of its send:
// the receiver gets the content with the file's url, and the server holds
// the bytes as given.
func TestImageMessageThroughParleyd(t *testing.T) {
	e := newEnv(t, withFiles(t))
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	ctx := context.Background()
	photo := pngBytes(900 << 10)
	thumb := pngBytes(2 << 10)
	m, err := a.c.CreateImageMessage(core.ImageFile{File: core.File{Name: "p.png", Type: "image/png", Data: core.ByteSlice(photo)}, Width: 1200, Height: 900},
		core.ImageFile{File: core.File{Name: "t.png", Type: "image/png", Data: core.ByteSlice(thumb)}, Width: 320, Height: 240})
	require.NoError(t, err)
	sent, err := a.c.SendMessage(ctx, m, "bob", "")
	require.NoError(t, err)
	var c protocol.ImageContent
	require.NoError(t, json.Unmarshal(sent.Content, &c))
	assert.Contains(t, c.URL, e.url+protocol.FilesPath+"/")
	assert.Contains(t, c.Thumbnail.URL, e.url+protocol.FilesPath+"/")
	assert.Equal(t, "image/png", c.MIMEType)
	assert.Equal(t, int64(len(photo)), c.Size)
	assert.Equal(t, 1200, c.Width)

	b.waitNew(1)
	got := b.newMessages()[0]
	assert.Equal(t, protocol.ContentImage, got.ContentType)
	assert.JSONEq(t, string(sent.Content), string(got.Content))

	// Bob downloads it through the URL the SDK signed for him; the lasting
	// URL alone is refused.
	shown := b.c.SignFileURLs(ctx, []core.Message{got})
	var sc protocol.ImageContent
	require.NoError(t, json.Unmarshal(shown[0].Content, &sc))
	require.NotEqual(t, c.URL, sc.URL, "signed")
	require.NotEqual(t, c.Thumbnail.URL, sc.Thumbnail.URL, "signed")
	if r, err := http.Get(c.URL); assert.NoError(t, err) {
		r.Body.Close()
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
	}
	fwd, err := b.c.CreateForwardMessage(shown[0])
	require.NoError(t, err)
	assert.JSONEq(t, string(sent.Content), string(fwd.Content), "a forward carries the lasting URLs")
	resp, err := http.Get(sc.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(photo, body), "stored byte for byte")
}

// The page goes away in the middle of an upload; the next login on the
// same store resumes it from the chunks parleyd holds, and the message is
// sent exactly once. In between parleyd restarts too.
func TestUploadResumesAcrossReloadAndRestart(t *testing.T) {
	mod := withFiles(t)
	e := newEnv(t, mod)
	e.user("alice")
	e.user("bob")
	ctx := context.Background()
	st := mem.New()
	data := pngBytes(3 << 20) // 13 chunks of 256 KiB
	var mu sync.Mutex
	puts := 0
	stopAfter := 4
	resumed := map[string]bool{}   // the chunks put after the restart, by index
	confirmed := map[string]bool{} // the chunks parleyd confirmed before it
	held := make(chan struct{})    // closed when a PUT is held up
	slow := &countingHTTP{inner: core.NativeHTTP{}, onPut: func(url string) bool {
		mu.Lock()
		defer mu.Unlock()
		puts++
		if puts == stopAfter+1 {
			close(held)
		}
		if stopAfter == 1<<30 {
			resumed[url[strings.LastIndexByte(url, '/')+1:]] = true
		}
		return puts > stopAfter
	}, onConfirmed: func(url string) {
		mu.Lock()
		defer mu.Unlock()
		if stopAfter != 1<<30 {
			confirmed[url[strings.LastIndexByte(url, '/')+1:]] = true
		}
	}}
	b := e.device("bob", deviceOpt{})
	a := e.device("alice", deviceOpt{store: st, cfg: func(c *core.Config) { c.HTTP = slow }})
	m, err := a.c.CreateFileMessage(core.File{Name: "big.bin", Type: "application/octet-stream", Data: core.ByteSlice(data)}, "")
	require.NoError(t, err)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := a.c.SendMessage(sctx, m, "bob", ""); done <- err }()
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the upload never reached its fifth chunk")
	}
	cancel()
	require.Error(t, <-done, "the upload is held up at its fifth chunk")
	a.logout()
	e.stop()
	e.restart(mod)

	mu.Lock()
	stopAfter = 1 << 30
	mu.Unlock()
	a2 := e.device("alice", deviceOpt{store: st, cfg: func(c *core.Config) { c.HTTP = slow }})
	a2.waitOutboxEmpty()
	b.waitNew(1)
	got := b.newMessages()
	require.Len(t, got, 1, "sent exactly once")
	assert.Equal(t, m.ClientMsgID, got[0].ClientMsgID)
	var c protocol.FileContent
	require.NoError(t, json.Unmarshal(got[0].Content, &c))
	assert.Equal(t, int64(len(data)), c.Size)
	assert.Equal(t, "big.bin", c.FileName)
	mu.Lock()
	// Some chunks were confirmed, the next ones (up to three are in
	// flight) cut off by the reload, stored or not; then the chunks the
	// server lacked go up: none it confirmed is sent again.
	assert.NotEmpty(t, confirmed)
	assert.GreaterOrEqual(t, len(resumed), 13-len(confirmed)-3)
	for i := range 13 {
		k := strconv.Itoa(i)
		assert.False(t, confirmed[k] && resumed[k], "chunk %d was confirmed, then sent again", i)
	}
	assert.Equal(t, 13, (len(data)+protocol.MinChunkSize-1)/protocol.MinChunkSize)
	mu.Unlock()
	h := b.history(got[0].ConversationID)
	assert.Len(t, h, 1)
}

// countingHTTP passes requests on; a PUT for which onPut reports true
// hangs until its context ends, as on a link that went dead.
type countingHTTP struct {
	inner core.HTTPDoer
	onPut func(url string) bool
	// onConfirmed, when set, sees every PUT the server confirmed.
	onConfirmed func(url string)
}

func (c *countingHTTP) Do(ctx context.Context, r *core.HTTPRequest) (*core.HTTPResponse, error) {
	if r.Method == http.MethodPut && c.onPut(r.URL) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	resp, err := c.inner.Do(ctx, r)
	if err == nil && r.Method == http.MethodPut && resp.Status == http.StatusNoContent && c.onConfirmed != nil {
		c.onConfirmed(r.URL)
	}
	return resp, err
}
