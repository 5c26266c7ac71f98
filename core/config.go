package core

import (
	"context"
	"log/slog"
	"time"

	"parley/protocol"
)

// Config configures a Client. The zero value of every field but ServerURL
// means its default; New copies the Config before filling them in.
type Config struct {
	// ServerURL is the server's base URL, http(s)://host[:port]; the
	// WebSocket URL is derived from it (ws(s)://host[:port]/ws).
	ServerURL string
	// OpenStore opens the local store of userID at Login; the Client closes
	// it at Logout. Nil gives a fresh memory store at every Login (nothing
	// survives a Logout).
	OpenStore func(ctx context.Context, userID string) (Store, error)
	// Dialer opens WebSocket connections. Nil means NativeDialer in native
	// builds; the browser build must set it (package wsjs).
	Dialer Dialer
	// HTTP does the requests of the server's HTTP API (uploads). Nil means
	// NativeHTTP in native builds; the browser build sets it (package
	// fetchjs), and without it uploads fail with unimplemented.
	HTTP HTTPDoer
	// UploadMinRate is the slowest upload, in bytes per second, that is
	// not taken for stalled: each chunk may take its size at this rate,
	// plus SendTimeout, before its upload gives up. Default 16 KiB/s.
	UploadMinRate int64
	// Logger receives diagnostics; nil is silent.
	Logger *slog.Logger

	// SendTimeout bounds how long a message waits in the outbox for its ack,
	// offline time included, before it becomes failed. Default 60 s.
	SendTimeout time.Duration
	// RequestTimeout bounds a request (waiting for the connection included)
	// when the caller's ctx has no earlier deadline. Default 15 s.
	RequestTimeout time.Duration
	// HeartbeatInterval is the ping period. Default
	// protocol.HeartbeatIntervalMs.
	HeartbeatInterval time.Duration
	// PingTimeout is how long a ping may go unanswered before the
	// connection is taken for dead and replaced. Default 5 s (at most
	// HeartbeatInterval).
	PingTimeout time.Duration
	// MaxFrameBytes is the largest frame the server reads (its
	// -max-frame-bytes); a send whose frame is larger fails at once with
	// too_large instead of being tried. Default protocol.DefaultMaxFrameBytes.
	MaxFrameBytes int
	// ReconnectMinDelay and ReconnectMaxDelay bound the exponential backoff
	// between connection attempts (with jitter). Defaults 500 ms and 30 s.
	ReconnectMinDelay time.Duration
	ReconnectMaxDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// TokenWillExpireBefore is how long before the token's expiry the
	// TokenWillExpire event comes. Default 5 minutes.
	TokenWillExpireBefore time.Duration
	// TypingLapse is how long another user's typing indicator stands
	// without renewal; default protocol.TypingLapseMs (6 s). Tests
	// shorten it.
	TypingLapse time.Duration
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(discardHandler{})
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 60 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = protocol.HeartbeatIntervalMs * time.Millisecond
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = 5 * time.Second
	}
	if c.PingTimeout > c.HeartbeatInterval {
		c.PingTimeout = c.HeartbeatInterval
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = protocol.DefaultMaxFrameBytes
	}
	if c.ReconnectMinDelay <= 0 {
		c.ReconnectMinDelay = 500 * time.Millisecond
	}
	if c.ReconnectMaxDelay <= 0 {
		c.ReconnectMaxDelay = 30 * time.Second
	}
	if c.ReconnectMaxDelay < c.ReconnectMinDelay {
		c.ReconnectMaxDelay = c.ReconnectMinDelay
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TokenWillExpireBefore <= 0 {
		c.TokenWillExpireBefore = 5 * time.Minute
	}
	if c.TypingLapse <= 0 {
		c.TypingLapse = protocol.TypingLapseMs * time.Millisecond
	}
	if c.Dialer == nil {
		c.Dialer = defaultDialer()
	}
	if c.HTTP == nil {
		c.HTTP = defaultHTTP()
	}
	if c.UploadMinRate <= 0 {
		c.UploadMinRate = 16 << 10
	}
}

// discardHandler drops every record (slog.DiscardHandler without the
// version dependency).
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
