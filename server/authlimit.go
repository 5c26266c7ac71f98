package server

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"parley/protocol"
)

// maxTrackedIPs bounds the memory of ipLimiter; beyond it, limiters that
// have been idle long enough to be full again are forgotten.
const maxTrackedIPs = 10000

// ipLimiter rate-limits password guessing: register and login attempts per
// client IP (the connection's address; proxies are not trusted).
type ipLimiter struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	byIP  map[string]*ipEntry
}

type ipEntry struct {
	lim  *rate.Limiter
	last time.Time
}

func newIPLimiter(perSecond float64, burst int) *ipLimiter {
	return &ipLimiter{limit: rate.Limit(perSecond), burst: burst, byIP: make(map[string]*ipEntry)}
}

func (l *ipLimiter) allow(r *http.Request, now time.Time) bool {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byIP[ip]
	if e == nil {
		if len(l.byIP) >= maxTrackedIPs {
			l.prune(now)
		}
		e = &ipEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.byIP[ip] = e
	}
	e.last = now
	return e.lim.AllowN(now, 1)
}

// prune forgets the limiters that have refilled completely.
func (l *ipLimiter) prune(now time.Time) {
	full := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	for ip, e := range l.byIP {
		if now.Sub(e.last) > full {
			delete(l.byIP, ip)
		}
	}
}

// limitAuth wraps the register and login handlers.
func (s *Server) limitAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authLimiter.allow(r, time.Now()) {
			s.writeError(w, protocol.Errorf(protocol.CodeRateLimited, "too many attempts; try again later"))
			return
		}
		next(w, r)
	}
}
