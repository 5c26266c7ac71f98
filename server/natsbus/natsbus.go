// Package natsbus is the bus.Bus of several parleyd nodes: each event is
// delivered to this node's connections at once and published on one NATS
// subject that every node of the deployment subscribes to; each node then
// delivers it to its own connections of the event's users.
//
// One subject for all events, rather than one per user, means a push to a
// group of a thousand members is one NATS message, not a thousand, and a
// node needs no subscription per connected user; the price is that every
// node reads every event (docs/scaling.md discusses the limits).
//
// Delivery is at most once (core NATS): the bus is fan-out only. Messages,
// seqs and read states live in the store, and a client that misses a push
// catches up through sync. To make sure it does, the bus calls its
// Handler's Missed whenever this node may have missed events: after a
// reconnect to NATS, or when NATS dropped events because the node fell
// behind. The server then closes the node's WebSocket connections; their
// clients reconnect and sync.
//
// Events for the servers themselves (bus.Event.Control: presence, calls
// across nodes) travel on the same subject, one NATS message each.
package natsbus

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"parley/server/bus"
)

// DefaultSubject is the subject events travel on unless configured.
const DefaultSubject = "parley.push"

// Config configures a Bus. Only URL is required.
type Config struct {
	// URL is the NATS server, "nats://host:4222", or several separated by
	// commas. A query "?subject=…" sets Subject (unless set here), so that
	// the whole bus is configured by one string (parleyd's -bus flag).
	URL string
	// Subject is the subject the nodes of one deployment share; default
	// DefaultSubject. Deployments sharing a NATS server use different ones.
	Subject string
	// NodeID names this node in events and logs; default random.
	NodeID string
	// Logger receives connection changes; nil is silent.
	Logger *slog.Logger
	// ReconnectWait is the pause between reconnect attempts; default 1s
	// (with jitter). The bus keeps reconnecting until closed.
	ReconnectWait time.Duration
}

// Bus is a bus.Bus over NATS.
type Bus struct {
	cfg     Config
	timeout time.Duration
	nc      *nats.Conn
	log     *slog.Logger
	// h is set once by Subscribe; NATS's callbacks may read it before.
	h atomic.Pointer[bus.Handler]
	// sub is set by Subscribe, read by Close.
	sub atomic.Pointer[nats.Subscription]
}

var _ bus.Bus = (*Bus)(nil)

// header is the JSON line before the frame in a NATS message.
type header struct {
	Node     string   `json:"node"`
	UserIDs  []string `json:"users"`
	SkipConn string   `json:"skip,omitempty"`
	// OnlyToken and SkipToken select a call's device (bus.Event).
	OnlyToken string `json:"onlyToken,omitempty"`
	SkipToken string `json:"skipToken,omitempty"`
	Type      string `json:"type,omitempty"`
	// Kick is encoded with its Go field names, so that fields added to
	// bus.Kick travel without changes here.
	Kick *bus.Kick `json:"kick,omitempty"`
	// Control names a servers' event (bus.Event.Control).
	Control string `json:"ctl,omitempty"`
}

