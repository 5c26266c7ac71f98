package bus_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// recorder is a Handler that keeps the frames delivered to it.
type recorder struct{ frames []string }

func (r *recorder) Deliver(ev bus.Event) { r.frames = append(r.frames, string(ev.Frame)) }
func (r *recorder) Missed()              {}

func TestLocalDeliversInOrder(t *testing.T) {
	var got recorder
	b := bus.NewLocal()
	require.NoError(t, b.Subscribe(context.Background(), &got))
	for _, f := range []string{"a", "b", "c"} {
		require.NoError(t, b.Publish(context.Background(), bus.Event{UserIDs: []string{"u"}, Frame: []byte(f)}))
	}
	assert.Equal(t, []string{"a", "b", "c"}, got.frames)
	assert.NoError(t, b.Close())
}

// TestLocalSubscribeOnce: an event published before anyone subscribed is
// refused rather than dropped unseen, and a second subscriber cannot take
// the bus from the first.
func TestLocalSubscribeOnce(t *testing.T) {
	b := bus.NewLocal()
	assert.ErrorIs(t, b.Publish(context.Background(), bus.Event{Frame: []byte("early")}), bus.ErrNotSubscribed)
	var first, second recorder
	require.NoError(t, b.Subscribe(context.Background(), &first))
	assert.ErrorIs(t, b.Subscribe(context.Background(), &second), bus.ErrSubscribed)
	require.NoError(t, b.Publish(context.Background(), bus.Event{Frame: []byte("x")}))
	assert.Equal(t, []string{"x"}, first.frames)
	assert.Empty(t, second.frames)
}
