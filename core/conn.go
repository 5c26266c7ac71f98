package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"parley/protocol"
)

// The connection: the session's state, the connect-serve-reconnect loop,
// heartbeats, and calls that wait for a live connection.

// session is one login: the store, the connection loop, the sync worker and
// the outbox. It ends at Logout.
type session struct {
	c      *Client
	cfg    *Config
	userID string
	url    string
	store  Store

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	wire     *wire
	changed  chan struct{} // closed and replaced when wire or state changes
	state    ConnState
	terminal error // set once the session stopped reconnecting
	// running is set while the connection loop runs (guarded by mu).
	running bool

	// tokMu guards token and willExpire (token.go).
	tokMu      sync.Mutex
	token      string
	willExpire *time.Timer

	// applyMu serializes read-decide-write cycles on the store, so folds
	// see each other's results.
	applyMu sync.Mutex
	// unread is conversationID -> unread count, nil until loadUnread read
	// the conversations (after login, which does not wait for it); total
	// is their sum. Both guarded by applyMu.
	unread map[string]int64
	total  int64
	// unannounced are messages a failed write meant to announce (see
	// writeFailed); guarded by applyMu.
	unannounced map[string]bool

	// firstPage holds back reads of the whole list until the app's first
	// page returned.
	firstPage *firstPage

	outbox outbox
	// sign caches the signed URLs of files (signing.go).
	sign signer
	// wanted are profiles asked for while offline (UsersInfo), fetched
	// after the next catch-up; guarded by mu.
	wanted map[string]bool

	lastCreate atomic.Int64 // the last CreateTime handed out, in ms

	// calls are the calls this device knows (calls.go).
	calls callBook
	// typing is who types where, and what this device told (typing.go).
	typing typingState
	// presence is the users watched (presence.go).
	presence statusWatch
}

func (s *session) now() int64 { return s.cfg.Now().UnixMilli() }

// createTime returns the current time in ms, strictly after every earlier
// result in this session, so messages created in one millisecond keep the
// order the app created them in (unsent lists sort by CreateTime).
func (s *session) createTime() int64 {
	for {
		last, t := s.lastCreate.Load(), s.now()
		if t <= last {
			t = last + 1
		}
		if s.lastCreate.CompareAndSwap(last, t) {
			return t
		}
	}
}

// setState records a state and announces it when it changed.
func (s *session) setState(st ConnState, w *wire) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return // logged out: announce nothing more
	}
	s.wire = w
	changed := s.state != st
	s.state = st
	switch st {
	case ConnTokenExpired:
		s.terminal = &Error{Code: protocol.CodeTokenExpired, Message: "token expired or revoked; log in again"}
	case ConnKickedOffline:
		s.terminal = &Error{Code: protocol.CodeUnauthenticated, Message: "kicked offline by another login"}
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if changed {
		s.c.events.emit(ConnectionStateChanged{State: st})
	}
}

func (s *session) connState() ConnState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// liveWire returns the current connection or nil.
func (s *session) liveWire() *wire {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wire != nil && s.wire.ctx.Err() == nil {
		return s.wire
	}
	return nil
}

// waitWire waits for a live connection until ctx ends.
func (s *session) waitWire(ctx context.Context) (*wire, error) {
	for {
		s.mu.Lock()
		w, ch, term := s.wire, s.changed, s.terminal
		s.mu.Unlock()
		if w != nil && w.ctx.Err() == nil {
			return w, nil
		}
		if term != nil {
			return nil, term
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, errNetwork(nil)
		case <-s.ctx.Done():
			return nil, errNotLoggedIn()
		}
	}
}

// isTerminal reports an error of a session that stopped reconnecting
// (token refused, kicked offline): no network call can succeed in it.
func isTerminal(err error) bool {
	switch protocol.CodeOf(err) {
	case protocol.CodeTokenExpired, protocol.CodeUnauthenticated:
		return true
	}
	return false
}

// call makes one request, waiting for the connection first, within the
// caller's deadline or RequestTimeout.
func (s *session) call(ctx context.Context, typ string, req, resp any) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	w, err := s.waitWire(ctx)
	if err != nil {
		return err
	}
	return w.call(ctx, typ, req, resp)
}

