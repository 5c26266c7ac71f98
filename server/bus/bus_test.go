package bus_test

import (
	"context"
	"testing"

	"parley/server/bus"
)

func TestKickMatches(t *testing.T) {
	for _, tc := range []struct {
		kick  bus.Kick
		token string
		gen   int64
		want  bool
	}{
		{bus.Kick{TokenID: "t1"}, "t1", 0, true},
		{bus.Kick{TokenID: "t1"}, "t2", 0, false},
		{bus.Kick{BelowGeneration: 2}, "t2", 1, true},
		{bus.Kick{BelowGeneration: 2}, "t2", 2, false},
		{bus.Kick{}, "", 0, false}, // an empty token ID matches nothing
	} {
		if got := tc.kick.Matches(tc.token, tc.gen); got != tc.want {
			t.Errorf("%+v.Matches(%q, %d) = %v", tc.kick, tc.token, tc.gen, got)
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
