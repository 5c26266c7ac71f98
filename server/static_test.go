package server_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server"
)

// getRaw GETs path without the transport's transparent decompression, so
// the test sees exactly what the server sent.
func getRaw(t *testing.T, e *env, path, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.hs.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return out
}

func TestSecurityHeaders(t *testing.T) {
	sdk := t.TempDir()
	os.WriteFile(filepath.Join(sdk, "index.js"), []byte("export {}"), 0o644)
	e := newEnv(t, func(c *server.Config) {
		c.SDKDir = sdk
		c.DemoFS = fstest.MapFS{"index.html": {Data: []byte("<h1>demo</h1>")}, "app.js": {Data: []byte("1")}}
	})
	common := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"X-Frame-Options":            "DENY",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	for _, tc := range []struct{ path, csp string }{
		{"/", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"},
		{"/app.js", "script-src 'self' 'wasm-unsafe-eval'"},
		{"/sdk/index.js", "script-src 'self' 'wasm-unsafe-eval'"},
		{"/sdk/missing.js", "object-src 'none'"},
		{"/api/v1/auth/login", "default-src 'none'"},
		{"/api/v1/no/such/route", "default-src 'none'"},
		{"/ws", "frame-ancestors 'none'"},
	} {
		resp, body := getRaw(t, e, tc.path, "")
		h := resp.Header
		for k, v := range common {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", tc.path, k, h.Get(k), v)
			}
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, tc.csp) {
			t.Errorf("%s: CSP %q lacks %q", tc.path, csp, tc.csp)
		}
		if strings.Contains(string(body), "<script") {
			t.Errorf("%s: body has a script: %s", tc.path, body)
		}
	}
	// The policy of the demo allows no inline script or style.
	resp, _ := getRaw(t, e, "/", "")
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "'unsafe-eval'") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
}

func TestStaticGzip(t *testing.T) {
	sdk := t.TempDir()
	wasmPath := filepath.Join(sdk, "parley.wasm")
	wasm := append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte("parley wasm body "), 20000)...)
	require.NoError(t, os.WriteFile(wasmPath, wasm, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sdk, "tiny.js"), []byte("export {}"), 0o644))
	page := []byte("<!doctype html><title>demo</title>" + strings.Repeat("<p>hello</p>", 500))
	e := newEnv(t, func(c *server.Config) {
		c.SDKDir = sdk
		c.DemoFS = fstest.MapFS{"index.html": {Data: page, ModTime: time.Unix(1_700_000_000, 0)}}
	})

	// A client that accepts gzip gets it, with the wasm type kept.
	resp, body := getRaw(t, e, "/sdk/parley.wasm", "gzip, deflate")
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Vary"), "Accept-Encoding")
	assert.Less(t, len(body), len(wasm)/10)
	assert.Equal(t, wasm, gunzip(t, body), "gzip body differs from the file")
	// Served again from memory: the same bytes.
	_, again := getRaw(t, e, "/sdk/parley.wasm", "gzip")
	assert.Equal(t, body, again, "second answer differs")

	// A client that does not accept gzip (or refuses it) gets the file as is.
	for _, ae := range []string{"", "identity", "gzip;q=0, identity"} {
		resp, body = getRaw(t, e, "/sdk/parley.wasm", ae)
		assert.Empty(t, resp.Header.Get("Content-Encoding"), ae)
		assert.Equal(t, wasm, body, ae)
		assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"), ae)
		assert.Contains(t, resp.Header.Get("Vary"), "Accept-Encoding", ae)
	}

	// A rebuilt file is compressed anew.
	wasm2 := append(wasm[:len(wasm):len(wasm)], []byte("v2")...)
	require.NoError(t, os.WriteFile(wasmPath, wasm2, 0o644))
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(wasmPath, later, later))
	_, body = getRaw(t, e, "/sdk/parley.wasm", "gzip")
	assert.Equal(t, wasm2, gunzip(t, body), "stale compressed copy after the file changed")

	// Small files are not worth it; ranges are served from the file.
	resp, body = getRaw(t, e, "/sdk/tiny.js", "gzip")
	assert.Empty(t, resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "export {}", string(body))
	rr, rb := getWith(t, e, "/sdk/parley.wasm", http.Header{"Accept-Encoding": {"gzip, br"}, "Range": {"bytes=0-3"}})
	assert.Equal(t, http.StatusPartialContent, rr.StatusCode)
	assert.Equal(t, "\x00asm", string(rb))
	assert.Empty(t, rr.Header.Get("Content-Encoding"))

	// The demo's pages too, at / and by name.
	for _, p := range []string{"/", "/index.html"} {
		resp, body = getRaw(t, e, p, "gzip")
		require.Equal(t, 200, resp.StatusCode, p)
		require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), p)
		assert.Equal(t, page, gunzip(t, body), p)
		assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"), p)
	}
	// Conditional requests still work on the compressed copy.
	rr, _ = getWith(t, e, "/", http.Header{"Accept-Encoding": {"gzip"}, "If-Modified-Since": {time.Unix(1_700_000_100, 0).UTC().Format(http.TimeFormat)}})
	assert.Equal(t, http.StatusNotModified, rr.StatusCode)
}

