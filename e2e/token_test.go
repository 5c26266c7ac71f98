package e2e

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
	"parley/server"
)

// clock is the server's clock, moved by the test to mint tokens that
// expire soon (TokenTTL is 7 days).
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *clock) shortToken(e *env, id string, life time.Duration) string {
	real := time.Now()
	c.set(real.Add(-7*24*time.Hour + life))
	defer c.set(real)
	return e.token(id, protocol.PlatformWeb)
}

func (d *device) tokenWarnings() []core.TokenWillExpire {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tokenWarningsLocked()
}

func (d *device) tokenWarningsLocked() []core.TokenWillExpire {
	var out []core.TokenWillExpire
	for _, ev := range d.events {
		if w, ok := ev.(core.TokenWillExpire); ok {
			out = append(out, w)
		}
	}
	return out
}

// TestSetToken: the SDK warns before its token expires, and a fresh token
// set then keeps the connection and local data past the old expiry.
func TestSetToken(t *testing.T) {
	clk := &clock{}
	clk.set(time.Now())
	e := newEnv(t, func(c *server.Config) { c.Clock = clk.now })
	e.user("alice")
	e.user("bob")
	short := clk.shortToken(e, "alice", 3*time.Second)
	_, oldExp, ok := protocol.TokenInfo(short)
	require.True(t, ok)
	alice := e.device("alice", deviceOpt{token: short, cfg: func(c *core.Config) { c.TokenWillExpireBefore = 2 * time.Second }})
	alice.send("bob", "", "before")

	alice.waitFor("tokenWillExpire", func() bool { return len(alice.tokenWarningsLocked()) > 0 })
	assert.Equal(t, []core.TokenWillExpire{{ExpiresAt: oldExp}}, alice.tokenWarnings())

	ctx := context.Background()
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(alice.c.SetToken(ctx, e.token("bob", protocol.PlatformWeb))), "another user's token")
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(alice.c.SetToken(ctx, "")))
	revoked := e.token("alice", protocol.PlatformWeb)
	require.NoError(t, e.post("/api/v1/auth/logout", revoked, nil, nil))
	assert.Equal(t, protocol.CodeTokenExpired, protocol.CodeOf(alice.c.SetToken(ctx, revoked)), "the server refuses a revoked token")

	require.NoError(t, alice.c.SetToken(ctx, e.token("alice", protocol.PlatformWeb)))
	states := alice.statesCopy()
	// Past the old token's expiry, the connection is the same one.
	time.Sleep(time.Until(time.UnixMilli(oldExp)) + 500*time.Millisecond)
	m := alice.send("bob", "", "after")
	assert.Equal(t, int64(2), m.Seq)
	assert.Equal(t, states, alice.statesCopy(), "no reconnect, no tokenExpired")
	assert.Equal(t, core.ConnConnected, alice.c.ConnectionState())
	checkTexts(t, "alice", alice.history("si_alice_bob"), []string{"before", "after"})
	assert.Len(t, alice.tokenWarnings(), 1, "the fresh token is far from expiry")
}

// TestSetTokenAfterExpiry: a session the expired token stopped connects
// again with the token set afterwards, with its local data.
func TestSetTokenAfterExpiry(t *testing.T) {
	clk := &clock{}
	clk.set(time.Now())
	e := newEnv(t, func(c *server.Config) { c.Clock = clk.now })
	e.user("alice")
	e.user("bob")
	alice := e.device("alice", deviceOpt{token: clk.shortToken(e, "alice", 1500*time.Millisecond)})
	alice.send("bob", "", "one")
	alice.waitState(core.ConnTokenExpired)

	dials := alice.dial.dials.Load()
	require.NoError(t, alice.c.SetToken(context.Background(), e.token("alice", protocol.PlatformWeb)))
	alice.waitFor("reconnected", func() bool {
		return len(alice.states) > 0 && alice.states[len(alice.states)-1] == core.ConnConnected
	})
	assert.Greater(t, alice.dial.dials.Load(), dials)
	alice.send("bob", "", "two")
	checkTexts(t, "alice", alice.history("si_alice_bob"), []string{"one", "two"})
}

// TestSetTokenWhileConnecting: a token set while a connection is being
// opened with the old one reaches that connection, which then outlives
// the old token's expiry.
func TestSetTokenWhileConnecting(t *testing.T) {
	clk := &clock{}
	clk.set(time.Now())
	e := newEnv(t, func(c *server.Config) { c.Clock = clk.now })
	e.user("alice")
	e.user("bob")
	short := clk.shortToken(e, "alice", 3*time.Second)
	_, oldExp, ok := protocol.TokenInfo(short)
	require.True(t, ok)
	alice := e.device("alice", deviceOpt{token: short})
	alice.send("bob", "", "before")

	dialing := make(chan struct{}, 1)
	release := make(chan struct{})
	alice.dial.mu.Lock()
	alice.dial.beforeDial = func() {
		select {
		case dialing <- struct{}{}:
		default:
		}
		<-release
	}
	alice.dial.mu.Unlock()
	alice.dial.cut()
	select {
	case <-dialing:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect")
	}
	// The dial's URL holds the old token; the new one is set meanwhile.
	require.NoError(t, alice.c.SetToken(context.Background(), e.token("alice", protocol.PlatformWeb)))
	alice.dial.mu.Lock()
	alice.dial.beforeDial = nil
	alice.dial.mu.Unlock()
	close(release)
	alice.waitFor("reconnected", func() bool {
		return len(alice.states) > 0 && alice.states[len(alice.states)-1] == core.ConnConnected
	})
	dials := alice.dial.dials.Load()

	time.Sleep(time.Until(time.UnixMilli(oldExp)) + 500*time.Millisecond)
	m := alice.send("bob", "", "after")
	assert.Equal(t, int64(2), m.Seq)
	assert.NotContains(t, alice.statesCopy(), core.ConnTokenExpired)
	assert.Equal(t, core.ConnConnected, alice.c.ConnectionState())
	assert.Equal(t, dials, alice.dial.dials.Load(), "the same connection past the old expiry")
}
