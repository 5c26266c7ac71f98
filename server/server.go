// Package server is parleyd: accounts and tokens over HTTP, and the
// WebSocket gateway through which the SDK sends, syncs and pulls messages.
//
// A Server is built with New from a Config and serves everything from
// Handler. It is handed its persistence (a store.Store: SQLite or
// PostgreSQL, from server/store/…) and its push bus (a bus.Bus: in-process,
// or NATS across nodes from server/natsbus) by the caller, which opens
// them, and closes them after Shutdown; this package imports neither
// implementation. cmd/parleyd chooses them from its -store and -bus flags.
// docs/protocol.md describes the wire protocol, docs/limits.md every limit.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/protocol"
	"parley/server/bus"
	"parley/server/store"
)

// Config configures a Server. The zero value of every field but Store and
// AdminSecret is usable; New fills in the defaults on a copy.
type Config struct {
	// Store keeps accounts, messages and conversation states: a
	// sqlite.Store for one node, a postgres.Store that several nodes share
	// (docs/scaling.md), or any store.Store that passes storetest.
	// Required. The caller opens it and closes it after Shutdown returned;
	// the Server never closes it.
	Store store.Store
	// Bus carries pushes to the connections of every node; New subscribes
	// the server to it. nil is a bus.Local of the server's own (one node);
	// a natsbus.Bus fans pushes out across nodes. As with Store, the
	// caller closes a Bus it passed, after Shutdown returned.
	Bus bus.Bus
	// AdminSecret authorizes the /api/v1/admin routes. Required.
	AdminSecret string
	// Logger receives the server's logs; nil is silent.
	Logger *slog.Logger

	// MaxFrameBytes bounds one WebSocket frame (so one message); default
	// protocol.DefaultMaxFrameBytes. Larger frames are answered with
	// too_large (and count as bad frames).
	MaxFrameBytes int
	// MaxFrameReadBytes is the hard limit: larger frames are read up to
	// MaxFrameReadBytes only (the first MaxFrameBytes kept) and
	// answered too_large; a frame beyond it closes the connection with
	// protocol.CloseFrameTooLarge, its reason naming the frame's id when
	// it could be read. Default 16 × MaxFrameBytes (1 MiB).
	MaxFrameReadBytes int
	// BadFrameRate and BadFrameBurst bound the frames of one connection
	// that are malformed, have no id or are too large (each also counts
	// as a request); a connection beyond them is closed with 1008 "too
	// many bad frames". Defaults 1/s and 10.
	BadFrameRate  float64
	BadFrameBurst int
	// AllowedOrigins lists the cross-origin pages (e.g.
	// "https://app.example.com", or "*" for any) allowed to open a
	// WebSocket and call the HTTP API. Same-origin pages and clients that
	// send no Origin are always allowed.
	AllowedOrigins []string
	// DenyStrangers, when set, lets users message only their friends.
	DenyStrangers bool
	// TokenTTL is how long a minted token is valid; default 7 days.
	TokenTTL time.Duration

	// MetricsSecret, when set, is the bearer secret /metrics requires
	// (Authorization: Bearer <secret>); empty leaves /metrics public.
	MetricsSecret string
	// SeparateMetrics, when set, leaves /metrics out of Handler: the
	// embedder serves MetricsHandler on an address of its own.
	SeparateMetrics bool

	// SDKDir is served at /sdk/ (the built npm package); empty serves nothing.
	SDKDir string
	// DemoFS is served at / (the web demo); nil serves nothing.
	DemoFS fs.FS

	// HeartbeatInterval is the client's expected ping interval; a
	// connection silent for three intervals is closed. Default
	// protocol.HeartbeatIntervalMs.
	HeartbeatInterval time.Duration
	// RateLimit is the sustained number of requests per second one
	// connection may make (pings excluded), RateBurst the burst; defaults
	// 100 and 200. Requests over the limit are answered rate_limited.
	RateLimit float64
	RateBurst int
	// UserRateLimit is the sustained number of requests per second one
	// user may make across all their connections to this node (pings
	// excluded), UserRateBurst the burst; defaults 200 and 400. Requests
	// over either this or the connection's limit are answered rate_limited;
	// a connection that keeps sending regardless (more rejected requests
	// than RateBurst beyond RateLimit) is closed with 1008. The user's
	// budget outlives their last connection until it has refilled, so
	// that reconnecting does not renew it.
	UserRateLimit float64
	UserRateBurst int
	// MaxConnsPerUser bounds one user's open WebSocket connections to this
	// node; a handshake beyond it is refused with 429 rate_limited. Default 20.
	MaxConnsPerUser int
	// HandshakeRatePerIP is the sustained number of WebSocket handshakes
	// per second from one client IP (an IPv6 address by its /64),
	// HandshakeBurstPerIP the burst; defaults 20 and 200. It is checked
	// before the token, so refused handshakes cost no store lookup.
	HandshakeRatePerIP  float64
	HandshakeBurstPerIP int
	// HandshakeRatePerUser and HandshakeBurstPerUser bound one user's
	// handshakes the same way, after the token; defaults 1 and 20.
	// Handshakes over either limit get 429 rate_limited.
	HandshakeRatePerUser  float64
	HandshakeBurstPerUser int
	// SessionPolicy is SessionsMulti ("" or "multi": any number of sessions
	// per platform) or SessionsSinglePerPlatform ("single-per-platform": a
	// new connection replaces the user's older connections on the same
	// platform, which get push.kicked {"reason":"replaced"} and are closed).
	SessionPolicy string
	// MaxGroupSize bounds a group's members, owner included; default 500.
	// group.create with more is answered invalid_argument.
	MaxGroupSize int
	// MaxSyncPage and MaxPullPage cap the conversations of one sync answer
	// and the messages of one pull range; larger requested limits are
	// lowered to them. Defaults (and maxima) protocol.MaxSyncLimit and
	// protocol.MaxPullLimit; clients continue where a page stops.
	MaxSyncPage int
	MaxPullPage int
	// AuthRateLimit is the sustained number of register and login attempts
	// per second from one IP address, AuthRateBurst the burst; defaults 5
	// and 50. Attempts over the limit get 429 rate_limited.
	AuthRateLimit float64
	AuthRateBurst int
	// LoginFreeFailures is how many failed logins an account (a username)
	// takes, from anywhere, before each further one locks it; the lock
	// lasts LoginLockBase, doubling with each failure up to LoginLockMax.
	// Logins to a locked account get 429 rate_limited unchecked, except
	// from the addresses it has logged in from (docs/limits.md). Defaults
	// 5, 1 s and 15 min.
	LoginFreeFailures int
	LoginLockBase     time.Duration
	LoginLockMax      time.Duration
	// HTTPReadTimeout bounds reading one HTTP request, body included
	// (headers: at most 10 s of it), HTTPWriteTimeout writing its answer
	// (the 4.8 MB SDK to a slow client too), HTTPIdleTimeout a keep-alive
	// connection's wait for its next request; defaults 30 s, 2 min and
	// 60 s. They apply through ConfigureHTTP; WebSockets are not bound by
	// them.
	HTTPReadTimeout  time.Duration
	HTTPWriteTimeout time.Duration
	HTTPIdleTimeout  time.Duration
	// MaxConnsPerIP bounds the open connections (HTTP and WebSocket) of
	// one client IP through LimitListener; default 256.
	MaxConnsPerIP int
	// SendQueue is how many outgoing frames may wait for a slow reader
	// before its connection is closed; default 1024. It must absorb the
	// pushes of one group commit (up to MaxBatch) in a busy group.
	SendQueue int
	// SendQueueBytes bounds the bytes of those frames; default 8 MiB.
	SendQueueBytes int
	// WriteTimeout bounds writing one frame to a connection; default 10s.
	WriteTimeout time.Duration
	// MaxBatch bounds how many messages share one commit; default 256.
	MaxBatch int
	// BcryptCost is the password hashing cost; default bcrypt.DefaultCost.
	// Tests lower it.
	BcryptCost int
	// Clock returns the current time; nil is time.Now. Tests move it.
	Clock func() time.Time

	// Webhook configures the webhooks to the application's backend
	// (docs/integrating.md); the zero value sends none.
	Webhook WebhookConfig
	// CallTimeout ends a call nobody answered as missed; default 60s.
	CallTimeout time.Duration
	// CallReconnectGrace is how long a call's device may be disconnected
	// before its part of the call ends (connectionLost); signals to it
	// wait meanwhile. Default 20s.
	CallReconnectGrace time.Duration
	// PresenceHeartbeat is how often this node tells the others it is
	// alive; a node not heard from for three of them is given up and its
	// users count as offline there (docs/scaling.md). Default 5 s.
	PresenceHeartbeat time.Duration
	// ICEServers are what call.config answers (-ice-servers).
	ICEServers []protocol.ICEServer
	// TURNSecret, when set, is the shared secret of the TURN servers among
	// ICEServers, for which call.config mints credentials per user.
	TURNSecret string
	// Uploads, downloads and link previews (media.go).
	Media MediaConfig
	// RevokeWindow is how long after sending a sender may revoke a
	// message (a group's owner and admins may revoke any); default 24 h.
	RevokeWindow time.Duration
}

