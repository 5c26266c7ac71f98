// Command parleyd is Parley's IM server: the HTTP API, the WebSocket
// gateway, the web demo at / and the SDK package at /sdk/, on one port.
//
// It is where the server's store and bus are chosen: SQLite in -data or
// PostgreSQL (-store postgres://…), the in-process bus or NATS (-bus
// nats://…). parleyd opens them, hands them to server.New, and closes them
// once the server has shut down.
//
// Every flag has an environment variable; the variable sets the default
// and the flag overrides it. See docs/limits.md for all settings.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	webdemo "parley/web-demo"

	"parley/server"
	"parley/server/bus"
	"parley/server/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "parleyd:", err)
		os.Exit(1)
	}
}

// options are parleyd's settings after flags and environment.
type options struct {
	addr, data, adminSecret, store, bus string
	sdkDir, allowedOrigins, debugAddr   string
	maxFrameBytes                       int
	maxConnsPerUser, maxGroupSize       int
	maxSyncPage, maxPullPage            int
	rateLimit, userRateLimit            float64
	sessionPolicy                       string
	denyStrangers                       bool
	tokenTTL                            time.Duration
	logLevel                            string
	media                               mediaOptions
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) (int, error) {
		v := getenv(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return n, nil
	}
	var o options
	fs := flag.NewFlagSet("parleyd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", env("PARLEY_ADDR", "127.0.0.1:8080"), "listen address (PARLEY_ADDR)")
	fs.StringVar(&o.data, "data", env("PARLEY_DATA", "./data"), "data folder: database and uploads (PARLEY_DATA)")
	fs.StringVar(&o.adminSecret, "admin-secret", env("PARLEY_ADMIN_SECRET", ""), "admin API secret; generated and printed when empty (PARLEY_ADMIN_SECRET)")
	fs.StringVar(&o.store, "store", env("PARLEY_STORE", "sqlite"), "store: sqlite, or a postgres:// URL shared by several nodes (PARLEY_STORE)")
	fs.StringVar(&o.bus, "bus", env("PARLEY_BUS", "local"), "push bus: local, or a nats:// URL to fan pushes out across nodes (PARLEY_BUS)")
	fs.StringVar(&o.sdkDir, "sdk-dir", env("PARLEY_SDK_DIR", "wasm/dist"), "folder served at /sdk/ (PARLEY_SDK_DIR)")
	fs.StringVar(&o.allowedOrigins, "allowed-origins", env("PARLEY_ALLOWED_ORIGINS", ""), "comma-separated cross-origin pages allowed, or * (PARLEY_ALLOWED_ORIGINS)")
	fs.StringVar(&o.debugAddr, "debug-addr", env("PARLEY_DEBUG_ADDR", ""), "listen address for /debug/pprof; empty disables (PARLEY_DEBUG_ADDR)")
	fs.StringVar(&o.logLevel, "log-level", env("PARLEY_LOG_LEVEL", "info"), "debug, info, warn or error (PARLEY_LOG_LEVEL)")
	mfb, err := envInt("PARLEY_MAX_FRAME_BYTES", 0)
	if err != nil {
		return nil, err
	}
	fs.IntVar(&o.maxFrameBytes, "max-frame-bytes", mfb, "largest WebSocket frame; 0 = 65536 (PARLEY_MAX_FRAME_BYTES)")
	envFloat := func(name string) (float64, error) {
		v := getenv(name)
		if v == "" {
			return 0, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return f, nil
	}
	mcu, err := envInt("PARLEY_MAX_CONNS_PER_USER", 0)
	if err != nil {
		return nil, err
	}
	fs.IntVar(&o.maxConnsPerUser, "max-conns-per-user", mcu, "WebSocket connections per user; 0 = 20 (PARLEY_MAX_CONNS_PER_USER)")
	mgs, err := envInt("PARLEY_MAX_GROUP_SIZE", 0)
	if err != nil {
		return nil, err
	}
	fs.IntVar(&o.maxGroupSize, "max-group-size", mgs, "members of a group, owner included; 0 = 500 (PARLEY_MAX_GROUP_SIZE)")
	msp, err := envInt("PARLEY_MAX_SYNC_PAGE", 0)
	if err != nil {
		return nil, err
	}
	fs.IntVar(&o.maxSyncPage, "max-sync-page", msp, "conversations per sync answer, at most 500; 0 = 500 (PARLEY_MAX_SYNC_PAGE)")
	mpp, err := envInt("PARLEY_MAX_PULL_PAGE", 0)
	if err != nil {
		return nil, err
	}
	fs.IntVar(&o.maxPullPage, "max-pull-page", mpp, "messages per pull range, at most 500; 0 = 500 (PARLEY_MAX_PULL_PAGE)")
	rl, err := envFloat("PARLEY_RATE_LIMIT")
	if err != nil {
		return nil, err
	}
	fs.Float64Var(&o.rateLimit, "rate-limit", rl, "requests per second per connection, burst twice that; 0 = 100 (PARLEY_RATE_LIMIT)")
	url, err := envFloat("PARLEY_USER_RATE_LIMIT")
	if err != nil {
		return nil, err
	}
	fs.Float64Var(&o.userRateLimit, "user-rate-limit", url, "requests per second per user across connections, burst twice that; 0 = 200 (PARLEY_USER_RATE_LIMIT)")
	fs.StringVar(&o.sessionPolicy, "session-policy", env("PARLEY_SESSION_POLICY", server.SessionsMulti),
		"multi, or single-per-platform: a new login on a platform kicks the older ones (PARLEY_SESSION_POLICY)")
	deny, _ := strconv.ParseBool(getenv("PARLEY_DENY_STRANGERS"))
	fs.BoolVar(&o.denyStrangers, "deny-strangers", deny, "only friends may message each other (PARLEY_DENY_STRANGERS)")
	ttl := time.Duration(0)
	if v := getenv("PARLEY_TOKEN_TTL"); v != "" {
		if ttl, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("PARLEY_TOKEN_TTL: %w", err)
		}
	}
	fs.DurationVar(&o.tokenTTL, "token-ttl", ttl, "token lifetime; 0 = 168h (PARLEY_TOKEN_TTL)")
	if err := o.media.register(fs, getenv); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return &o, nil
}

