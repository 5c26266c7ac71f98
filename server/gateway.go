package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"parley/protocol"
	"parley/server/bus"
)

// maxSendsInFlight bounds one connection's sends awaiting their commit;
// the connection's reading pauses while it is reached.
const maxSendsInFlight = 64

// closeLinger bounds the wait for a client's close reply.
const closeLinger = 2 * time.Second

// requestTimeout bounds the store calls of one request.
const requestTimeout = 30 * time.Second

// handleWS authenticates, then upgrades. The token is checked before the
// upgrade headers, so that a browser can learn that its token was refused
// by repeating the URL as a plain GET (401) rather than guessing from a
// failed WebSocket.
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	if !s.ipHandshakes.allow(clientIP(r.RemoteAddr), time.Now()) {
		s.writeError(w, protocol.Errorf(protocol.CodeRateLimited, "too many connection attempts from your address; try again later"))
		return
	}
	cl, err := s.authenticate(r.Context(), r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !s.userHandshakes.allow(cl.UserID, time.Now()) {
		s.writeError(w, protocol.Errorf(protocol.CodeRateLimited, "too many connection attempts; try again later"))
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		s.writeError(w, protocol.Errorf(protocol.CodeInvalidArgument, "WebSocket upgrade required"))
		return
	}
	if !s.originAllowed(r) {
		s.writeError(w, protocol.Errorf(protocol.CodePermissionDenied, "origin %q not allowed", r.Header.Get("Origin")))
		return
	}
	userLim, ok := s.users.acquire(cl.UserID)
	if !ok {
		s.writeError(w, protocol.Errorf(protocol.CodeRateLimited, "too many connections; at most %d per user", s.cfg.MaxConnsPerUser))
		return
	}
	up := websocket.Upgrader{
		// A read buffer of its own, 1 KB (a request frame is typically a
		// few hundred bytes; longer ones take more reads), rather than the
		// HTTP server's hijacked 4 KB one, which is freed with net/http's
		// connection once this handler returns; writes borrow from a pool.
		ReadBufferSize:    1024,
		WriteBufferSize:   4096,
		WriteBufferPool:   &s.wsWriteBufs,
		EnableCompression: true,
		// Checked above, with a JSON answer.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has answered the client already.
		s.users.release(cl.UserID, time.Now())
		s.log.Debug("upgrade failed", "err", err)
		return
	}
	c := s.newConn(ws, cl, userLim)
	if s.hub.add(c) {
		s.presenceHooks.changed(c.userID, c.platform)
	}
	s.presence.connChanged(c, false)
	s.calls.connected(c)
	if s.isClosing() {
		// Shutdown may have listed the hub before add.
		c.drain()
	}
	if s.cfg.SessionPolicy == SessionsSinglePerPlatform {
		// The user's older connections on this platform, on any node, make
		// way for this one.
		s.publish(r.Context(), bus.Event{
			UserIDs: []string{c.userID}, SkipConn: c.id, Type: protocol.PushKicked, Frame: s.kickedFrame("replaced"),
			Kick: &bus.Kick{Platform: c.platform, StartedBefore: c.started},
		})
	}
	s.log.Debug("connected", "conn", c.id, "user", c.userID, "platform", c.platform)
	// The connection is served by a goroutine of its own and this handler
	// returns: net/http's goroutine would otherwise keep, for as long as
	// the connection lasts, its deep stack, the request with its headers
	// and a 4 KB write buffer that the WebSocket does not use. Shutdown
	// waits for the goroutine as it waits for handlers (the handler's own
	// count keeps the group above zero while this one is added).
	s.active.Add(1)
	go func() {
		defer s.active.Done()
		defer func() { s.users.release(cl.UserID, time.Now()) }()
		c.serve()
		if s.hub.remove(c) {
			s.presenceHooks.changed(c.userID, c.platform)
		}
		s.presence.connChanged(c, true)
		s.calls.disconnected(c)
		s.log.Debug("disconnected", "conn", c.id, "user", c.userID)
	}()
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// originAllowed: no Origin (native clients), the server's own origin, or
// one of Config.AllowedOrigins ("*" for any).
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err == nil && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// conn is one WebSocket connection of an authenticated user.
type conn struct {
	s        *Server
	ws       *websocket.Conn
	id       string
	userID   string
	platform string
	// tokMu guards the token's fields and expiry timer, which a refresh
	// (protocol.ReqRefreshToken) replaces.
	tokMu      sync.Mutex
	tokenID    string
	generation int64
	expiresAt  int64
	expiry     *time.Timer
	// started is when the connection was accepted, Unix ns: a newer
	// session on the same platform replaces only older ones.
	started int64

	// out is the bounded queue of frames to write; when it is full the
	// connection is closed rather than anyone waiting for it. A writer
	// goroutine runs only while it holds frames (see writeLoop).
	out     outQueue
	limiter *rate.Limiter
	// userLimiter is shared by all the user's connections to this node.
	userLimiter *rate.Limiter
	// strikes counts requests refused as rate_limited; a connection that
	// exhausts it too is flooding regardless and is closed.
	strikes *rate.Limiter
	// badFrames counts frames that are malformed, have no id or are too
	// large; a connection that exhausts it is closed.
	badFrames *rate.Limiter
	// typing bounds the connection's typing indicators (typing.go).
	typing    *rate.Limiter
	sendSlots chan struct{}
	inflight  sync.WaitGroup
	draining  atomic.Bool
	// deadlineMu orders drain's read deadline against the heartbeat's.
	deadlineMu sync.Mutex
	// writerDone is closed when the last writer has closed the socket.
	writerDone chan struct{}
	// readDone is closed when serve stops reading.
	readDone chan struct{}

	stopOnce    sync.Once
	stopped     chan struct{}
	closeCode   int
	closeReason string
	flush       bool
}

func (s *Server) newConn(ws *websocket.Conn, cl *claims, userLim *rate.Limiter) *conn {
	return &conn{
		s:           s,
		ws:          ws,
		id:          randomID("c", 10),
		userID:      cl.UserID,
		platform:    cl.Platform,
		tokenID:     cl.ID,
		generation:  cl.Generation,
		expiresAt:   cl.ExpiresAt,
		started:     time.Now().UnixNano(),
		limiter:     rate.NewLimiter(rate.Limit(s.cfg.RateLimit), s.cfg.RateBurst),
		userLimiter: userLim,
		strikes:     rate.NewLimiter(rate.Limit(s.cfg.RateLimit), s.cfg.RateBurst),
		badFrames:   rate.NewLimiter(rate.Limit(s.cfg.BadFrameRate), s.cfg.BadFrameBurst),
		typing:      rate.NewLimiter(typingRate, typingBurst),
		sendSlots:   make(chan struct{}, maxSendsInFlight),
		writerDone:  make(chan struct{}),
		readDone:    make(chan struct{}),
		stopped:     make(chan struct{}),
	}
}

// send queues a frame without blocking. A full queue (SendQueue frames or
// SendQueueBytes bytes) means the reader is too slow: the connection is
// closed. It reports whether the frame was queued.
func (c *conn) send(frame []byte) bool {
	select {
	case <-c.stopped:
		return false
	default:
	}
	if queued, start := c.out.push(frame, c.s.cfg.SendQueue, int64(c.s.cfg.SendQueueBytes)); queued {
		if start {
			go c.writeLoop()
		}
		return true
	}
	c.s.metrics.slowDisconnects.Inc()
	c.s.log.Info("closing slow connection", "conn", c.id, "user", c.userID)
	c.stop(websocket.CloseTryAgainLater, "send queue full", false)
	return false
}

// stop closes the connection with a close frame; with flush, the frames
// already queued are written first. Only the first call has an effect.
func (c *conn) stop(code int, reason string, flush bool) {
	c.stopOnce.Do(func() {
		c.closeCode, c.closeReason, c.flush = code, reason, flush
		close(c.stopped)
		// An idle connection has no writer to close it: start one.
		if c.out.wake() {
			go c.writeLoop()
		}
	})
}

// drain makes the connection stop reading; serve then waits for the
// requests it has read, and closes with "going away".
func (c *conn) drain() {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.draining.Store(true)
	c.ws.SetReadDeadline(time.Now())
}

// keepAlive extends the read deadline by idle, unless draining.
func (c *conn) keepAlive(idle time.Duration) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if !c.draining.Load() {
		c.ws.SetReadDeadline(time.Now().Add(idle))
	}
}