func (c Config) withDefaults() Config {
	if c.RevokeWindow <= 0 {
		c.RevokeWindow = defaultRevokeWindow * time.Millisecond
	}
	if c.Bus == nil {
		c.Bus = bus.NewLocal()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = protocol.DefaultMaxFrameBytes
	}
	if c.MaxFrameReadBytes < c.MaxFrameBytes {
		c.MaxFrameReadBytes = 16 * c.MaxFrameBytes
	}
	if c.BadFrameRate <= 0 {
		c.BadFrameRate = 1
	}
	if c.BadFrameBurst <= 0 {
		c.BadFrameBurst = 10
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 7 * 24 * time.Hour
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = protocol.HeartbeatIntervalMs * time.Millisecond
	}
	if c.RateLimit <= 0 {
		c.RateLimit = 100
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 200
	}
	if c.UserRateLimit <= 0 {
		c.UserRateLimit = 200
	}
	if c.UserRateBurst <= 0 {
		c.UserRateBurst = 400
	}
	if c.MaxConnsPerUser <= 0 {
		c.MaxConnsPerUser = 20
	}
	if c.HandshakeRatePerIP <= 0 {
		c.HandshakeRatePerIP = 20
	}
	if c.HandshakeBurstPerIP <= 0 {
		c.HandshakeBurstPerIP = 200
	}
	if c.HandshakeRatePerUser <= 0 {
		c.HandshakeRatePerUser = 1
	}
	if c.HandshakeBurstPerUser <= 0 {
		c.HandshakeBurstPerUser = 20
	}
	if c.SessionPolicy == "" {
		c.SessionPolicy = SessionsMulti
	}
	if c.MaxGroupSize <= 0 {
		c.MaxGroupSize = 500
	}
	if c.MaxSyncPage <= 0 || c.MaxSyncPage > protocol.MaxSyncLimit {
		c.MaxSyncPage = protocol.MaxSyncLimit
	}
	if c.MaxPullPage <= 0 || c.MaxPullPage > protocol.MaxPullLimit {
		c.MaxPullPage = protocol.MaxPullLimit
	}
	if c.AuthRateLimit <= 0 {
		c.AuthRateLimit = 5
	}
	if c.AuthRateBurst <= 0 {
		c.AuthRateBurst = 50
	}
	if c.HTTPReadTimeout <= 0 {
		c.HTTPReadTimeout = 30 * time.Second
	}
	if c.HTTPWriteTimeout <= 0 {
		c.HTTPWriteTimeout = 2 * time.Minute
	}
	if c.HTTPIdleTimeout <= 0 {
		c.HTTPIdleTimeout = 60 * time.Second
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = 256
	}
	if c.LoginFreeFailures <= 0 {
		c.LoginFreeFailures = 5
	}
	if c.LoginLockBase <= 0 {
		c.LoginLockBase = time.Second
	}
	if c.LoginLockMax <= 0 {
		c.LoginLockMax = 15 * time.Minute
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 1024
	}
	if c.SendQueueBytes <= 0 {
		c.SendQueueBytes = 8 << 20
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 256
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = bcrypt.DefaultCost
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = defaultCallTimeout
	}
	if c.PresenceHeartbeat <= 0 {
		c.PresenceHeartbeat = defaultPresenceHeartbeat
	}
	if c.CallReconnectGrace <= 0 {
		c.CallReconnectGrace = defaultCallReconnectGrace
	}
	c.ICEServers = append([]protocol.ICEServer(nil), c.ICEServers...)
	c.AllowedOrigins = append([]string(nil), c.AllowedOrigins...)
	if c.Webhook.URL != "" {
		c.Webhook = c.Webhook.withDefaults()
	}
	c.Media = c.Media.withDefaults()
	return c
}

