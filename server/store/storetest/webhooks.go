package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server/store"
)

func testWebhooks(t *testing.T, s store.Store) {
	ctx := context.Background()
	job := func(id string, due int64) store.WebhookJob {
		return store.WebhookJob{ID: id, Event: "afterSendMessage", Body: []byte(`{"id":"` + id + `"}`), NextAttempt: due, CreateTime: due}
	}
	leased, err := s.LeaseWebhooks(ctx, 1000, 2000, 10)
	require.NoError(t, err)
	assert.Empty(t, leased, "an empty queue leases nothing")

	require.NoError(t, s.EnqueueWebhooks(ctx, []store.WebhookJob{job("w2", 20), job("w1", 10), job("w3", 500)}))
	// Enqueuing again (a retried commit) changes nothing: the body stays.
	again := job("w1", 10)
	again.Body = []byte(`{"other":true}`)
	require.NoError(t, s.EnqueueWebhooks(ctx, []store.WebhookJob{again}))
	require.NoError(t, s.EnqueueWebhooks(ctx, nil))

	leased, err = s.LeaseWebhooks(ctx, 100, 1100, 10)
	require.NoError(t, err)
	require.Len(t, leased, 2, "only the jobs due at 100")
	assert.Equal(t, "w1", leased[0].ID)
	assert.Equal(t, "w2", leased[1].ID)
	assert.JSONEq(t, `{"id":"w1"}`, string(leased[0].Body))
	assert.Equal(t, "afterSendMessage", leased[0].Event)
	assert.Equal(t, int64(1100), leased[0].NextAttempt)

	// Leased jobs are not handed out again before the lease ends.
	leased, err = s.LeaseWebhooks(ctx, 600, 1600, 10)
	require.NoError(t, err)
	require.Len(t, leased, 1)
	assert.Equal(t, "w3", leased[0].ID)

	// A failed attempt is recorded and due again at its next attempt.
	require.NoError(t, s.RetryWebhook(ctx, "w1", 1, 700, "status 500"))
	wantNotFound := s.RetryWebhook(ctx, "missing", 1, 700, "x")
	assert.True(t, errors.Is(wantNotFound, store.ErrNotFound), "retrying a missing job: %v", wantNotFound)
	leased, err = s.LeaseWebhooks(ctx, 700, 1700, 10)
	require.NoError(t, err)
	require.Len(t, leased, 1)
	assert.Equal(t, "w1", leased[0].ID)
	assert.Equal(t, 1, leased[0].Attempts)
	assert.Equal(t, "status 500", leased[0].LastError)

	// Delivered jobs are gone; deleting twice is fine.
	for _, id := range []string{"w1", "w2", "w3", "w3"} {
		require.NoError(t, s.DeleteWebhook(ctx, id))
	}
	leased, err = s.LeaseWebhooks(ctx, 1<<50, 1<<51, 10)
	require.NoError(t, err)
	assert.Empty(t, leased)

	// Concurrent leases never hand out one job twice.
	var jobs []store.WebhookJob
	for i := range 40 {
		jobs = append(jobs, job(fmt.Sprintf("c%02d", i), 5))
	}
	require.NoError(t, s.EnqueueWebhooks(ctx, jobs))
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.LeaseWebhooks(ctx, 10, 1<<40, 3)
				if !assert.NoError(t, err) || len(got) == 0 {
					return
				}
				mu.Lock()
				for _, j := range got {
					seen[j.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Len(t, seen, 40)
	for id, n := range seen {
		assert.Equal(t, 1, n, "job %s leased %d times", id, n)
	}
}
