package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type countingPinger struct {
	n   atomic.Int64
	err error
}

func (p *countingPinger) Ping(ctx context.Context) error {
	p.n.Add(1)
	return p.err
}

// blockingPinger answers only when its context ends.
type blockingPinger struct{}

func (blockingPinger) Ping(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestHealthCheckerShares: probes within maxAge share one ping per part,
// also when they arrive together; a later probe pings again.
func TestHealthCheckerShares(t *testing.T) {
	store, bus := &countingPinger{}, &countingPinger{err: errors.New("nats: not connected")}
	h := newHealthChecker(time.Second, time.Second, healthPart{"store", store}, healthPart{"bus", bus})
	t0 := time.Unix(1000, 0)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			rep := h.check(context.Background(), t0)
			if rep.Status != "unavailable" || len(rep.Failing) != 1 || rep.Failing[0] != "bus" ||
				rep.Checks["store"] != "ok" || rep.Checks["bus"] != "nats: not connected" {
				t.Errorf("report %+v", rep)
			}
		})
	}
	wg.Wait()
	h.check(context.Background(), t0.Add(999*time.Millisecond))
	if store.n.Load() != 1 || bus.n.Load() != 1 {
		t.Fatalf("pings within maxAge: store %d, bus %d, want 1 each", store.n.Load(), bus.n.Load())
	}
	bus.err = nil
	if rep := h.check(context.Background(), t0.Add(time.Second)); rep.Status != "ok" || store.n.Load() != 2 {
		t.Fatalf("after maxAge: %+v, %d store pings", rep, store.n.Load())
	}
}

// TestHealthCheckerTimeout: a part that does not answer fails after the
// timeout, even when the probe's own context has none; a canceled probe
// does not cut the shared check short.
func TestHealthCheckerTimeout(t *testing.T) {
	h := newHealthChecker(50*time.Millisecond, time.Second, healthPart{"store", blockingPinger{}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := h.check(ctx, time.Unix(1000, 0))
	if rep.Status != "unavailable" || rep.Checks["store"] != context.DeadlineExceeded.Error() {
		t.Fatalf("report %+v", rep)
	}
}

// TestHealthCheckerNoParts: SQLite and the local bus have nothing to ping.
func TestHealthCheckerNoParts(t *testing.T) {
	if rep := newHealthChecker(time.Second, time.Second).check(context.Background(), time.Now()); rep.Status != "ok" {
		t.Fatalf("report %+v", rep)
	}
}