// serve runs the connection until it closes.
func (c *conn) serve() {
	c.armExpiry()
	defer c.disarmExpiry()

	idle := 3 * c.s.cfg.HeartbeatInterval
	// No read limit of gorilla's: it would close the connection at a
	// frame's header, before its id could be read. readFrame bounds what
	// is read instead.
	c.ws.SetPingHandler(func(data string) error {
		c.keepAlive(idle)
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.s.cfg.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	code, reason := websocket.CloseNormalClosure, ""
	for {
		c.keepAlive(idle)
		data, size, err := c.readFrame(c.s.cfg.MaxFrameBytes, int64(c.s.cfg.MaxFrameReadBytes))
		if errors.Is(err, errFrameTooLarge) {
			c.s.metrics.badFrameDisconnects.Inc()
			id, _ := peekFrame(data)
			code, reason = protocol.CloseFrameTooLarge, protocol.FrameTooLargeReason(id)
			break
		}
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() && !c.draining.Load() {
				code, reason = websocket.CloseGoingAway, "heartbeat timeout"
			}
			break
		}
		c.handle(data, size)
	}
	close(c.readDone)
	if c.draining.Load() {
		code, reason = websocket.CloseGoingAway, "server shutting down"
	}
	// Answer what was read (sends awaiting their commit) before closing.
	c.inflight.Wait()
	c.stop(code, reason, true)
	<-c.writerDone
}

var errFrameTooLarge = errors.New("frame too large")

// readFrame reads one message and returns it with its size. A message of
// more than limit bytes is read on without being kept, up to hard bytes,
// and only its first limit bytes are returned (enough to find its id); one
// longer than hard is not read to its end: errFrameTooLarge. Sizes are
// counted after permessage-deflate, which can make a message far smaller
// on the wire, so that what a client sends costs at most hard bytes of
// reading and limit of memory.
func (c *conn) readFrame(limit int, hard int64) (data []byte, size int64, err error) {
	_, r, err := c.ws.NextReader()
	if err != nil {
		return nil, 0, err
	}
	data, err = io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) <= limit {
		return data, int64(len(data)), nil
	}
	data = data[:limit]
	n, err := io.Copy(io.Discard, io.LimitReader(r, hard-int64(limit)+1))
	size = int64(limit) + n
	if err != nil {
		return nil, size, err
	}
	if size > hard {
		return data, size, errFrameTooLarge
	}
	return data, size, nil
}

