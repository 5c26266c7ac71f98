package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Security headers. The demo's policy allows only its own scripts and
// styles (no inline code), the wasm compiler ('wasm-unsafe-eval'), and
// WebSocket connections; the API answers JSON and needs nothing at all.
const (
	demoCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: wss:; " +
		"img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
	apiCSP = "default-src 'none'; frame-ancestors 'none'"
)

// securityHeaders sets the headers every answer carries: a
// Content-Security-Policy, no MIME sniffing, no Referer, no framing, and
// a browsing context of its own.
func securityHeaders(h http.Header, urlPath string) {
	if strings.HasPrefix(urlPath, "/api/") || urlPath == "/healthz" || urlPath == "/metrics" {
		h.Set("Content-Security-Policy", apiCSP)
	} else {
		h.Set("Content-Security-Policy", demoCSP)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// Static files worth compressing, and the bounds of what is kept.
const (
	minGzipBytes = 1 << 10
	// maxGzipCache bounds the memory of compressed copies; beyond it files
	// are served uncompressed (the SDK and demo take about 2 MB).
	maxGzipCache = 64 << 20
)

// compressible reports whether files with extension ext are worth gzip.
func compressible(ext string) bool {
	switch ext {
	case ".wasm", ".js", ".mjs", ".html", ".css", ".json", ".svg", ".ts", ".map", ".txt", ".md":
		return true
	}
	return false
}

// gzipFiles serves the files of fsys, gzip-compressed for clients that
// accept it. Each file is compressed once, on first request, and kept in
// memory until its modification time or size changes, so the 4.8 MB wasm
// goes out as about 1.3 MB without compressing it on every request.
// Everything else (directories, small files, ranges, clients without
// gzip) falls through to next.
type gzipFiles struct {
	fsys fs.FS
	next http.Handler

	mu    sync.Mutex
	cache map[string]*gzEntry
	bytes int
}

type gzEntry struct {
	modTime time.Time
	size    int64
	once    sync.Once
	gz      []byte // nil: compression failed or not worth it
}

func newGzipFiles(fsys fs.FS, next http.Handler) *gzipFiles {
	return &gzipFiles{fsys: fsys, next: next, cache: make(map[string]*gzEntry)}
}

func (g *gzipFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept-Encoding")
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || strings.HasSuffix(r.URL.Path, "/") {
		name = path.Join(name, "index.html")
	}
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.Header.Get("Range") != "" ||
		!acceptsGzip(r) || !compressible(path.Ext(name)) {
		g.next.ServeHTTP(w, r)
		return
	}
	gz, modTime := g.compressed(name)
	if gz == nil {
		g.next.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".wasm" {
		ctype = "application/wasm"
	}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	h.Set("Content-Encoding", "gzip")
	// ServeContent answers If-Modified-Since from modTime, and sets the
	// length of the compressed body.
	http.ServeContent(w, r, name, modTime, bytes.NewReader(gz))
}

// compressed returns the gzip form of the named regular file, or nil.
func (g *gzipFiles) compressed(name string) ([]byte, time.Time) {
	fi, err := fs.Stat(g.fsys, name)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < minGzipBytes {
		return nil, time.Time{}
	}
	g.mu.Lock()
	e := g.cache[name]
	if e == nil || !e.modTime.Equal(fi.ModTime()) || e.size != fi.Size() {
		if e != nil {
			g.bytes -= len(e.gz)
		}
		if g.bytes+int(fi.Size()) > maxGzipCache {
			g.mu.Unlock()
			return nil, time.Time{}
		}
		e = &gzEntry{modTime: fi.ModTime(), size: fi.Size()}
		g.cache[name] = e
	}
	g.mu.Unlock()
	e.once.Do(func() {
		e.gz = gzipFile(g.fsys, name)
		g.mu.Lock()
		g.bytes += len(e.gz)
		g.mu.Unlock()
	})
	return e.gz, e.modTime
}

func gzipFile(fsys fs.FS, name string) []byte {
	f, err := fsys.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	if _, err := io.Copy(zw, f); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (and does not refuse it with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