// run starts parleyd and serves until ctx ends or SIGINT/SIGTERM arrives.
// ready, if not nil, receives the listening address.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready chan<- string) error {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if o.adminSecret == "" {
		b := make([]byte, 24)
		rand.Read(b)
		o.adminSecret = hex.EncodeToString(b)
		fmt.Fprintf(stderr, "parleyd: generated admin secret (set PARLEY_ADMIN_SECRET to keep one): %s\n", o.adminSecret)
	}
	var origins []string
	for _, s := range strings.Split(o.allowedOrigins, ",") {
		if s = strings.TrimSpace(s); s != "" {
			origins = append(origins, s)
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, storeKind, err := openStore(ctx, o.store, o.data)
	if err != nil {
		return err
	}
	b, busKind, err := openBus(ctx, o.bus, log)
	if err != nil {
		return errors.Join(err, st.Close())
	}
	// Not the URLs: they may hold passwords.
	log.Info("opened store and bus", "store", storeKind, "bus", busKind, "data", o.data)
	err = serve(ctx, o, log, st, b, origins, ready)
	// The server is down: nothing uses the bus or the store any more. The
	// bus first, so that it sends what it buffered.
	err = errors.Join(err, b.Close(), st.Close())
	if err == nil {
		log.Info("stopped cleanly")
	}
	return err
}

// serve runs a server on st and b until ctx ends or the listener fails,
// then shuts it down; the caller closes st and b.
func serve(ctx context.Context, o *options, log *slog.Logger, st store.Store, b bus.Bus, origins []string, ready chan<- string) error {
	media, filesKind, err := o.media.config(ctx, o.data)
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	log.Info("opened file store", "files", filesKind)
	srv, err := server.New(ctx, server.Config{
		Store:           st,
		Bus:             b,
		AdminSecret:     o.adminSecret,
		Logger:          log,
		MaxFrameBytes:   o.maxFrameBytes,
		RateLimit:       o.rateLimit,
		RateBurst:       int(2 * o.rateLimit),
		UserRateLimit:   o.userRateLimit,
		UserRateBurst:   int(2 * o.userRateLimit),
		MaxConnsPerUser: o.maxConnsPerUser,
		MaxGroupSize:    o.maxGroupSize,
		MaxSyncPage:     o.maxSyncPage,
		MaxPullPage:     o.maxPullPage,
		SessionPolicy:   o.sessionPolicy,
		AllowedOrigins:  origins,
		DenyStrangers:   o.denyStrangers,
		TokenTTL:        o.tokenTTL,
		SDKDir:          o.sdkDir,
		DemoFS:          webdemo.FS(),
		Media:           media,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return errors.Join(err, srv.Shutdown(context.Background()))
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/")
	if ready != nil {
		ready <- ln.Addr().String()
	}
	if o.debugAddr != "" {
		go serveDebug(ctx, o.debugAddr, log)
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return errors.Join(err, srv.Shutdown(context.Background()))
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// The Server first: it drains the WebSocket connections, which
	// http.Server.Shutdown does not track once hijacked.
	err = srv.Shutdown(sctx)
	if herr := hs.Shutdown(sctx); herr != nil && !errors.Is(herr, http.ErrServerClosed) {
		err = errors.Join(err, herr)
	}
	return err
}

// serveDebug serves net/http/pprof on its own address, so it is never
// exposed on the public port.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	log.Info("debug listening", "addr", addr)
	if err := hs.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("debug server", "err", err)
	}
}