// writeLoop writes the queued frames and exits when the queue is empty:
// an idle connection holds no writer goroutine (and no stack), and the
// next send starts a new one. After a stop, the writer running then (or
// the one stop starts) is the last: it flushes if asked, sends the close
// frame and closes the socket.
func (c *conn) writeLoop() {
	failed := false
	for !c.isStopped() {
		f, ok, idle := c.out.next(c.isStopped)
		if idle {
			return
		}
		if !ok {
			break // stopped
		}
		if err := c.write(f, time.Now().Add(c.s.cfg.WriteTimeout)); err != nil {
			failed = true
			c.stop(websocket.CloseAbnormalClosure, "", false)
		}
	}
	c.finish(failed)
}

// finish ends a stopped connection's writing: the flush and the close
// handshake, unless a write has failed, then the socket is closed.
func (c *conn) finish(failed bool) {
	defer close(c.writerDone)
	defer c.ws.Close()
	if failed {
		return
	}
	if c.flush {
		// One deadline for the whole flush, so that a trickling reader
		// cannot hold the connection open for long.
		deadline := time.Now().Add(c.s.cfg.WriteTimeout)
		for {
			f, ok := c.out.pop()
			if !ok {
				break
			}
			if c.write(f, deadline) != nil {
				return
			}
		}
	}
	if c.closeCode != websocket.CloseAbnormalClosure {
		msg := websocket.FormatCloseMessage(c.closeCode, c.closeReason)
		c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		// Closing the socket while the client's frames are still
		// arriving makes the kernel reset the connection, which can
		// destroy what was just sent (a push.kicked, the close frame)
		// before the client reads it. So wait for the client's close
		// reply (the read loop ends), briefly.
		t := time.NewTimer(closeLinger)
		select {
		case <-c.readDone:
		case <-t.C:
		}
		t.Stop()
	}
}

// isStopped reports whether stop was called.
func (c *conn) isStopped() bool {
	select {
	case <-c.stopped:
		return true
	default:
		return false
	}
}

func (c *conn) write(f []byte, deadline time.Time) error {
	c.ws.SetWriteDeadline(deadline)
	return c.ws.WriteMessage(websocket.TextMessage, f)
}

