package bus_test

import (
	"context"
	"testing"

	"parley/server/bus"
)

func TestKickMatches(t *testing.T) {
	for _, tc := range []struct {
		kick bus.Kick
		conn bus.Conn
		want bool
	}{
		{bus.Kick{TokenID: "t1"}, bus.Conn{TokenID: "t1"}, true},
		{bus.Kick{TokenID: "t1"}, bus.Conn{TokenID: "t2"}, false},
		{bus.Kick{BelowGeneration: 2}, bus.Conn{TokenID: "t2", Generation: 1}, true},
		{bus.Kick{BelowGeneration: 2}, bus.Conn{TokenID: "t2", Generation: 2}, false},
		{bus.Kick{}, bus.Conn{}, false}, // an empty token ID or platform matches nothing
		{bus.Kick{Platform: "web", StartedBefore: 10}, bus.Conn{TokenID: "t", Platform: "web", Started: 9}, true},
		{bus.Kick{Platform: "web", StartedBefore: 10}, bus.Conn{TokenID: "t", Platform: "web", Started: 10}, false},
		{bus.Kick{Platform: "web", StartedBefore: 10}, bus.Conn{TokenID: "t", Platform: "ios", Started: 9}, false},
		{bus.Kick{TokenID: "t1"}, bus.Conn{TokenID: "t2", Platform: "web", Started: 1}, false},
	} {
		if got := tc.kick.Matches(tc.conn); got != tc.want {
			t.Errorf("%+v.Matches(%+v) = %v", tc.kick, tc.conn, got)
		}
	}
}

func TestLocalDeliversInOrder(t *testing.T) {
	var got []string
	b := bus.NewLocal(func(ev bus.Event) { got = append(got, string(ev.Frame)) })
	for _, f := range []string{"a", "b", "c"} {
		if err := b.Publish(context.Background(), bus.Event{UserIDs: []string{"u"}, Frame: []byte(f)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || got[0] != "a" || got[2] != "c" {
		t.Fatalf("delivered %v", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
