package server

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"parley/protocol"
)

// maxReadHeaderTimeout bounds the time to read a request's headers.
const maxReadHeaderTimeout = 10 * time.Second

// ConfigureHTTP sets hs's timeouts to the Config's: HTTPReadTimeout for a
// request (headers within 10 s of it), HTTPWriteTimeout for its answer,
// HTTPIdleTimeout for a keep-alive connection between requests. A
// WebSocket is not bound by them: once upgraded, its connection has the
// heartbeat's read deadline and a write deadline per frame
// (WriteTimeout). hs.Handler is left to the caller (Handler).
func (s *Server) ConfigureHTTP(hs *http.Server) {
	hs.ReadHeaderTimeout = min(maxReadHeaderTimeout, s.cfg.HTTPReadTimeout)
	hs.ReadTimeout = s.cfg.HTTPReadTimeout
	hs.WriteTimeout = s.cfg.HTTPWriteTimeout
	hs.IdleTimeout = s.cfg.HTTPIdleTimeout
}

// LimitListener wraps ln so that one client IP (an IPv6 address by its
// /64) holds at most MaxConnsPerIP connections at once, WebSockets and
// idle keep-alive connections included. A connection over the limit is
// answered 429 rate_limited and closed without its request being read.
func (s *Server) LimitListener(ln net.Listener) net.Listener {
	return &ipListener{Listener: ln, max: s.cfg.MaxConnsPerIP, log: s.log, open: make(map[string]int)}
}

type ipListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu   sync.Mutex
	open map[string]int
}

func (l *ipListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientIP(c.RemoteAddr().String())
		l.mu.Lock()
		if l.open[ip] >= l.max {
			l.mu.Unlock()
			l.log.Debug("too many connections from one address", "ip", ip)
			go refuseConn(c, l.max)
			continue
		}
		l.open[ip]++
		l.mu.Unlock()
		return &ipConn{Conn: c, release: sync.OnceFunc(func() { l.release(ip) })}, nil
	}
}

func (l *ipListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

// refuseConn answers a connection over the limit and closes it.
func refuseConn(c net.Conn, max int) {
	defer c.Close()
	body := fmt.Sprintf(`{"error":{"code":%q,"message":"too many connections from your address; at most %d"}}`+"\n", protocol.CodeRateLimited, max)
	// Best effort: the connection is closed whether the answer went out
	// or not.
	c.SetWriteDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(c, "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}

// ipConn gives its slot back when closed.
type ipConn struct {
	net.Conn
	release func()
}

func (c *ipConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// CloseWrite lets net/http half-close before closing, as it does on a TCP
// connection, so that a client still sending reads the answer first.
func (c *ipConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// NetConn returns the wrapped connection.
func (c *ipConn) NetConn() net.Conn { return c.Conn }
