package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
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

// What is kept of static files in memory; docs/limits.md lists it.
const (
	// minCompressBytes: smaller files are sent as they are.
	minCompressBytes = 1 << 10
	// maxStaticMemory bounds the bytes kept of one tree's files (the
	// files and their compressed copies; the SDK and the demo take about
	// 8 MB); files past it, and files over maxStaticFile, are sent from
	// the file system, uncompressed.
	maxStaticMemory = 64 << 20
	maxStaticFile   = 32 << 20
	// brotliQuality is brotli's best: slow (some 15 s of one core for the
	// 4.8 MB wasm), which is why it runs in the background after every
	// file's gzip copy is ready, and clients get gzip until then.
	brotliQuality = 11
)

// Cache policies.
const (
	// cacheImmutable is for content-hashed names: a new build has new names.
	cacheImmutable = "public, max-age=31536000, immutable"
	// cacheRevalidate is for every other name: the browser keeps its copy
	// but asks each time, and gets 304 while the ETag matches.
	cacheRevalidate = "no-cache"
)

// compressible reports whether files with extension ext are worth
// compressing.
func compressible(ext string) bool {
	switch ext {
	case ".wasm", ".js", ".mjs", ".html", ".css", ".json", ".svg", ".ts", ".map", ".txt", ".md":
		return true
	}
	return false
}

// staticFiles serves the regular files of fsys. Each is read once, hashed
// for its ETag, and compressed with gzip and brotli, all at start in the
// background (gzip for every file first, then brotli), and kept in memory;
// a copy compressed at build time beside the file (name.gz, name.br) is
// taken instead of compressing, once checked against the file;
// a request for a file not prepared yet prepares it (gzip only) or waits
// for the preparation under way. A file whose size or modification time
// changes (a rebuilt SDK) is prepared again on its next request.
//
// Directories are not listed and answer 404, as do missing files; a name
// that cannot be a file's (control characters, invalid UTF-8, "..")
// answers 400.
type staticFiles struct {
	fsys fs.FS
	log  *slog.Logger

	mu    sync.Mutex
	files map[string]*staticFile
	// memory is the bytes held by the files' entries (see reserve).
	memory int64
}

// staticFile is one prepared file. ready is closed once raw (nil: serve
// from the file system), etag, gz and ctype are set; br is set later.
type staticFile struct {
	name    string
	modTime time.Time
	size    int64

	prepare sync.Once
	ready   chan struct{}
	raw, gz []byte
	etag    string // strong, of raw: `"<hash>"`
	ctype   string
	br      atomic.Pointer[[]byte]
	brOnce  sync.Once

	// held is what the entry counts in staticFiles.memory, and replaced
	// is set when a newer entry took its place (both under its mutex).
	held     int64
	replaced bool
}

// newStaticFiles serves fsys and starts preparing its files; the work
// stops early when ctx ends.
func newStaticFiles(ctx context.Context, fsys fs.FS, log *slog.Logger) *staticFiles {
	sf := &staticFiles{fsys: fsys, log: log, files: make(map[string]*staticFile)}
	go sf.prepareAll(ctx)
	return sf
}

// prepareAll prepares every file (gzip), then adds the brotli copies.
func (sf *staticFiles) prepareAll(ctx context.Context) {
	start := time.Now()
	var entries []*staticFile
	fs.WalkDir(sf.fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			return fs.SkipDir
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, ".br") {
			// Compressed copies are read with their file; asked for
			// by name, they are served as they are.
			return nil
		}
		if e := sf.file(name); e != nil {
			entries = append(entries, e)
		}
		return nil
	})
	for _, e := range entries {
		if ctx.Err() != nil {
			return
		}
		e.brotli(sf)
	}
	sf.log.Debug("static files compressed", "files", len(entries), "took", time.Since(start))
}

