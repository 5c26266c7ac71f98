package server_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

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
	if err := os.WriteFile(wasmPath, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(sdk, "tiny.js"), []byte("export {}"), 0o644)
	page := []byte("<!doctype html><title>demo</title>" + strings.Repeat("<p>hello</p>", 500))
	e := newEnv(t, func(c *server.Config) {
		c.SDKDir = sdk
		c.DemoFS = fstest.MapFS{"index.html": {Data: page, ModTime: time.Unix(1_700_000_000, 0)}}
	})

	// A client that accepts gzip gets it, with the wasm type kept.
	resp, body := getRaw(t, e, "/sdk/parley.wasm", "gzip, deflate, br")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("wasm with gzip: %d, encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/wasm" {
		t.Fatalf("Content-Type %q", ct)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Vary %q", resp.Header.Get("Vary"))
	}
	if len(body) >= len(wasm)/10 {
		t.Fatalf("compressed %d of %d bytes", len(body), len(wasm))
	}
	if !bytes.Equal(gunzip(t, body), wasm) {
		t.Fatal("gzip body differs from the file")
	}
	// Served again from the cache: the same bytes.
	if _, again := getRaw(t, e, "/sdk/parley.wasm", "gzip"); !bytes.Equal(again, body) {
		t.Fatal("second answer differs")
	}

	// A client that does not accept gzip (or refuses it) gets the file as is.
	for _, ae := range []string{"", "identity", "gzip;q=0, identity"} {
		resp, body = getRaw(t, e, "/sdk/parley.wasm", ae)
		if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, wasm) {
			t.Fatalf("Accept-Encoding %q: encoding %q, %d bytes", ae, resp.Header.Get("Content-Encoding"), len(body))
		}
		if resp.Header.Get("Content-Type") != "application/wasm" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("Accept-Encoding %q: type %q vary %q", ae, resp.Header.Get("Content-Type"), resp.Header.Get("Vary"))
		}
	}

	// A rebuilt file is compressed anew.
	wasm2 := append(wasm[:len(wasm):len(wasm)], []byte("v2")...)
	if err := os.WriteFile(wasmPath, wasm2, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(wasmPath, later, later)
	if _, body = getRaw(t, e, "/sdk/parley.wasm", "gzip"); !bytes.Equal(gunzip(t, body), wasm2) {
		t.Fatal("stale compressed copy after the file changed")
	}

	// Small files are not worth it; ranges are served from the file.
	if resp, body = getRaw(t, e, "/sdk/tiny.js", "gzip"); resp.Header.Get("Content-Encoding") != "" || string(body) != "export {}" {
		t.Fatalf("tiny.js: %q %q", resp.Header.Get("Content-Encoding"), body)
	}
	req, _ := http.NewRequest(http.MethodGet, e.hs.URL+"/sdk/parley.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Range", "bytes=0-3")
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	rr, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(rr.Body)
	rr.Body.Close()
	if rr.StatusCode != http.StatusPartialContent || string(rb) != "\x00asm" {
		t.Fatalf("range: %d %q", rr.StatusCode, rb)
	}

	// The demo's pages too, at / and by name.
	for _, p := range []string{"/", "/index.html"} {
		resp, body = getRaw(t, e, p, "gzip")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(gunzip(t, body), page) {
			t.Fatalf("%s: %d %q", p, resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("%s: Content-Type %q", p, ct)
		}
	}
	// Conditional requests still work on the compressed copy.
	req, _ = http.NewRequest(http.MethodGet, e.hs.URL+"/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("If-Modified-Since", time.Unix(1_700_000_100, 0).UTC().Format(http.TimeFormat))
	rr, err = (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rr.Body.Close()
	if rr.StatusCode != http.StatusNotModified {
		t.Fatalf("If-Modified-Since: %d", rr.StatusCode)
	}
}