// Session policies (Config.SessionPolicy).
const (
	SessionsMulti             = "multi"
	SessionsSinglePerPlatform = "single-per-platform"
)

// Server is one parleyd node.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   store.Store
	bus     bus.Bus
	hub     *hub
	tokens  *tokenSigner
	metrics *metrics
	commit  *committer
	// authLimiter slows password guessing on register and login.
	authLimiter *keyedLimiter
	// logins slows password guessing per account.
	logins *loginGuard
	// users holds each user's request limiter and connection count.
	users *userLimits
	// ipHandshakes and userHandshakes limit WebSocket handshakes.
	ipHandshakes, userHandshakes *keyedLimiter
	// searches holds each user's user.search limiter (people.go).
	searches *keyedLimits
	handler  http.Handler
	// handlers answer the WebSocket request types (send aside).
	handlers map[string]handlerFunc
	// dummyHash is compared against on logins of unknown users, so that
	// they take as long as logins with a wrong password.
	dummyHash []byte
	// wsWriteBufs lends write buffers to connections only while they
	// write, so idle connections hold none.
	wsWriteBufs sync.Pool

	// mu guards closing and the Add side of active.
	mu      sync.Mutex
	closing bool
	// active counts HTTP requests in progress, WebSocket connections included.
	active sync.WaitGroup
	ready  atomic.Bool
	// health pings the store and bus for /healthz.
	health *healthChecker
	// knownUsers answers the send path's "does the recipient exist".
	knownUsers knownUsers
	// stopStatic ends the background compression of static files.
	stopStatic context.CancelFunc
	// webhooks sends the webhooks; nil when none are configured.
	webhooks *webhooks
	// openapi is the OpenAPI document served at OpenAPIPath; patterns
	// are the router's (Routes).
	openapi  []byte
	patterns []string
	// calls holds the calls started on this node.
	calls *calls
	// media serves uploads, downloads and link previews.
	media *media
	// presence tells watchers who is online, on every node.
	presence *presence
	// presenceHooks queues userOnline and userOffline once for all nodes.
	presenceHooks *presenceHooks
}

