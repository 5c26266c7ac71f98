package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server/store"
)

func testPresenceNodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	job := func(id string) store.WebhookJob {
		return store.WebhookJob{ID: id, Event: "presence", Body: []byte(`{}`), NextAttempt: 1, CreateTime: 1}
	}
	queued := func() []string {
		t.Helper()
		js, err := s.LeaseWebhooks(ctx, 1<<50, 1<<51, 100)
		require.NoError(t, err)
		var ids []string
		for _, j := range js {
			ids = append(ids, j.ID)
			require.NoError(t, s.DeleteWebhook(ctx, j.ID))
		}
		return ids
	}

	first, err := s.AddPresenceNode(ctx, "ann", "n1", "web", job("on1"))
	require.NoError(t, err)
	assert.True(t, first, "ann's first node")
	first, err = s.AddPresenceNode(ctx, "ann", "n1", "web", job("on1b"))
	require.NoError(t, err)
	assert.False(t, first, "the same record again")
	first, err = s.AddPresenceNode(ctx, "ann", "n2", "ios", job("on2"))
	require.NoError(t, err)
	assert.False(t, first, "a second node")
	assert.ElementsMatch(t, []string{"on1"}, queued())

	last, err := s.RemovePresenceNode(ctx, "ann", "n1", job("off1"))
	require.NoError(t, err)
	assert.False(t, last, "still on n2")
	last, err = s.RemovePresenceNode(ctx, "ann", "n1", job("off1b"))
	require.NoError(t, err)
	assert.False(t, last, "a missing record")
	last, err = s.RemovePresenceNode(ctx, "ann", "n2", job("off2"))
	require.NoError(t, err)
	assert.True(t, last)
	assert.ElementsMatch(t, []string{"off2"}, queued())

	// A node gone: its users with no other node are told offline, once.
	for _, r := range []struct{ user, node string }{{"bob", "n3"}, {"cat", "n3"}, {"cat", "n4"}, {"dan", "n4"}} {
		_, err := s.AddPresenceNode(ctx, r.user, r.node, "web", job("on-"+r.user+r.node))
		require.NoError(t, err)
	}
	queued()
	nodes, err := s.PresenceNodeIDs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"n3", "n4"}, nodes)
	var platforms []string
	gone, err := s.DropPresenceNode(ctx, "n3", func(user, platform string) (store.WebhookJob, error) {
		platforms = append(platforms, platform)
		return job("off-" + user), nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, gone, "cat is still on n4")
	assert.Equal(t, []string{"web"}, platforms)
	assert.Equal(t, []string{"off-bob"}, queued())
	gone, err = s.DropPresenceNode(ctx, "n3", func(string, string) (store.WebhookJob, error) { return job("again"), nil })
	require.NoError(t, err)
	assert.Empty(t, gone, "dropped already")
	nodes, err = s.PresenceNodeIDs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"n4"}, nodes)

	// Nodes racing for one user: exactly one is first, exactly one last.
	const n = 8
	var wg sync.WaitGroup
	firsts := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			ok, err := s.AddPresenceNode(ctx, "eve", "r"+string(rune('a'+i)), "web", job("eve-on-"+string(rune('a'+i))))
			assert.NoError(t, err)
			firsts[i] = ok
		})
	}
	wg.Wait()
	lasts := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			ok, err := s.RemovePresenceNode(ctx, "eve", "r"+string(rune('a'+i)), job("eve-off-"+string(rune('a'+i))))
			assert.NoError(t, err)
			lasts[i] = ok
		})
	}
	wg.Wait()
	count := func(bs []bool) (c int) {
		for _, b := range bs {
			if b {
				c++
			}
		}
		return c
	}
	assert.Equal(t, 1, count(firsts))
	assert.Equal(t, 1, count(lasts))
	assert.Len(t, queued(), 2)
}