// backoff is the delay before connection attempt n (0-based): exponential,
// capped, with the upper half jittered so clients do not reconnect in step.
func backoff(n int, min, max time.Duration) time.Duration {
	d := min
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func (s *session) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// run connects, serves the connection and reconnects until logout, a kick
// or a refused token.
func (s *session) run() {
	defer s.wg.Done()
	// The whole list is read after login resolved and the app's first
	// page came: neither needs it.
	s.goBackground(func() {
		if !s.firstPage.runGrace(s.ctx) {
			return
		}
		if err := s.warm(s.ctx); err != nil && s.ctx.Err() == nil {
			s.cfg.Logger.Warn("reading the conversations failed", "err", err)
		}
	})
	s.connectLoop()
}

// connectLoop is run's loop; SetToken starts it again after a token
// expiry stopped it.
func (s *session) connectLoop() {
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	for attempt := 0; ; attempt++ {
		if s.ctx.Err() != nil {
			return
		}
		if s.c.offline.Load() {
			// The platform says there is no network: no dial can work
			// until it says there is again.
			s.setState(ConnDisconnected, nil)
			if !s.waitOnline() {
				return
			}
			attempt = 0
		}
		s.setState(ConnConnecting, nil)
		dctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		dialed := s.currentToken()
		conn, err := s.cfg.Dialer.Dial(dctx, s.dialURL(dialed))
		cancel()
		if err != nil {
			if errors.Is(err, ErrUnauthorized) {
				s.cfg.Logger.Info("token refused at handshake", "user", s.userID)
				s.setState(ConnTokenExpired, nil)
				return
			}
			s.cfg.Logger.Debug("dial failed", "err", err)
			net := s.c.netChanged()
			s.setState(ConnDisconnected, nil)
			if !s.sleepOrOnline(backoff(attempt, s.cfg.ReconnectMinDelay, s.cfg.ReconnectMaxDelay), net) {
				return
			}
			continue
		}
		w := newWire(s.ctx, conn, s.cfg.RequestTimeout)
		caughtUp := s.serve(w, dialed)
		if caughtUp {
			attempt = 0
		}
		switch reason := w.kickedReason(); reason {
		case "":
		case "replaced":
			s.setState(ConnKickedOffline, nil)
			return
		default:
			s.cfg.Logger.Info("kicked", "reason", reason)
			s.setState(ConnTokenExpired, nil)
			return
		}
		if s.ctx.Err() != nil {
			return
		}
		net := s.c.netChanged()
		s.setState(ConnDisconnected, nil)
		if !s.sleepOrOnline(backoff(attempt, s.cfg.ReconnectMinDelay, s.cfg.ReconnectMaxDelay), net) {
			return
		}
	}
}

// waitOnline waits until the platform reports the network back; false
// after logout.
func (s *session) waitOnline() bool {
	for {
		// The channel first: a change after it closes this one, so that
		// it cannot slip between the check and the wait.
		ch := s.c.netChanged()
		if !s.c.offline.Load() {
			return true
		}
		select {
		case <-ch:
		case <-s.ctx.Done():
			return false
		}
	}
}

// sleepOrOnline is sleep cut short when the network comes back: the
// reconnect then need not wait out its backoff.
// net is the platform's network channel as it was when the connection
// ended, before the state said so: a change the app makes on hearing
// that state closes it.
func (s *session) sleepOrOnline(d time.Duration, net <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-net:
	case <-s.ctx.Done():
		return false
	}
	return true
}

// serve runs one connection to its end and reports whether its catch-up
// finished.
func (s *session) serve(w *wire, dialed string) (caughtUp bool) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); w.readLoop() }()
	go func() { defer wg.Done(); s.heartbeat(w) }()
	go func() {
		defer wg.Done()
		// A page of the list the app has asked for goes first: in a
		// browser the catch-up's requests and records run on the page's
		// one thread, and its first request would pay the runtime's first
		// uses of encoding/json (~300 ms profiled) before the page. An app
		// that has not asked for a page is not waited for.
		if !s.firstPage.waitAsked(w.ctx) {
			return
		}
		groups, err := s.catchUp(w)
		if err != nil {
			s.cfg.Logger.Warn("catch-up failed", "err", err)
			w.close(err)
			return
		}
		caughtUp = true
		go s.recheckCalls(w)
		go s.resubscribe(w)
		// What follows reads the whole conversation list: after the app's
		// first page.
		if !s.firstPage.wait(w.ctx) {
			return
		}
		if err := s.applyGroupFollowUp(w, groups); err != nil {
			s.cfg.Logger.Warn("applying group changes failed", "err", err)
		}
		if err := s.sendReads(w); err != nil {
			s.cfg.Logger.Warn("sending read seqs failed", "err", err)
		}
		s.fetchWanted(w)
		s.pushLoop(w)
	}()
	s.setState(ConnConnected, w)
	// From here SetToken tells this connection itself; a swap made while it
	// was being opened is told now.
	wg.Add(1)
	go func() { defer wg.Done(); s.refreshIfSwapped(w, dialed) }()
	s.outbox.wake()
	wg.Wait()
	w.close(errConnClosed)
	return caughtUp
}

func (s *session) heartbeat(w *wire) {
	t := time.NewTicker(s.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(w.ctx, s.cfg.PingTimeout)
		err := w.call(ctx, protocol.ReqPing, nil, nil)
		cancel()
		if err != nil && w.ctx.Err() == nil {
			s.cfg.Logger.Info("heartbeat failed; reconnecting", "err", err)
			w.close(errors.New("heartbeat: " + err.Error()))
			return
		}
	}
}

// goBackground runs fn on a goroutine that Logout waits for, unless the
// session already ended.
func (s *session) goBackground(fn func()) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		fn()
	}()
}
