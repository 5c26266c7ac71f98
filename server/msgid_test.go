package server

import (
	"strings"
	"testing"
)

// TestServerMsgIDOrder: IDs are unique, of one length, and sort by their
// time (the store's index on them relies on it to stay append-mostly).
func TestServerMsgIDOrder(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for _, ms := range []int64{0, 1, 31, 32, 1_764_000_000_000, 1_764_000_000_001, 1_764_000_000_001, 1 << 44} {
		id := serverMsgID(ms)
		if len(id) != 26 || !strings.HasPrefix(id, "s") || seen[id] {
			t.Fatalf("id %q at %d (seen before: %v)", id, ms, seen[id])
		}
		if id[:10] < prev[:min(10, len(prev))] {
			t.Fatalf("id %q at %d sorts before %q", id, ms, prev)
		}
		seen[id], prev = true, id
	}
}
