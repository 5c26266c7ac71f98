package main

import (
	"context"
	"fmt"
	"time"
)

// runPipeline: one sender connection keeps -window sends in flight (1 for
// sequential: each send waits for the previous ack) until -count messages
// to one receiver have been sent. It measures what a single busy
// connection gets: a bot, an import, an outbox flushed after an outage.
func runPipeline(ctx context.Context, c *config, r *result) error {
	window := c.window
	if c.scenario == "sequential" {
		window = 1
	}
	r.Params["count"], r.Params["window"], r.Params["size"], r.Params["compress"] = c.count, window, c.size, c.compress
	if c.count < 1 {
		return fmt.Errorf("-count must be at least 1")
	}
	a := newAdmin(c.server, c.adminSecret)
	ids := userIDs(c.prefix, "p", 2)
	tokens, err := a.usersAndTokens(ctx, ids, c.parallel)
	if err != nil {
		return err
	}
	l := newLoadRun(c.size)
	recs := []*recorder{{}, {}}
	clients := make([]*client, 2)
	defer closeAll(clients)
	for i := range ids {
		cl, err := dial(ctx, c.server, ids[i], tokens[i], dialOptions{compress: c.compress, keepAlive: true, onPush: l.onPush(recs[i])})
		clients[i] = cl
		if err != nil {
			return err
		}
	}
	s := sender{cl: clients[0], rec: recs[0], recvID: ids[1]}
	c.log("sending %d messages, %d in flight", c.count, window)
	// The profile covers -duration of the run, at most 30 s.
	p := l.begin(ctx, c, r, a)
	l.startNs = l.since(p.start)
	slots := make(chan struct{}, min(max(window, 1), maxInFlight))
	for n := 0; n < c.count && ctx.Err() == nil; n++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		l.sendOne(&s, msgID(0, n, l.since(time.Now())), func() { <-slots })
	}
	l.finish(ctx, c, r, a, p, time.Since(p.start), func() int64 { return l.acked.Load() - l.dup.Load() }, clients, recs, 1)
	return nil
}