// New returns a Server ready to serve Handler, on cfg.Store (whose
// migrations the store's Open already ran) and subscribed to cfg.Bus.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Webhook.check(); err != nil {
		return nil, err
	}
	if cfg.Store == nil {
		return nil, errors.New("server: Store is required")
	}
	if cfg.AdminSecret == "" {
		return nil, errors.New("server: AdminSecret is required")
	}
	if cfg.SessionPolicy != SessionsMulti && cfg.SessionPolicy != SessionsSinglePerPlatform {
		return nil, fmt.Errorf("server: unknown session policy %q (want %s or %s)", cfg.SessionPolicy, SessionsMulti, SessionsSinglePerPlatform)
	}
	st := cfg.Store
	key, err := st.Secret(ctx, "token_key", func() ([]byte, error) {
		k := make([]byte, 32)
		_, err := rand.Read(k)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("server: token key: %w", err)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a password"), cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("server: bcrypt cost %d: %w", cfg.BcryptCost, err)
	}

	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		store:     st,
		bus:       cfg.Bus,
		tokens:    &tokenSigner{key: key},
		metrics:   newMetrics(),
		dummyHash: dummy,

		authLimiter: newKeyedLimiter(cfg.AuthRateLimit, cfg.AuthRateBurst),
		logins:      newLoginGuard(cfg.LoginFreeFailures, cfg.LoginLockBase, cfg.LoginLockMax),
		users:       newUserLimits(cfg.UserRateLimit, cfg.UserRateBurst, cfg.MaxConnsPerUser),
		searches:    newKeyedLimits(searchRate, searchBurst),

		ipHandshakes:   newKeyedLimiter(cfg.HandshakeRatePerIP, cfg.HandshakeBurstPerIP),
		userHandshakes: newKeyedLimiter(cfg.HandshakeRatePerUser, cfg.HandshakeBurstPerUser),
	}
	if s.openapi, err = openapiDoc(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.hub = newHub(s.metrics)
	s.calls = newCalls(s)
	node := randomID("n", 10)
	s.presence = newPresence(s, node)
	s.presenceHooks = newPresenceHooks(s, node)
	if s.media, err = newMedia(ctx, s); err != nil {
		return nil, err
	}
	// Before the bus and presence, which queue presence webhooks.
	s.webhooks = s.newWebhooks()
	// The last step that can fail: once subscribed, the bus delivers to
	// this server's hub.
	if err := s.bus.Subscribe(ctx, busHandler{s}); err != nil {
		s.webhooks.stop()
		return nil, fmt.Errorf("server: %w", err)
	}
	s.presence.start()
	s.commit = newCommitter(st, cfg.MaxBatch, s.afterCommit, s.metrics, s.log)
	// Set before any send can reach the committer (none can before New returns).
	s.commit.afterBatch = s.afterCommitBatch
	var parts []healthPart
	if p, ok := st.(pinger); ok {
		parts = append(parts, healthPart{"store", p})
	}
	if p, ok := s.bus.(pinger); ok {
		parts = append(parts, healthPart{"bus", p})
	}
	s.health = newHealthChecker(healthTimeout, healthMaxAge, parts...)
	s.handler = s.routes()
	s.ready.Store(true)
	s.log.Info("server ready")
	return s, nil
}