// file returns the prepared entry of the regular file name, preparing it
// if needed; nil when there is no such file.
func (sf *staticFiles) file(name string) *staticFile {
	fi, err := fs.Stat(sf.fsys, name)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	sf.mu.Lock()
	e := sf.files[name]
	if e == nil || !e.modTime.Equal(fi.ModTime()) || e.size != fi.Size() {
		if e != nil {
			// Its memory goes back now; what its preparation still does
			// counts no more.
			sf.memory -= e.held
			e.held, e.replaced = 0, true
		}
		e = &staticFile{name: name, modTime: fi.ModTime(), size: fi.Size(), ready: make(chan struct{})}
		sf.files[name] = e
	}
	sf.mu.Unlock()
	e.prepare.Do(func() { sf.prepare(e) })
	return e
}

// prepare reads, hashes and gzips e, within the memory bound.
func (sf *staticFiles) prepare(e *staticFile) {
	defer close(e.ready)
	e.ctype = mime.TypeByExtension(path.Ext(e.name))
	if path.Ext(e.name) == ".wasm" {
		// WebAssembly.instantiateStreaming requires it.
		e.ctype = "application/wasm"
	}
	// Validators of the file as it is on disk, for when it is not kept.
	e.etag = `W/"` + strconv.FormatInt(e.size, 36) + "-" + strconv.FormatInt(e.modTime.UnixNano(), 36) + `"`
	if e.size > maxStaticFile || !sf.reserve(e, 2*e.size) {
		return
	}
	raw, err := fs.ReadFile(sf.fsys, e.name)
	if err != nil || int64(len(raw)) != e.size {
		// Changed while read: served from the file until asked again.
		sf.release(e, 2*e.size)
		return
	}
	sum := sha256.Sum256(raw)
	e.raw, e.etag = raw, `"`+hex.EncodeToString(sum[:16])+`"`
	if e.ctype == "" {
		e.ctype = http.DetectContentType(raw)
	}
	if len(raw) >= minCompressBytes && compressible(path.Ext(e.name)) {
		// A copy compressed at build time (./build.sh writes them beside
		// the SDK's files) saves the compression; it is used only if it
		// decompresses to this very file, so a stale one is ignored.
		gz := sf.precompressed(e.name+".gz", raw, sum, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) })
		if gz == nil {
			gz = compress(raw, gzipWriter)
		}
		if len(gz) < len(raw) {
			e.gz = gz
		}
	}
	// Give back what the gzip copy did not use of the reservation.
	sf.release(e, 2*e.size-int64(len(e.raw)+len(e.gz)))
	if e.gz == nil {
		return
	}
	br := sf.precompressed(e.name+".br", raw, sum, func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil })
	if br != nil && len(br) < len(e.gz) && sf.reserve(e, int64(len(br))) {
		e.br.Store(&br)
	}
}

// precompressed returns the file name, a compressed copy of raw (whose
// SHA-256 is sum) that decode undoes, or nil when there is no such file
// or it is not a copy of raw.
func (sf *staticFiles) precompressed(name string, raw []byte, sum [sha256.Size]byte, decode func(io.Reader) (io.Reader, error)) []byte {
	fi, err := fs.Stat(sf.fsys, name)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() >= int64(len(raw)) {
		return nil
	}
	b, err := fs.ReadFile(sf.fsys, name)
	if err != nil {
		return nil
	}
	r, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, int64(len(raw))+1))
	if err != nil || n != int64(len(raw)) || !bytes.Equal(h.Sum(nil), sum[:]) {
		sf.log.Warn("ignoring a compressed copy that does not match its file", "file", name)
		return nil
	}
	return b
}

// brotli adds e's brotli copy, once.
func (e *staticFile) brotli(sf *staticFiles) {
	<-e.ready
	if e.gz == nil || e.br.Load() != nil {
		return // nothing to compress, or compressed at build time
	}
	e.brOnce.Do(func() {
		if !sf.reserve(e, int64(len(e.gz))) {
			return
		}
		br := compress(e.raw, func(w io.Writer) io.WriteCloser {
			return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: brotliQuality, LGWin: 22})
		})
		if len(br) >= len(e.gz) {
			sf.release(e, int64(len(e.gz)))
			return
		}
		sf.release(e, int64(len(e.gz)-len(br)))
		e.br.Store(&br)
	})
}

