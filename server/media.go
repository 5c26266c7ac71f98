package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"parley/protocol"
	"parley/server/files"
)

// MediaConfig configures uploads, downloads and link previews. Its zero
// value is usable but for Files, without which the file routes answer
// unavailable.
type MediaConfig struct {
	// Files keeps the uploaded bytes: a files.Local under -data, or a
	// files.S3 that every node shares. The caller opens it.
	Files files.Store
	// PublicURL is the server's address as clients reach it
	// ("https://chat.example.com"), the base of every file URL; empty
	// takes it from each upload request (its Host, and https when the
	// connection is TLS or X-Forwarded-Proto says so).
	PublicURL string
	// MaxFileBytes bounds one upload; default 100 MiB. A start declaring
	// more is answered 413 too_large.
	MaxFileBytes int64
	// QuotaBytes bounds the bytes of one user's uploads, complete or in
	// progress; default 10 GiB. A start past it is answered 413 too_large.
	QuotaBytes int64
	// ChunkSize is the largest chunk size given to new uploads, between
	// protocol.MinChunkSize and protocol.MaxChunkSize; default 8 MiB. A
	// file smaller than 20 such chunks gets smaller ones (uploadChunkSize).
	ChunkSize int64
	// UploadTTL is how long an upload may stay incomplete before it is
	// deleted with its chunks; default 24 h.
	UploadTTL time.Duration
	// URLTTL is how long a signed download URL is valid; default 6 h.
	URLTTL time.Duration
	// RequestRate and RequestBurst bound one user's requests to the file
	// and preview routes on this node (chunks included); defaults 50/s
	// and 100. Over it: 429 rate_limited.
	RequestRate  float64
	RequestBurst int
	// PreviewTimeout bounds fetching one page for a preview (redirects
	// included); default 5 s.
	PreviewTimeout time.Duration
	// PreviewMaxBytes bounds the bytes of a page read for a preview;
	// default 512 KiB (the head of a larger page is read).
	PreviewMaxBytes int64
	// PreviewCacheTTL is how long a preview is kept; default 1 h.
	PreviewCacheTTL time.Duration
	// PreviewAllow lists networks ("127.0.0.0/8", "10.1.2.3/32") that
	// previews may fetch from although they are private, loopback or
	// link-local; empty refuses them all (the default).
	PreviewAllow []netip.Prefix
}

func (c MediaConfig) withDefaults() MediaConfig {
	if c.MaxFileBytes <= 0 {
		c.MaxFileBytes = 100 << 20
	}
	if c.QuotaBytes <= 0 {
		c.QuotaBytes = 10 << 30
	}
	if c.ChunkSize <= 0 {
		c.ChunkSize = protocol.MaxChunkSize
	}
	c.ChunkSize = min(max(c.ChunkSize, protocol.MinChunkSize), protocol.MaxChunkSize)
	if c.UploadTTL <= 0 {
		c.UploadTTL = 24 * time.Hour
	}
	if c.URLTTL <= 0 {
		c.URLTTL = 6 * time.Hour
	}
	if c.RequestRate <= 0 {
		c.RequestRate = 50
	}
	if c.RequestBurst <= 0 {
		c.RequestBurst = 100
	}
	if c.PreviewTimeout <= 0 {
		c.PreviewTimeout = 5 * time.Second
	}
	if c.PreviewMaxBytes <= 0 {
		c.PreviewMaxBytes = 512 << 10
	}
	if c.PreviewCacheTTL <= 0 {
		c.PreviewCacheTTL = time.Hour
	}
	c.PreviewAllow = append([]netip.Prefix(nil), c.PreviewAllow...)
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	return c
}

// media is the server's part that handles files: the blob store, the
// download URL key, the per-user limiters, the preview fetcher and the
// janitor of abandoned uploads.
type media struct {
	s     *Server
	cfg   MediaConfig
	files files.Store
	// urlKey signs download URLs; it is kept in the store, so every node
	// (and a restarted one) accepts the URLs of the others.
	urlKey   []byte
	limits   *requestLimits
	previews *previewer

	stopJanitor context.CancelFunc
	janitorDone chan struct{}
}

