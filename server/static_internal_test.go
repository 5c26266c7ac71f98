package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testTree() fstest.MapFS {
	return fstest.MapFS{
		"index.html":        {Data: []byte("<!doctype html>" + strings.Repeat("<p>hi</p>", 300))},
		"app.js":            {Data: []byte(strings.Repeat("console.log(1);", 300))},
		"views/chat.js":     {Data: []byte(strings.Repeat("export {};", 300))},
		"img/logo.png":      {Data: []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 2000))},
		"chunk-5HBDLA2T.js": {Data: []byte("x")},
	}
}

// Files are compressed at start, in the background, with no request
// asking: the first download does not wait for a compression.
func TestStaticFilesPreparedAtStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sf := newStaticFiles(ctx, testTree(), slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(30 * time.Second)
	for {
		sf.mu.Lock()
		e := sf.files["views/chat.js"]
		sf.mu.Unlock()
		if e != nil && e.br.Load() != nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "views/chat.js was never compressed")
		time.Sleep(5 * time.Millisecond)
	}
	sf.mu.Lock()
	defer sf.mu.Unlock()
	for _, name := range []string{"index.html", "app.js", "views/chat.js"} {
		e := sf.files[name]
		require.NotNil(t, e, name)
		assert.NotNil(t, e.gz, name)
		assert.NotNil(t, e.br.Load(), name)
	}
	assert.Nil(t, sf.files["img/logo.png"].gz, "an image was compressed")
	assert.Positive(t, sf.memory)
	assert.LessOrEqual(t, sf.memory, int64(maxStaticMemory))
}

func TestCachePolicy(t *testing.T) {
	for name, want := range map[string]string{
		"index.js":                   cacheRevalidate,
		"parley.wasm":                cacheRevalidate,
		"wasm_exec.js":               cacheRevalidate,
		"index.html":                 cacheRevalidate,
		"views/conversations.js":     cacheRevalidate, // long, but no digit
		"jquery-3.7.1.min.js":        cacheRevalidate,
		"polyfill-2024.js":           cacheRevalidate,
		"chunk-5HBDLA2T.js":          cacheImmutable,
		"assets/app.3f9a0c1d.css":    cacheImmutable,
		"parley.0123456789abcd.wasm": cacheImmutable,
		"5HBDLA2T.js":                cacheRevalidate, // the name itself, not a hash beside one
	} {
		assert.Equal(t, want, cachePolicy(name), name)
	}
}

// FuzzStaticPaths: whatever the path, the file server answers without a
// 5xx, never lists a directory, and serves only the tree's own files.
func FuzzStaticPaths(f *testing.F) {
	for _, p := range []string{"/", "/views/", "/views", "/app.js", "/index.js\x00.png", "/../etc/passwd", "/a\\b", "/\xff", "//app.js", "/views/../app.js", "/img/logo.png/"} {
		f.Add(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	tree := testTree()
	sf := newStaticFiles(ctx, tree, slog.New(slog.DiscardHandler))
	f.Fuzz(func(t *testing.T, p string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path = "/" + strings.TrimPrefix(p, "/")
		w := httptest.NewRecorder()
		sf.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%q: %d", p, w.Code)
		}
		body := w.Body.String()
		if strings.Contains(body, "chat.js") || strings.Contains(body, "<a href") {
			t.Fatalf("%q lists a directory: %s", p, body)
		}
		if w.Code == http.StatusOK {
			name, err := fileName(r.URL.Path)
			if err != nil || tree[name] == nil {
				t.Fatalf("%q served %q, not a file of the tree", p, name)
			}
		}
	})
}

// Copies compressed at build time (name.gz, name.br beside the file) are
// served as they are, without compressing at start; one that is not a
// copy of its file is ignored.
func TestStaticPrecompressedCopies(t *testing.T) {
	js := []byte(strings.Repeat("export const greeting = 'hello parley';\n", 2000))
	other := []byte(strings.Repeat("export const greeting = 'hello world!';\n", 2000))
	// Fast levels, so that the copies differ from what the server makes.
	gz := compress(js, func(w io.Writer) io.WriteCloser { zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed); return zw })
	br := compress(js, func(w io.Writer) io.WriteCloser { return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: 1}) })
	stale := compress(other, gzipWriter)
	tree := fstest.MapFS{
		"index.js":    {Data: js},
		"index.js.gz": {Data: gz},
		"index.js.br": {Data: br},
		"old.js":      {Data: js},
		"old.js.gz":   {Data: stale},
	}
	sf := newStaticFiles(context.Background(), tree, slog.New(slog.DiscardHandler))
	get := func(path, enc string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Encoding", enc)
		w := httptest.NewRecorder()
		sf.ServeHTTP(w, req)
		require.Equal(t, http.StatusOK, w.Code, path)
		return w
	}
	// The first request already gets the build's copies.
	w := get("/index.js", "gzip, br")
	assert.Equal(t, "br", w.Header().Get("Content-Encoding"))
	assert.Equal(t, br, w.Body.Bytes())
	w = get("/index.js", "gzip")
	assert.Equal(t, "gzip", w.Header().Get("Content-Encoding"))
	assert.Equal(t, gz, w.Body.Bytes())

	w = get("/old.js", "gzip")
	assert.Equal(t, "gzip", w.Header().Get("Content-Encoding"))
	assert.NotEqual(t, stale, w.Body.Bytes(), "a stale copy was served")
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	require.NoError(t, err)
	got, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, js, got)

	// Asked for by name, a copy is a file like any other.
	w = get("/index.js.gz", "")
	assert.Equal(t, gz, w.Body.Bytes())
	assert.Empty(t, w.Header().Get("Content-Encoding"))
}
