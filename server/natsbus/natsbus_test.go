package natsbus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server/bus"
	"parley/server/internal/tcpproxy"
)

// testURL returns PARLEY_TEST_NATS, or skips the test when it is unset.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("PARLEY_TEST_NATS")
	if u == "" {
		t.Skip("PARLEY_TEST_NATS is not set (e.g. nats://127.0.0.1:4222); skipping NATS tests")
	}
	return u
}

// uniqueSubject keeps parallel and repeated tests apart.
func uniqueSubject() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "parley.test." + hex.EncodeToString(b)
}

// sink is a bus.Handler that collects delivered events.
type sink chan bus.Event

// Deliver implements bus.Handler; a nil sink drops the event.
func (s sink) Deliver(ev bus.Event) {
	if s != nil {
		s <- ev
	}
}

// Missed implements bus.Handler.
func (s sink) Missed() {}

// discard is a sink that drops everything.
func discard() sink { return nil }

func (s sink) next(t *testing.T) bus.Event {
	t.Helper()
	select {
	case ev := <-s:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return bus.Event{}
	}
}

// connect connects a bus and subscribes h to it.
func connect(t *testing.T, cfg Config, h bus.Handler) *Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := Connect(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, b.Close())
	})
	require.NoError(t, b.Subscribe(ctx, h))
	return b
}

// TestSubscribeOnce: publishing before subscribing is refused, not
// dropped unseen, and a bus has one subscriber.
func TestSubscribeOnce(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := Connect(ctx, Config{URL: url, Subject: uniqueSubject()})
	require.NoError(t, err)
	defer func() { assert.NoError(t, b.Close()) }()
	assert.ErrorIs(t, b.Publish(ctx, bus.Event{UserIDs: []string{"u"}, Frame: []byte("x")}), bus.ErrNotSubscribed)
	s := make(sink, 1)
	require.NoError(t, b.Subscribe(ctx, s))
	assert.ErrorIs(t, b.Subscribe(ctx, discard()), bus.ErrSubscribed)
	require.NoError(t, b.Publish(ctx, bus.Event{UserIDs: []string{"u"}, Frame: []byte("x")}))
	assert.Equal(t, "x", string(s.next(t).Frame))
}

// missedSink is a sink that also reports Missed calls.
type missedSink struct {
	sink
	missed chan struct{}
}

func (m missedSink) Missed() { m.missed <- struct{}{} }

