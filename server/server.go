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
	// too_large; frames over 4× this close the connection.
	MaxFrameBytes int
	// AllowedOrigins lists the cross-origin pages (e.g.
	// "https://app.example.com", or "*" for any) allowed to open a
	// WebSocket and call the HTTP API. Same-origin pages and clients that
	// send no Origin are always allowed.
	AllowedOrigins []string
	// DenyStrangers, when set, lets users message only their friends.
	DenyStrangers bool
	// TokenTTL is how long a minted token is valid; default 7 days.
	TokenTTL time.Duration

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
	// than RateBurst beyond RateLimit) is closed with 1008.
	UserRateLimit float64
	UserRateBurst int
	// MaxConnsPerUser bounds one user's open WebSocket connections to this
	// node; a handshake beyond it is refused with 429 rate_limited. Default 20.
	MaxConnsPerUser int
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
}

func (c Config) withDefaults() Config {
	if c.Bus == nil {
		c.Bus = bus.NewLocal()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = protocol.DefaultMaxFrameBytes
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
	c.AllowedOrigins = append([]string(nil), c.AllowedOrigins...)
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
	authLimiter *ipLimiter
	// users holds each user's request limiter and connection count.
	users *userLimits
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
}

// New returns a Server ready to serve Handler, on cfg.Store (whose
// migrations the store's Open already ran) and subscribed to cfg.Bus.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
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

		authLimiter: newIPLimiter(cfg.AuthRateLimit, cfg.AuthRateBurst),
		users:       newUserLimits(cfg.UserRateLimit, cfg.UserRateBurst, cfg.MaxConnsPerUser),
		searches:    newKeyedLimits(searchRate, searchBurst),
	}
	s.hub = newHub(s.metrics)
	// The last step that can fail: once subscribed, the bus delivers to
	// this server's hub.
	if err := s.bus.Subscribe(ctx, s.hub); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.commit = newCommitter(st, cfg.MaxBatch, s.afterCommit, s.metrics, s.log)
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
	s.log.Info("shutting down", "connections", s.hub.count())

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
	s.commit.stop()
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
