package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClientIP(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:5000":             "127.0.0.1",
		"[::ffff:10.0.0.1]:80":       "10.0.0.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64", // the same subscriber
		"[2001:db8:1:3::1]:443":      "2001:db8:1:3::/64",
		"[::1]:1":                    "::/64",
		"not an address":             "not an address",
		"@":                          "@",
	} {
		assert.Equal(t, want, clientIP(addr), addr)
	}
}

// A keyedLimiter forgets keys once their bucket is full again, and stays
// bounded however many keys it sees.
func TestKeyedLimiterBound(t *testing.T) {
	l := newKeyedLimiter(1, 2)
	now := time.Unix(1_000_000, 0)
	assert.True(t, l.allow("a", now))
	assert.True(t, l.allow("a", now))
	assert.False(t, l.allow("a", now), "over the burst")
	for i := range 3 * maxTrackedKeys {
		l.allow(fmt.Sprint("k", i), now)
		if len(l.byKey) > maxTrackedKeys {
			t.Fatalf("%d keys tracked", len(l.byKey))
		}
	}
	l.prune(now.Add(3 * time.Second))
	assert.Empty(t, l.byKey, "refilled keys kept")
}
