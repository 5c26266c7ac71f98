package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A user's limiter is the same object across reconnects until it has
// refilled; the idle entries stay bounded, and connected users' entries
// are never dropped.
func TestUserLimitsKeepAndBound(t *testing.T) {
	u := newUserLimits(1, 10, 2) // refills in 10 s
	u.maxIdle = 4
	now := time.Unix(1_000_000, 0)

	lim, ok := u.acquire("a")
	require.True(t, ok)
	u.release("a", now)
	again, ok := u.acquire("a")
	require.True(t, ok)
	assert.Same(t, lim, again, "a reconnect got a new limiter")
	u.release("a", now)

	// Connected users are kept whatever happens to idle ones.
	_, ok = u.acquire("online")
	require.True(t, ok)
	for i := range 20 {
		id := fmt.Sprint("idle", i)
		_, ok := u.acquire(id)
		require.True(t, ok)
		u.release(id, now)
		assert.LessOrEqual(t, u.idle, u.maxIdle, "after %d idle users", i+1)
	}
	assert.Contains(t, u.users, "online")
	idle := 0
	for _, s := range u.users {
		if s.conns == 0 {
			idle++
		}
	}
	assert.Equal(t, u.idle, idle, "idle count drifted")

	// Entries that have refilled go at the next prune.
	later := now.Add(11 * time.Second)
	u.prune(later)
	assert.Equal(t, 0, u.idle)
	assert.Len(t, u.users, 1)

	// The connection bound holds.
	_, ok = u.acquire("online")
	require.True(t, ok)
	_, ok = u.acquire("online")
	assert.False(t, ok, "a third connection with maxConns 2")
}