// getWith GETs path with the given headers, without transparent
// decompression.
func getWith(t *testing.T, e *env, path string, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.hs.URL+path, nil)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header[k] = v
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func unbrotli(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
	require.NoError(t, err, "bad brotli")
	return out
}

// Brotli for the clients that accept it, once compressed in the
// background (gzip until then); each encoding its own ETag.
func TestStaticBrotli(t *testing.T) {
	sdk := t.TempDir()
	js := []byte(strings.Repeat("export const greeting = 'hello parley';\n", 2000))
	require.NoError(t, os.WriteFile(filepath.Join(sdk, "index.js"), js, 0o644))
	e := newEnv(t, func(c *server.Config) { c.SDKDir = sdk })

	var resp *http.Response
	var body []byte
	for deadline := time.Now().Add(waitFor); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, body = getWith(t, e, "/sdk/index.js", http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
		require.Equal(t, 200, resp.StatusCode)
		if resp.Header.Get("Content-Encoding") == "br" {
			break
		}
		require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), "before brotli is ready")
	}
	require.Equal(t, "br", resp.Header.Get("Content-Encoding"), "no brotli copy")
	assert.Equal(t, js, unbrotli(t, body))
	brTag := resp.Header.Get("ETag")

	gz, _ := getWith(t, e, "/sdk/index.js", http.Header{"Accept-Encoding": {"gzip"}})
	plain, _ := getWith(t, e, "/sdk/index.js", nil)
	tags := []string{brTag, gz.Header.Get("ETag"), plain.Header.Get("ETag")}
	for _, tag := range tags {
		assert.Regexp(t, `^"[0-9a-f]{32}(-br|-gz)?"$`, tag)
	}
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(tags))), 3, "encodings share an ETag: %v", tags)
	// The same refusal rules as for gzip.
	resp, _ = getWith(t, e, "/sdk/index.js", http.Header{"Accept-Encoding": {"br;q=0, gzip"}})
	assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
}