// Connect connects to NATS. The bus receives nothing until Subscribe;
// whoever connects it closes it.
func Connect(ctx context.Context, cfg Config) (*Bus, error) {
	servers, subject, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Subject == "" {
		cfg.Subject = subject
	}
	if cfg.Subject == "" {
		cfg.Subject = DefaultSubject
	}
	if cfg.NodeID == "" {
		b := make([]byte, 6)
		rand.Read(b)
		cfg.NodeID = "n" + hex.EncodeToString(b)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ReconnectWait <= 0 {
		cfg.ReconnectWait = time.Second
	}
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	b := &Bus{cfg: cfg, timeout: timeout, log: cfg.Logger.With("bus", "nats", "node", cfg.NodeID)}
	missed := func(reason string) {
		b.log.Warn("events from other nodes may have been missed", "reason", reason)
		if h := b.h.Load(); h != nil {
			(*h).Missed()
		}
	}
	nc, err := nats.Connect(servers,
		nats.Name("parleyd "+cfg.NodeID),
		nats.Timeout(timeout),
		// This node delivers its own events directly, not through NATS.
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(cfg.ReconnectWait),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			b.log.Warn("disconnected from NATS", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("reconnected to NATS", "server", nc.ConnectedUrlRedacted())
			missed("reconnected")
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				missed("slow consumer")
				return
			}
			b.log.Warn("NATS error", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("natsbus: connect: %w", err)
	}
	b.nc = nc
	b.log.Info("connected to NATS", "server", nc.ConnectedUrlRedacted(), "subject", cfg.Subject)
	return b, nil
}

// Subscribe implements bus.Bus: it subscribes to the deployment's subject
// and delivers other nodes' events to h from a NATS goroutine (this node's
// own from Publish).
func (b *Bus) Subscribe(ctx context.Context, h bus.Handler) error {
	if !b.h.CompareAndSwap(nil, &h) {
		return bus.ErrSubscribed
	}
	sub, err := b.nc.Subscribe(b.cfg.Subject, b.receive)
	if err == nil {
		// Once the NATS server has the subscription, no event published
		// after Subscribe returns is missed.
		timeout := b.timeout
		if d, ok := ctx.Deadline(); ok {
			timeout = time.Until(d)
		}
		err = b.nc.FlushTimeout(timeout)
		if err != nil {
			sub.Unsubscribe()
		}
	}
	if err != nil {
		b.h.Store(nil)
		return fmt.Errorf("natsbus: subscribe %q: %w", b.cfg.Subject, err)
	}
	b.sub.Store(sub)
	return nil
}

// parseURL splits "nats://a:4222,nats://b:4222?subject=x" into the servers
// and the subject.
func parseURL(s string) (servers, subject string, err error) {
	servers, query, _ := strings.Cut(s, "?")
	if servers == "" {
		return "", "", errors.New("natsbus: no NATS URL")
	}
	for _, srv := range strings.Split(servers, ",") {
		u, err := url.Parse(strings.TrimSpace(srv))
		if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") {
			return "", "", fmt.Errorf("natsbus: invalid NATS URL (want nats://host:port)")
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("natsbus: invalid NATS URL query: %w", err)
	}
	subject = q.Get("subject")
	if subject != "" && strings.ContainsAny(subject, " \t\r\n*>") {
		return "", "", fmt.Errorf("natsbus: invalid subject %q", subject)
	}
	return servers, subject, nil
}

// NodeID returns this node's ID.
func (b *Bus) NodeID() string { return b.cfg.NodeID }

// Publish implements bus.Bus: it delivers ev to this node's connections,
// then publishes it to the other nodes. An error means the other nodes
// will not get it (their clients catch up through sync); this node's
// connections got it anyway. A large user list is split over several NATS
// messages, each within the server's payload limit.
func (b *Bus) Publish(_ context.Context, ev bus.Event) error {
	hd := b.h.Load()
	if hd == nil {
		return bus.ErrNotSubscribed
	}
	(*hd).Deliver(ev)
	h := header{Node: b.cfg.NodeID, SkipConn: ev.SkipConn, OnlyToken: ev.OnlyToken, SkipToken: ev.SkipToken, Type: ev.Type, Kick: ev.Kick, Control: ev.Control}
	if ev.Control != "" {
		// For the servers: one message, whatever its users.
		data, err := encode(&h, ev.Frame)
		if err != nil {
			return err
		}
		if err := b.nc.Publish(b.cfg.Subject, data); err != nil {
			return fmt.Errorf("natsbus: publish %s: %w", ev.Control, err)
		}
		return nil
	}
	// Room for the user IDs: the payload limit less the frame and the
	// rest of the header, with some slack.
	room := int(b.nc.MaxPayload()) - len(ev.Frame) - 1024 - len(ev.SkipConn) - len(ev.Type) - len(h.Node)
	users := ev.UserIDs
	for len(users) > 0 {
		n, size := 0, 0
		for n < len(users) {
			// A quoted ID and a comma; doubling covers JSON escapes.
			add := 2*len(users[n]) + 3
			if n > 0 && size+add > room {
				break
			}
			size += add
			n++
		}
		if size > room {
			return fmt.Errorf("natsbus: publish %s: frame of %d bytes too large for NATS", ev.Type, len(ev.Frame))
		}
		h.UserIDs = users[:n]
		users = users[n:]
		data, err := encode(&h, ev.Frame)
		if err != nil {
			return err
		}
		if err := b.nc.Publish(b.cfg.Subject, data); err != nil {
			return fmt.Errorf("natsbus: publish %s: %w", ev.Type, err)
		}
	}
	return nil
}

func encode(h *header, frame []byte) ([]byte, error) {
	head, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("natsbus: encode: %w", err)
	}
	// JSON never holds a raw newline, so the first one ends the header.
	data := make([]byte, 0, len(head)+1+len(frame))
	data = append(data, head...)
	data = append(data, '\n')
	return append(data, frame...), nil
}

func decode(data []byte) (bus.Event, string, error) {
	head, frame, ok := bytes.Cut(data, []byte{'\n'})
	if !ok {
		return bus.Event{}, "", errors.New("no header")
	}
	var h header
	if err := json.Unmarshal(head, &h); err != nil {
		return bus.Event{}, "", err
	}
	return bus.Event{UserIDs: h.UserIDs, SkipConn: h.SkipConn, OnlyToken: h.OnlyToken, SkipToken: h.SkipToken, Type: h.Type, Frame: frame, Kick: h.Kick, Control: h.Control}, h.Node, nil
}

// receive delivers another node's event. NATS calls it from one goroutine
// per subscription, so each node's events are delivered in the order that
// node published them.
func (b *Bus) receive(m *nats.Msg) {
	ev, node, err := decode(m.Data)
	if err != nil {
		b.log.Warn("dropping malformed event", "err", err)
		return
	}
	if node == b.cfg.NodeID {
		return // delivered by Publish already
	}
	if h := b.h.Load(); h != nil {
		(*h).Deliver(ev)
	}
}

// Ping checks that the bus is connected to NATS and that the server
// answers a round trip within ctx (parleyd's /healthz).
func (b *Bus) Ping(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return fmt.Errorf("natsbus: not connected (%s)", b.nc.Status())
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("natsbus: ping: %w", err)
	}
	return nil
}

// Close implements bus.Bus: it stops receiving, sends what is buffered
// and disconnects.
func (b *Bus) Close() error {
	var err error
	if sub := b.sub.Load(); sub != nil {
		err = sub.Unsubscribe()
		if errors.Is(err, nats.ErrConnectionClosed) {
			err = nil
		}
	}
	// While disconnected there is nothing to flush to; what is buffered
	// is lost, as pushes may be.
	if b.nc.IsConnected() {
		if ferr := b.nc.FlushTimeout(5 * time.Second); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	b.nc.Close()
	if err != nil {
		return fmt.Errorf("natsbus: close: %w", err)
	}
	return nil
}