// reserve takes n bytes of the memory bound for e; false when they do not
// fit (or e was replaced meanwhile).
func (sf *staticFiles) reserve(e *staticFile, n int64) bool {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if e.replaced || sf.memory+n > maxStaticMemory {
		return false
	}
	sf.memory += n
	e.held += n
	return true
}

// release gives back n bytes of what reserve took for e.
func (sf *staticFiles) release(e *staticFile, n int64) {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if e.replaced {
		return
	}
	sf.memory -= n
	e.held -= n
}

func gzipWriter(w io.Writer) io.WriteCloser {
	zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression) // the level is valid
	return zw
}

// compress returns raw compressed by the writer newW makes.
func compress(raw []byte, newW func(io.Writer) io.WriteCloser) []byte {
	var buf bytes.Buffer
	zw := newW(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

var errBadName = errors.New("not a file name")

// fileName maps a URL path to a name in the tree: "" and ".../" to their
// index.html.
func fileName(urlPath string) (string, error) {
	if !utf8.ValidString(urlPath) || strings.ContainsFunc(urlPath, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }) {
		return "", errBadName
	}
	name := strings.TrimPrefix(urlPath, "/")
	if name == "" || strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	if !fs.ValidPath(name) {
		return "", errBadName
	}
	return name, nil
}

func (sf *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, err := fileName(r.URL.Path)
	if err != nil {
		http.Error(w, "bad file name", http.StatusBadRequest)
		return
	}
	e := sf.file(name)
	if e == nil {
		http.NotFound(w, r)
		return
	}
	h.Add("Vary", "Accept-Encoding")
	if e.ctype != "" {
		h.Set("Content-Type", e.ctype)
	}
	h.Set("Cache-Control", cachePolicy(name))
	if e.raw == nil {
		sf.serveFromFS(w, r, e)
		return
	}
	body, etag := e.raw, e.etag
	// Ranges are of the file itself, as sent uncompressed.
	if r.Header.Get("Range") == "" {
		if br := e.br.Load(); br != nil && accepts(r, "br") {
			body, etag = *br, strings.TrimSuffix(e.etag, `"`)+`-br"`
			h.Set("Content-Encoding", "br")
		} else if e.gz != nil && accepts(r, "gzip") {
			body, etag = e.gz, strings.TrimSuffix(e.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	// ServeContent answers If-None-Match from the ETag (and
	// If-Modified-Since from modTime), with 304.
	h.Set("ETag", etag)
	http.ServeContent(w, r, name, e.modTime, bytes.NewReader(body))
}

// serveFromFS sends a file not kept in memory as it is on disk.
func (sf *staticFiles) serveFromFS(w http.ResponseWriter, r *http.Request, e *staticFile) {
	f, err := sf.fsys.Open(e.name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "file cannot be served", http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", e.etag)
	http.ServeContent(w, r, e.name, e.modTime, rs)
}

// cachePolicy is the Cache-Control of a file name: long-lived when the
// name carries a content hash ("chunk-5HBDLA2T.js", "app.3f9a0c1d.css": a
// part of 8 or more letters and digits, a digit among them, between the
// first part and the extension), else revalidated on every use
// (index.js, parley.wasm).
func cachePolicy(name string) string {
	base := path.Base(name)
	parts := strings.FieldsFunc(strings.TrimSuffix(base, path.Ext(base)), func(r rune) bool { return r == '.' || r == '-' })
	for _, p := range parts[min(1, len(parts)):] {
		if len(p) >= 8 && strings.ContainsAny(p, "0123456789") && !strings.ContainsFunc(p, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_')
		}) {
			return cacheImmutable
		}
	}
	return cacheRevalidate
}

// accepts reports whether the request's Accept-Encoding allows coding (and
// does not refuse it with q=0).
func accepts(r *http.Request, coding string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		c, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(c), coding) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