// handle answers one request frame of size bytes (data holds only the
// first MaxFrameBytes of a longer one). Sends are answered
// asynchronously, after their commit; everything else before the next
// frame is read.
func (c *conn) handle(data []byte, size int64) {
	select {
	case <-c.stopped:
		// Closing (flooding, kicked, slow): frames still buffered are not
		// worth answering.
		return
	default:
	}
	start := time.Now()
	defer func() {
		// A bug in one handler must not take the server down: answer
		// "internal" to that request (if it can be identified) and go on.
		if p := recover(); p != nil {
			c.s.log.Error("panic in request handler", "panic", p, "stack", string(debug.Stack()))
			id, typ := peekFrame(data)
			c.replyError(id, typ, start, fmt.Errorf("panic: %v", p))
		}
	}()
	// A frame that is too large, malformed or without an id is answered
	// (with the id and type it seems to have) and counts as a request, and
	// against the connection's allowance of such frames.
	var f *protocol.Frame
	var bad error
	if size > int64(c.s.cfg.MaxFrameBytes) {
		bad = protocol.Errorf(protocol.CodeTooLarge, "frame of %d bytes exceeds the limit of %d", size, c.s.cfg.MaxFrameBytes)
	} else if f, bad = protocol.DecodeFrame(data); bad == nil && f.ID == "" {
		bad = protocol.Errorf(protocol.CodeInvalidArgument, "request has no id")
	}
	if bad != nil {
		if !c.badFrames.Allow() {
			c.s.metrics.badFrameDisconnects.Inc()
			c.s.log.Info("closing connection sending bad frames", "conn", c.id, "user", c.userID)
			c.stop(websocket.ClosePolicyViolation, "too many bad frames", true)
			return
		}
		id, typ := peekFrame(data)
		f = &protocol.Frame{ID: id, Type: typ}
	}
	if (bad != nil || f.Type != protocol.ReqPing) && !(c.limiter.Allow() && c.userLimiter.Allow()) {
		if !c.strikes.Allow() {
			c.s.metrics.floodDisconnects.Inc()
			c.s.log.Info("closing flooding connection", "conn", c.id, "user", c.userID)
			c.stop(websocket.ClosePolicyViolation, "too many requests", true)
			return
		}
		c.replyError(f.ID, f.Type, start, protocol.Errorf(protocol.CodeRateLimited, "too many requests; slow down"))
		return
	}
	if bad != nil {
		c.replyError(f.ID, f.Type, start, bad)
		return
	}
	if f.Type == protocol.ReqSend {
		c.s.startSend(c, f, start)
		return
	}
	if f.Type == protocol.ReqRefreshToken {
		c.handleRefresh(f, start)
		return
	}
	h, ok := c.s.handlers[f.Type]
	if !ok {
		c.replyError(f.ID, f.Type, start, protocol.Errorf(protocol.CodeUnimplemented, "unknown request type %q", f.Type))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	resp, err := h(ctx, c.caller(), f.Data)
	c.reply(f.ID, f.Type, start, resp, err)
}

// peekFrame recovers what it can of a frame that failed to decode or was
// cut off (too large), so the error can be correlated with its request:
// the string "id" and "type" members that come before the first value it
// cannot read. The type is "error" when none was found.
func peekFrame(data []byte) (id, typ string) {
	typ = "error"
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", typ
	}
	var gotID, gotType bool
	for !gotID || !gotType {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			break
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			break // cut off, or not JSON from here on
		}
		var str string
		isStr := json.Unmarshal(v, &str) == nil
		// Names match as encoding/json matches field names.
		switch {
		case !gotID && strings.EqualFold(key, "id"):
			gotID = true
			if isStr {
				id = str
			}
		case !gotType && strings.EqualFold(key, "type"):
			gotType = true
			if isStr && str != "" {
				typ = str
			}
		}
	}
	return id, typ
}

func (c *conn) caller() caller {
	return caller{UserID: c.userID, ConnID: c.id, TokenID: c.tokenID, typing: c.typing}
}

// reply queues the response to request id of type typ.
func (c *conn) reply(id, typ string, start time.Time, resp any, err error) {
	if err != nil {
		c.replyError(id, typ, start, err)
		return
	}
	b, err := protocol.EncodeFrame(id, typ, resp)
	if err != nil {
		c.replyError(id, typ, start, err)
		return
	}
	c.send(b)
	c.s.metrics.requests.WithLabelValues(c.s.typeLabel(typ)).Observe(time.Since(start).Seconds())
}

func (c *conn) replyError(id, typ string, start time.Time, err error) {
	pe := c.s.publicError(err)
	b, _ := protocol.EncodeError(id, typ, pe) // an Error always encodes
	c.send(b)
	c.s.metrics.requests.WithLabelValues(c.s.typeLabel(typ)).Observe(time.Since(start).Seconds())
}

// typeLabel bounds the metric label to the known request types.
func (s *Server) typeLabel(typ string) string {
	if _, ok := s.handlers[typ]; ok || typ == protocol.ReqSend {
		return typ
	}
	return "unknown"
}

func (s *Server) kickedFrame(reason string) []byte {
	b, _ := protocol.EncodeFrame("", protocol.PushKicked, protocol.Kicked{Reason: reason})
	return b
}
