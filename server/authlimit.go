package server

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"parley/protocol"
)

// maxTrackedKeys bounds the memory of a keyedLimiter; beyond it, limiters
// that have been idle long enough to be full again are forgotten, then, if
// that is not enough, any (which only gives their keys a fresh burst).
const maxTrackedKeys = 10000

// keyedLimiter keeps a token bucket per key: a client IP (register and
// login attempts, WebSocket handshakes) or a user ID (handshakes).
type keyedLimiter struct {
	limit  rate.Limit
	burst  int
	refill time.Duration
	mu     sync.Mutex
	byKey  map[string]*keyedEntry
}

type keyedEntry struct {
	lim  *rate.Limiter
	last time.Time
}

func newKeyedLimiter(perSecond float64, burst int) *keyedLimiter {
	return &keyedLimiter{
		limit: rate.Limit(perSecond), burst: burst, refill: refillTime(perSecond, burst),
		byKey: make(map[string]*keyedEntry),
	}
}

// allow takes one token from key's bucket; false when it is empty.
func (l *keyedLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byKey[key]
	if e == nil {
		if len(l.byKey) >= maxTrackedKeys {
			l.prune(now)
		}
		e = &keyedEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.byKey[key] = e
	}
	e.last = now
	return e.lim.AllowN(now, 1)
}

// prune forgets the limiters that have refilled completely, and others
// down to half the bound if that was not enough.
func (l *keyedLimiter) prune(now time.Time) {
	for k, e := range l.byKey {
		if now.Sub(e.last) > l.refill || len(l.byKey) > maxTrackedKeys/2 {
			delete(l.byKey, k)
		}
	}
}

// clientIP is the key of a request's client for per-IP limits: the
// connection's address (proxies are not trusted), an IPv6 address by its
// /64, which one subscriber usually holds whole.
func clientIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64) // valid for any IPv6 address
		return p.String()
	}
	return addr.String()
}

// limitAuth wraps the register and login handlers.
func (s *Server) limitAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authLimiter.allow(clientIP(r.RemoteAddr), time.Now()) {
			s.writeError(w, protocol.Errorf(protocol.CodeRateLimited, "too many attempts; try again later"))
			return
		}
		next(w, r)
	}
}