func TestCrossNode(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	subject := uniqueSubject()
	sa, sb := make(sink, 10), make(sink, 10)
	a := connect(t, Config{URL: url, Subject: subject}, sa)
	connect(t, Config{URL: url + "?subject=" + subject}, sb)

	ev := bus.Event{UserIDs: []string{"u1", "u2"}, SkipConn: "c1", Type: "push.kicked",
		Frame: []byte(`{"type":"push.kicked","data":{"reason":"token_revoked"}}`), Kick: &bus.Kick{TokenID: "t1", BelowGeneration: 3, Platform: "web", StartedBefore: 1234567890123456789}}
	if err := a.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]sink{"local": sa, "remote": sb} {
		got := s.next(t)
		if !slices.Equal(got.UserIDs, ev.UserIDs) || got.SkipConn != "c1" || got.Type != ev.Type ||
			string(got.Frame) != string(ev.Frame) || got.Kick == nil || *got.Kick != *ev.Kick {
			t.Fatalf("%s got %+v", name, got)
		}
	}
	// A frame need not be JSON, and an event without a kick has none.
	if err := a.Publish(context.Background(), bus.Event{UserIDs: []string{"u"}, Frame: []byte("line1\nline2")}); err != nil {
		t.Fatal(err)
	}
	if got := sb.next(t); string(got.Frame) != "line1\nline2" || got.Kick != nil {
		t.Fatalf("remote got %+v", got)
	}
	// No echo: the local sink got each event once.
	if got := sa.next(t); string(got.Frame) != "line1\nline2" {
		t.Fatalf("local got %+v", got)
	}
	select {
	case ev := <-sa:
		t.Fatalf("local delivery twice: %+v", ev)
	default:
	}
	// A call's device selection travels too.
	if err := a.Publish(context.Background(), bus.Event{UserIDs: []string{"u"}, OnlyToken: "t1", SkipToken: "t2", Frame: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if got := sb.next(t); got.OnlyToken != "t1" || got.SkipToken != "t2" {
		t.Fatalf("remote got %+v", got)
	}
}

// TestControl: an event for the servers (presence, calls) has no users,
// yet reaches every node once, its kind and payload intact.
func TestControl(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	subject := uniqueSubject()
	sa, sb := make(sink, 10), make(sink, 10)
	a := connect(t, Config{URL: url, Subject: subject}, sa)
	connect(t, Config{URL: url, Subject: subject}, sb)
	ev := bus.Event{Control: "presence.heartbeat", Frame: []byte(`{"node":"n1"}`)}
	require.NoError(t, a.Publish(context.Background(), ev))
	for name, s := range map[string]sink{"local": sa, "remote": sb} {
		got := s.next(t)
		assert.Equal(t, ev.Control, got.Control, name)
		assert.Equal(t, string(ev.Frame), string(got.Frame), name)
		assert.Empty(t, got.UserIDs, name)
	}
}

func TestOrder(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	subject := uniqueSubject()
	a := connect(t, Config{URL: url, Subject: subject}, discard())
	sb := make(sink, 1000)
	connect(t, Config{URL: url, Subject: subject}, sb)
	const n = 500
	for i := range n {
		if err := a.Publish(context.Background(), bus.Event{UserIDs: []string{"u"}, Frame: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if got := string(sb.next(t).Frame); got != fmt.Sprint(i) {
			t.Fatalf("event %d: got %s", i, got)
		}
	}
}

// TestLargeAudience publishes to more users than fit in one NATS message:
// the other node gets them all, over several messages.
func TestLargeAudience(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	subject := uniqueSubject()
	a := connect(t, Config{URL: url, Subject: subject}, discard())
	sb := make(sink, 100)
	connect(t, Config{URL: url, Subject: subject}, sb)
	var users []string
	size := 0
	for i := 0; size < 2*int(a.nc.MaxPayload()); i++ {
		users = append(users, fmt.Sprintf("user-%030d", i))
		size += len(users[i])
	}
	frame := []byte(`{"type":"push.message"}`)
	if err := a.Publish(context.Background(), bus.Event{UserIDs: users, Type: "push.message", Frame: frame}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for parts := 0; len(got) < len(users); parts++ {
		ev := sb.next(t)
		if string(ev.Frame) != string(frame) {
			t.Fatalf("frame %q", ev.Frame)
		}
		got = append(got, ev.UserIDs...)
		if parts > 100 {
			t.Fatal("too many parts")
		}
	}
	if !slices.Equal(got, users) {
		t.Fatalf("got %d users, want %d", len(got), len(users))
	}
	// A frame too large for NATS is an error, not a hang or a panic.
	huge := make([]byte, a.nc.MaxPayload()+1)
	if err := a.Publish(context.Background(), bus.Event{UserIDs: []string{"u"}, Frame: huge}); err == nil {
		t.Fatal("oversized frame published")
	}
}

// TestMissedAfterReconnect cuts a node's NATS connection (through a proxy)
// and checks that the bus reports possibly missed events once it is back,
// and that events flow again.
func TestMissedAfterReconnect(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	target := strings.TrimPrefix(strings.SplitN(url, ",", 2)[0], "nats://")
	p := tcpproxy.New(t, target)
	subject := uniqueSubject()
	missed := make(chan struct{}, 10)
	sb := make(sink, 100)
	connect(t, Config{URL: "nats://" + p.Addr(), Subject: subject, ReconnectWait: 20 * time.Millisecond},
		missedSink{sb, missed})
	a := connect(t, Config{URL: url, Subject: subject}, discard())

	p.Cut()
	select {
	case <-missed:
	case <-time.After(15 * time.Second):
		t.Fatal("Missed not called after a reconnect")
	}
	// The subscription is back: publish until one arrives.
	deadline := time.After(15 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := a.Publish(context.Background(), bus.Event{UserIDs: []string{"u"}, Frame: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-sb:
			return
		case <-tick.C:
		case <-deadline:
			t.Fatal("no event after reconnecting")
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, servers, subject string
		ok                   bool
	}{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222", "", true},
		{"nats://a:4222,nats://b:4222?subject=parley.eu", "nats://a:4222,nats://b:4222", "parley.eu", true},
		{"tls://a:4222", "tls://a:4222", "", true},
		{"", "", "", false},
		{"http://a:4222", "", "", false},
		{"nats://a:4222?subject=a.*", "", "", false},
		{"nats://a:4222?subject=%zz", "", "", false},
	} {
		servers, subject, err := parseURL(tc.in)
		if (err == nil) != tc.ok || servers != tc.servers || subject != tc.subject {
			t.Errorf("parseURL(%q) = %q, %q, %v", tc.in, servers, subject, err)
		}
	}
}

func TestConnectFails(t *testing.T) {
	// A port nobody listens on: a listener opened and closed at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = Connect(ctx, Config{URL: "nats://" + addr})
	assert.Error(t, err, "connected to nothing")
	_, err = Connect(ctx, Config{URL: "postgres://x"})
	assert.Error(t, err, "accepted a non-NATS URL")
}
