package server

import (
	"context"
	"sync"
	"time"
)

// Health checking for /healthz.

// pinger is implemented by the parts whose reachability /healthz reports:
// the PostgreSQL store and the NATS bus. SQLite and the local bus live in
// the process and have nothing to reach.
type pinger interface {
	Ping(ctx context.Context) error
}

// /healthz's pings: each part must answer within healthTimeout (a load
// balancer's probe typically waits a few seconds), and a result serves the
// probes of the next healthMaxAge.
const (
	healthTimeout = 2 * time.Second
	healthMaxAge  = time.Second
)

// healthPart is one checked dependency.
type healthPart struct {
	name string
	p    pinger
}

// healthReport is /healthz's JSON answer when something fails.
type healthReport struct {
	// Status is "ok" or "unavailable".
	Status string `json:"status"`
	// Failing names the parts that failed: "store", "bus" or "server".
	Failing []string `json:"failing,omitempty"`
	// Checks maps every checked part to "ok" or its error.
	Checks map[string]string `json:"checks,omitempty"`
}

// healthChecker pings the parts with a short timeout and keeps the result
// for maxAge, so that probes from several load balancers (or a flood of
// them) cost at most one round trip per part per maxAge. One check runs at
// a time; probes arriving meanwhile wait for it and share its result.
type healthChecker struct {
	parts   []healthPart
	timeout time.Duration
	maxAge  time.Duration

	mu   sync.Mutex
	at   time.Time
	last healthReport
}

func newHealthChecker(timeout, maxAge time.Duration, parts ...healthPart) *healthChecker {
	return &healthChecker{parts: parts, timeout: timeout, maxAge: maxAge}
}

// check returns the parts' health as of now, from the last check when it
// is younger than maxAge.
func (h *healthChecker) check(ctx context.Context, now time.Time) healthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.at.IsZero() && now.Sub(h.at) >= 0 && now.Sub(h.at) < h.maxAge {
		return h.last
	}
	// The probe's own cancellation must not mark a part failing: the
	// result is shared with other probes.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.timeout)
	defer cancel()
	errs := make([]error, len(h.parts))
	var wg sync.WaitGroup
	for i, p := range h.parts {
		wg.Go(func() { errs[i] = p.p.Ping(ctx) })
	}
	wg.Wait()
	rep := healthReport{Status: "ok"}
	if len(h.parts) > 0 {
		rep.Checks = make(map[string]string, len(h.parts))
	}
	for i, p := range h.parts {
		if errs[i] != nil {
			rep.Status = "unavailable"
			rep.Failing = append(rep.Failing, p.name)
			rep.Checks[p.name] = errs[i].Error()
		} else {
			rep.Checks[p.name] = "ok"
		}
	}
	h.at, h.last = now, rep
	return rep
}
