package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The guard's memory stays bounded, and pruning never lifts a lock in
// force.
func TestLoginGuardBound(t *testing.T) {
	g := newLoginGuard(1, time.Second, time.Minute)
	now := time.Unix(1_000_000, 0)
	g.failed("locked", now)
	g.failed("locked", now)
	assert.Positive(t, g.wait("locked", "1.2.3.4", now))
	for i := range 2 * maxGuardedAccounts {
		g.failed(fmt.Sprint("spray", i), now)
		if len(g.accounts) > maxGuardedAccounts {
			t.Fatalf("%d accounts remembered", len(g.accounts))
		}
	}
	assert.Positive(t, g.wait("locked", "1.2.3.4", now), "a prune lifted a lock")

	// Known addresses: at most maxKnownIPs, the oldest forgotten first.
	for i := range maxKnownIPs + 1 {
		g.succeeded("owner", fmt.Sprint("10.0.0.", i), now)
	}
	g.failed("owner", now)
	g.failed("owner", now)
	assert.Positive(t, g.wait("owner", "10.0.0.0", now), "the oldest address is still known")
	assert.Zero(t, g.wait("owner", fmt.Sprint("10.0.0.", maxKnownIPs), now))
	later := now.Add(knownIPTTL)
	g.failed("owner", later)
	g.failed("owner", later)
	assert.Positive(t, g.wait("owner", "10.0.0.1", later), "a known address outlived its TTL")
}
