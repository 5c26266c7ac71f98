package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server/store"
)

func testOfflinePushes(t *testing.T, s store.Store) {
	ctx := context.Background()
	push := func(user, body string) store.PendingPush { return store.PendingPush{UserID: user, Body: []byte(body)} }
	bodies := func(b store.OfflinePushBatch) []string {
		var out []string
		for _, x := range b.Bodies {
			out = append(out, string(x))
		}
		return out
	}

	none, err := s.LeaseOfflinePushes(ctx, 1<<50, 1<<51, 10, 10)
	require.NoError(t, err)
	assert.Empty(t, none)
	require.NoError(t, s.AddOfflinePushes(ctx, nil, 1))

	require.NoError(t, s.AddOfflinePushes(ctx, []store.PendingPush{push("bob", "b1"), push("carl", "c1")}, 100))
	// A later message keeps the batch's due time.
	require.NoError(t, s.AddOfflinePushes(ctx, []store.PendingPush{push("bob", "b2"), push("bob", "b3")}, 150))
	require.NoError(t, s.AddOfflinePushes(ctx, []store.PendingPush{push("dave", "d1")}, 300))

	early, err := s.LeaseOfflinePushes(ctx, 99, 1000, 10, 10)
	require.NoError(t, err)
	assert.Empty(t, early, "nothing due before the window ends")

	leased, err := s.LeaseOfflinePushes(ctx, 200, 1000, 10, 2)
	require.NoError(t, err)
	require.Len(t, leased, 2, "bob and carl are due, dave is not")
	byUser := map[string]store.OfflinePushBatch{}
	for _, b := range leased {
		byUser[b.UserID] = b
		assert.NotEmpty(t, b.PushID)
	}
	bob := byUser["bob"]
	assert.Equal(t, 3, bob.Count)
	assert.Equal(t, []string{"b2", "b3"}, bodies(bob), "the latest maxBodies, oldest first")
	assert.Equal(t, 1, byUser["carl"].Count)
	assert.NotEqual(t, bob.PushID, byUser["carl"].PushID)

	// Leased: nobody gets them again before the lease ends.
	again, err := s.LeaseOfflinePushes(ctx, 999, 2000, 10, 10)
	require.NoError(t, err)
	require.Len(t, again, 1)
	assert.Equal(t, "dave", again[0].UserID)
	require.NoError(t, s.FinishOfflinePush(ctx, "dave", again[0].PushID, 7000))

	// A message to bob while his batch is leased waits for the next one;
	// a lease that ran out gives the same batch, with the same ID.
	require.NoError(t, s.AddOfflinePushes(ctx, []store.PendingPush{push("bob", "b4")}, 5000))
	expired, err := s.LeaseOfflinePushes(ctx, 1000, 3000, 1, 10)
	require.NoError(t, err)
	require.Len(t, expired, 1)
	assert.Equal(t, bob.UserID, expired[0].UserID)
	assert.Equal(t, bob.PushID, expired[0].PushID, "the batch keeps its ID across leases")
	assert.Equal(t, []string{"b1", "b2", "b3"}, bodies(expired[0]))

	require.NoError(t, s.FinishOfflinePush(ctx, "bob", bob.PushID, 4000))
	require.NoError(t, s.FinishOfflinePush(ctx, "bob", bob.PushID, 9000), "finishing twice is not an error")
	require.NoError(t, s.FinishOfflinePush(ctx, "carl", byUser["carl"].PushID, 4000))
	require.NoError(t, s.FinishOfflinePush(ctx, "nobody", "op1", 4000))

	next, err := s.LeaseOfflinePushes(ctx, 3999, 6000, 10, 10)
	require.NoError(t, err)
	assert.Empty(t, next, "bob's next batch is due when the finish said")
	next, err = s.LeaseOfflinePushes(ctx, 4000, 6000, 10, 10)
	require.NoError(t, err)
	require.Len(t, next, 1)
	assert.Equal(t, "bob", next[0].UserID)
	assert.Equal(t, 1, next[0].Count)
	assert.Equal(t, []string{"b4"}, bodies(next[0]))
	assert.NotEqual(t, bob.PushID, next[0].PushID)
	require.NoError(t, s.FinishOfflinePush(ctx, "bob", next[0].PushID, 7000))

	empty, err := s.LeaseOfflinePushes(ctx, 1<<50, 1<<51, 10, 10)
	require.NoError(t, err)
	assert.Empty(t, empty, "every batch finished")
}