func newMedia(ctx context.Context, s *Server) (*media, error) {
	cfg := s.cfg.Media
	key, err := s.store.Secret(ctx, "file_url_key", func() ([]byte, error) {
		k := make([]byte, 32)
		_, err := rand.Read(k)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("server: file URL key: %w", err)
	}
	m := &media{
		s: s, cfg: cfg, files: cfg.Files, urlKey: key,
		limits:      newRequestLimits(cfg.RequestRate, cfg.RequestBurst),
		previews:    newPreviewer(cfg, s.log),
		janitorDone: make(chan struct{}),
	}
	jctx, cancel := context.WithCancel(context.Background())
	m.stopJanitor = cancel
	go m.janitor(jctx)
	return m, nil
}

func (m *media) stop() {
	m.stopJanitor()
	<-m.janitorDone
}

// janitorInterval is how often abandoned uploads are looked for.
const janitorInterval = 10 * time.Minute

// janitor deletes uploads left incomplete for longer than UploadTTL, with
// their chunks, so that abandoned uploads neither fill the disk nor count
// against their user's quota forever. Several nodes may run it at once:
// deleting is idempotent.
func (m *media) janitor(ctx context.Context) {
	defer close(m.janitorDone)
	if m.files == nil {
		return
	}
	t := time.NewTicker(janitorInterval)
	defer t.Stop()
	for {
		if n, err := m.sweep(ctx); err != nil && ctx.Err() == nil {
			m.s.log.Warn("deleting abandoned uploads", "err", err)
		} else if n > 0 {
			m.s.log.Info("deleted abandoned uploads", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep deletes the uploads abandoned as of now and returns how many.
func (m *media) sweep(ctx context.Context) (int, error) {
	deleted := 0
	for {
		before := m.s.now().Add(-m.cfg.UploadTTL).UnixMilli()
		ups, err := m.s.store.StaleUploads(ctx, before, 100)
		if err != nil {
			return deleted, err
		}
		for _, u := range ups {
			if asm, ok := m.files.(files.Assembler); ok {
				if err := asm.DiscardParts(ctx, fileKey(u.UploadID)); err != nil {
					return deleted, err
				}
			}
			for i := range chunkCount(u.Size, u.ChunkSize) {
				if err := m.files.Delete(ctx, chunkKey(u.UploadID, i)); err != nil {
					return deleted, err
				}
			}
			if err := m.s.store.DeleteUpload(ctx, u.UploadID); err != nil {
				return deleted, err
			}
			deleted++
		}
		if len(ups) < 100 {
			return deleted, nil
		}
	}
}

// SweepUploads deletes the uploads left incomplete for longer than
// MediaConfig.UploadTTL now, as the server does every few minutes, and
// returns how many it deleted. For tests and tools.
func (s *Server) SweepUploads(ctx context.Context) (int, error) {
	if s.media.files == nil {
		return 0, nil
	}
	return s.media.sweep(ctx)
}

// requestLimits holds one rate limiter per user for the file routes.
// Idle entries are dropped when the map grows large.
type requestLimits struct {
	limit rate.Limit
	burst int

	mu    sync.Mutex
	users map[string]*rate.Limiter
}

// maxLimitEntries bounds requestLimits before idle entries are dropped.
const maxLimitEntries = 100_000

func newRequestLimits(perSecond float64, burst int) *requestLimits {
	return &requestLimits{limit: rate.Limit(perSecond), burst: burst, users: make(map[string]*rate.Limiter)}
}

func (l *requestLimits) allow(userID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.users[userID]
	if lim == nil {
		if len(l.users) >= maxLimitEntries {
			for id, other := range l.users {
				// A full bucket is an idle user: forgetting it loses nothing.
				if other.Tokens() >= float64(l.burst) {
					delete(l.users, id)
				}
			}
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.users[userID] = lim
	}
	return lim.Allow()
}

// mediaCaller authenticates a file or preview request and applies the
// user's rate limit; it answers the error itself and returns "" then.
func (s *Server) mediaCaller(w http.ResponseWriter, r *http.Request) string {
	cl, err := s.authenticate(r.Context(), r)
	if err != nil {
		s.writeError(w, err)
		return ""
	}
	if !s.media.limits.allow(cl.UserID) {
		s.writeError(w, protocol.Errorf(protocol.CodeRateLimited, "too many file requests; retry later"))
		return ""
	}
	if s.media.files == nil && !strings.HasPrefix(r.URL.Path, protocol.PreviewsPath) {
		s.writeError(w, protocol.Errorf(protocol.CodeUnavailable, "this server stores no files"))
		return ""
	}
	return cl.UserID
}

// chunkCount is the number of chunks of a file of size bytes.
func chunkCount(size, chunkSize int64) int {
	return int((size + chunkSize - 1) / chunkSize)
}

func chunkKey(uploadID string, index int) string {
	return fmt.Sprintf("uploads/%s/%d", uploadID, index)
}

func fileKey(fileID string) string { return "files/" + fileID }
