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
	before, _ := a.scrape(ctx, c.pid)
	c.log("sending %d messages, %d in flight", c.count, window)
	start, toolStart := time.Now(), cpuTime()
	// The profile covers the expected length of the run, at most 30 s.
	profWait := c.profiler().cpuDuring(ctx, c.duration, r)
	l.startNs = l.since(start)
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
	sendFor := time.Since(start)
	if !l.drain(ctx, func() int64 { return l.acked.Load() - l.dup.Load() }, 15*time.Second) {
		r.note("not every send was answered or delivered within 15 s of the end of sending")
	}
	after, _ := a.scrape(ctx, c.pid)
	toolCPU := cpuTime() - toolStart
	profWait()
	noteUnexpectedCloses(r, clients)
	closeAll(clients)
	l.report(r, recs, 1, sendFor)
	serverCPU(r, before, after)
	r.add("tool CPU time during run", round1(toolCPU.Seconds()), "s")
	return nil
}