// Handler serves every route: the HTTP API, /ws, /healthz, /metrics, /sdk/
// and the demo at /.
func (s *Server) Handler() http.Handler { return s.handler }

// Shutdown stops accepting requests, lets each WebSocket connection finish
// the requests it has read (acknowledging committed messages), closes the
// connections with "going away" and commits what is queued. It returns
// ctx's error if ctx ends first; requests not yet acknowledged then get no
// acknowledgement. Once it returned, the server no longer uses Config.Store
// or Config.Bus, and the caller closes them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return errors.New("server: already shut down")
	}
	s.closing = true
	s.mu.Unlock()
	s.ready.Store(false)
	s.stopStatic()
	s.log.Info("shutting down", "connections", s.hub.count())
	// Before the connections close, so that their devices learn it.
	s.calls.shutdown(ctx)

	s.hub.drainAll()
	idle := make(chan struct{})
	go func() {
		s.active.Wait()
		close(idle)
	}()
	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		err = fmt.Errorf("server: shutdown: %w", ctx.Err())
		s.hub.abortAll()
	}
	s.presence.shutdown()
	s.presenceHooks.wait()
	s.commit.stop()
	s.webhooks.stop()
	s.media.stop()
	return err
}

// enter registers an HTTP request in progress; false once shutting down.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.active.Add(1)
	return true
}

func (s *Server) now() time.Time { return s.cfg.Clock() }

func (s *Server) nowMs() int64 { return s.cfg.Clock().UnixMilli() }
