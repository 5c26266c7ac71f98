package core

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"parley/protocol"
)

// Client is the SDK: one Client serves one logged-in user at a time. All
// methods are safe for concurrent use.
type Client struct {
	cfg    Config
	wsBase string
	events *emitter

	mu     sync.Mutex
	sess   *session
	closed bool // set by Close, for good
	// attached holds the files of created messages until their send
	// stores them (files.go).
	attached map[string][]File

	// offline is what the platform last said of the network (SetOnline);
	// net is closed and replaced at each change, under mu.
	offline atomic.Bool
	net     chan struct{}
}

// SetOnline tells the client whether the platform has a network (in a
// browser: the online and offline events). Offline, the connection is
// dropped at once and no dial is tried, so the state says disconnected
// within moments instead of after a missed ping; back online, the client
// reconnects at once instead of waiting out its backoff.
func (c *Client) SetOnline(online bool) {
	if c.offline.Swap(!online) == !online {
		return // no change
	}
	c.mu.Lock()
	close(c.net)
	c.net = make(chan struct{})
	s := c.sess
	c.mu.Unlock()
	if !online && s != nil {
		if w := s.liveWire(); w != nil {
			w.close(errors.New("the platform reports no network"))
		}
	}
}

// netChanged returns a channel closed at the next SetOnline change.
func (c *Client) netChanged() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.net
}

// New checks cfg and returns a Client that is not logged in.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if cfg.Dialer == nil {
		return nil, errInvalid("core: Config.Dialer is required in this build")
	}
	if cfg.OpenStore == nil {
		return nil, errInvalid("core: Config.OpenStore is required")
	}
	base, err := wsBaseURL(cfg.ServerURL)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, wsBase: base, events: newEmitter(cfg.Logger), net: make(chan struct{})}, nil
}

// wsBaseURL turns the server URL into the WebSocket endpoint's URL. It
// parses by hand: net/url would add net/netip and more to the wasm.
func wsBaseURL(server string) (string, error) {
	scheme, rest, ok := strings.Cut(server, "://")
	if !ok {
		return "", errInvalid("core: ServerURL must be an absolute http(s) URL, got " + strconvQuote(server))
	}
	switch strings.ToLower(scheme) {
	case "http", "ws":
		scheme = "ws"
	case "https", "wss":
		scheme = "wss"
	default:
		return "", errInvalid("core: ServerURL scheme must be http or https, got " + strconvQuote(scheme))
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	host, path, _ := strings.Cut(rest, "/")
	if host == "" || strings.ContainsAny(host, " \t\n@") || strings.ContainsAny(path, " \t\n") {
		return "", errInvalid("core: ServerURL has no valid host: " + strconvQuote(server))
	}
	path = strings.TrimRight(path, "/")
	if path != "" {
		path = "/" + path
	}
	return scheme + "://" + host + path + protocol.WSPath, nil
}

// queryEscape percent-encodes s for a query value.
func queryEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func strconvQuote(s string) string { return "\"" + s + "\"" }

// On registers a handler for every event and returns the function that
// removes it. Handlers run one at a time, in emission order, never under the
// Client's locks; a panicking handler is logged and skipped.
func (c *Client) On(fn func(Event)) (remove func()) {
	return c.events.on(fn)
}

// session returns the logged-in session or a not_logged_in error.
func (c *Client) session() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosed()
	}
	if c.sess == nil {
		return nil, errNotLoggedIn()
	}
	return c.sess, nil
}

// Login opens userID's local store and starts connecting with token. It
// returns once local data is readable and does not wait for the network:
// with the server away the client keeps reconnecting in the background.
func (c *Client) Login(ctx context.Context, userID, token string) error {
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	if token == "" {
		return errInvalid("token is required")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClosed()
	}
	if c.sess != nil {
		return errInvalid("already logged in as " + c.sess.userID + "; log out first")
	}
	store, err := c.cfg.OpenStore(ctx, userID)
	if err != nil {
		return withCode(err)
	}
	s, err := c.startSession(ctx, userID, token, store)
	if err != nil {
		store.Close()
		return withCode(err)
	}
	c.sess = s
	return nil
}

func (c *Client) startSession(ctx context.Context, userID, token string, store Store) (*session, error) {
	store = newConvCache(store)
	entries, err := store.Outbox(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{
		c:         c,
		cfg:       &c.cfg,
		userID:    userID,
		url:       c.wsBase,
		running:   true,
		store:     store,
		changed:   make(chan struct{}),
		firstPage: newFirstPage(),
		state:     ConnDisconnected,
	}
	s.outbox.init(s, entries)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.setToken(token)
	s.wg.Add(2)
	go s.run()
	go s.outbox.run()
	return s, nil
}

// Logout disconnects, closes the local store and forgets the user. Messages
// still in the outbox stay stored and go out at the next Login of the user
// on the same store.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	s, closed := c.sess, c.closed
	c.sess = nil
	c.mu.Unlock()
	if s == nil && closed {
		return errClosed()
	}
	if s == nil {
		return errNotLoggedIn()
	}
	wasDisconnected := s.connState() == ConnDisconnected
	s.stopToken()
	s.mu.Lock()
	s.cancel() // under mu: goBackground adds to wg only before this
	if s.wire != nil {
		s.wire.close(errors.New("logout"))
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return withCode(ctx.Err())
	}
	if !wasDisconnected {
		c.events.emit(ConnectionStateChanged{State: ConnDisconnected})
	}
	// The app's own calls (a send, a mark-read) are not in wg and may be
	// mid-way through a read-decide-write. Closing under applyMu lets such a
	// write finish first; any later one finds the store closed. Otherwise a
	// stale write could land after the next login's, and undo it.
	s.applyMu.Lock()
	err := s.store.Close()
	s.applyMu.Unlock()
	if err != nil && !errors.Is(err, ErrStoreClosed) {
		return withCode(err)
	}
	return nil
}

// Close ends the client for good: it logs out as Logout does when logged
// in (the token is not revoked and local data stays for the next login),
// removes every event handler without announcing anything more, and makes
// every later call fail with code closed. Calling it again does nothing.
// An app that discards a client calls it, so that nothing of the client
// keeps running or stays reachable (in the browser: its JS functions).
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	loggedIn := c.sess != nil
	c.mu.Unlock()
	var err error
	if loggedIn {
		// Close set closed first, so no Login can start a session after
		// this Logout took the current one.
		if err = c.Logout(ctx); protocol.CodeOf(err) == protocol.CodeClosed {
			err = nil // a concurrent Logout took it first
		}
	}
	c.events.close()
	return err
}

func errClosed() error {
	return &Error{Code: protocol.CodeClosed, Message: "client closed"}
}

// LoginUserID returns the logged-in user's ID, or "".
func (c *Client) LoginUserID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.userID
}

// ConnectionState returns the current connection state.
func (c *Client) ConnectionState() ConnState {
	s, err := c.session()
	if err != nil {
		return ConnDisconnected
	}
	return s.connState()
}

// WaitEvents blocks until every event emitted so far reached the handlers.
// Tests use it; apps need not. Calling it from a handler deadlocks.
func (c *Client) WaitEvents() { c.events.wait() }