// ETags and conditional GETs: an unchanged file answers 304 to its ETag in
// every encoding; a changed one has a new ETag. Names without a content
// hash are revalidated on every use (no-cache); hashed ones are cached for
// a year.
func TestStaticETagsAndCaching(t *testing.T) {
	sdk := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		require.NoError(t, os.WriteFile(filepath.Join(sdk, name), []byte(content), 0o644))
	}
	big := strings.Repeat("wasm bytes ", 500)
	write("parley.wasm", big)
	write("index.js", strings.Repeat("export {};\n", 200))
	write("wasm_exec.js", "short")
	write("chunk-5HBDLA2T.js", strings.Repeat("chunk();", 200))
	write("app.3f9a0c1d.css", "body{}")
	e := newEnv(t, func(c *server.Config) { c.SDKDir = sdk })

	for name, want := range map[string]string{
		"parley.wasm":       "no-cache",
		"index.js":          "no-cache",
		"wasm_exec.js":      "no-cache",
		"chunk-5HBDLA2T.js": "public, max-age=31536000, immutable",
		"app.3f9a0c1d.css":  "public, max-age=31536000, immutable",
	} {
		for _, ae := range []string{"", "gzip", "br, gzip"} {
			resp, _ := getWith(t, e, "/sdk/"+name, http.Header{"Accept-Encoding": {ae}})
			require.Equal(t, 200, resp.StatusCode, name)
			assert.Equal(t, want, resp.Header.Get("Cache-Control"), name)
			tag := resp.Header.Get("ETag")
			require.NotEmpty(t, tag, "%s (%q) has no ETag", name, ae)
			again, body := getWith(t, e, "/sdk/"+name, http.Header{"Accept-Encoding": {ae}, "If-None-Match": {tag}})
			// A br copy may have become ready in between: then a new
			// representation, not a 304.
			if again.Header.Get("ETag") == tag {
				assert.Equal(t, http.StatusNotModified, again.StatusCode, "%s (%q)", name, ae)
				assert.Empty(t, body)
			}
		}
	}
	resp, _ := getWith(t, e, "/sdk/parley.wasm", nil)
	old := resp.Header.Get("ETag")
	write("parley.wasm", big+"rebuilt")
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(sdk, "parley.wasm"), later, later))
	resp, body := getWith(t, e, "/sdk/parley.wasm", http.Header{"If-None-Match": {old}})
	assert.Equal(t, 200, resp.StatusCode, "a rebuilt file matched the old ETag")
	assert.NotEqual(t, old, resp.Header.Get("ETag"))
	assert.Equal(t, big+"rebuilt", string(body))
}

// No directory is listed, names that cannot be files' are refused (never
// a 500), and only GET and HEAD are served.
func TestStaticNoListingsAndBadNames(t *testing.T) {
	sdk := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(sdk, "index.js"), []byte("export {}"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(sdk, "workers"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sdk, "workers", "w.js"), []byte("1"), 0o644))
	e := newEnv(t, func(c *server.Config) {
		c.SDKDir = sdk
		c.DemoFS = fstest.MapFS{
			"index.html":     {Data: []byte("<h1>demo</h1>")},
			"views/chat.js":  {Data: []byte("export {}")},
			"views/icons.js": {Data: []byte("export {}")},
		}
	})
	for path, want := range map[string]int{
		"/sdk/":                404,
		"/sdk/workers/":        404,
		"/sdk/workers":         404,
		"/sdk/workers/w.js":    200,
		"/views/":              404,
		"/views":               404,
		"/views/chat.js":       200,
		"/":                    200,
		"/missing.js":          404,
		"/sdk/index.js%00.png": 400,
		"/sdk/index.js%0a":     400,
		"/views/chat.js%5C..":  400,
		"/sdk/%ff.js":          400,
		"/sdk/index.js/":       404,
		"/sdk/index.js":        200,
		"/index.html%00":       400,
		"/views%2Fchat.js":     200, // an escaped slash is still a slash here
		"/sdk/..%2findex.js":   400,
		"/sdk/workers/..%2F..": 400,
	} {
		resp, body := getWith(t, e, path, nil)
		assert.Equal(t, want, resp.StatusCode, "%s: %s", path, body)
		assert.NotContains(t, string(body), "chat.js", "%s lists a directory", path)
		assert.NotContains(t, string(body), "w.js", "%s lists a directory", path)
	}
	req, err := http.NewRequest(http.MethodPost, e.hs.URL+"/views/chat.js", strings.NewReader("x"))
	require.NoError(t, err)
	st, _ := do(t, req)
	assert.Equal(t, http.StatusMethodNotAllowed, st)
}
