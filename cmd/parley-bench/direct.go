package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// runDirect: P pairs of users, each user sending to the other of its pair.
func runDirect(ctx context.Context, c *config, r *result) error {
	r.Params["pairs"], r.Params["rate"], r.Params["duration"] = c.pairs, c.rate, c.duration.String()
	r.Params["window"], r.Params["size"], r.Params["compress"] = c.window, c.size, c.compress
	if c.pairs < 1 {
		return fmt.Errorf("-pairs must be at least 1")
	}
	a := newAdmin(c.server, c.adminSecret)
	ids := userIDs(c.prefix, "d", 2*c.pairs)
	c.log("creating %d users and tokens", len(ids))
	tokens, err := a.usersAndTokens(ctx, ids, c.parallel)
	if err != nil {
		return err
	}
	l := newLoadRun(c.size)
	recs := make([]*recorder, len(ids))
	clients := make([]*client, len(ids))
	defer closeAll(clients)
	c.log("connecting %d clients", len(ids))
	if err := forEach(ctx, len(ids), c.parallel, func(ctx context.Context, i int) error {
		recs[i] = &recorder{}
		cl, err := dial(ctx, c.server, ids[i], tokens[i], dialOptions{compress: c.compress, keepAlive: true, onPush: l.onPush(recs[i])})
		clients[i] = cl
		return err
	}); err != nil {
		return err
	}
	senders := make([]sender, len(ids))
	for i := range ids {
		senders[i] = sender{cl: clients[i], rec: recs[i], recvID: ids[i^1]}
	}
	c.log("sending for %s (rate %v/s, 0 = flat out)", c.duration, c.rate)
	p := l.begin(ctx, c, r, a)
	l.send(ctx, senders, c.rate, c.duration, c.window)
	l.finish(ctx, c, r, a, p, time.Since(p.start), func() int64 { return l.acked.Load() - l.dup.Load() }, clients, recs, 1)
	return nil
}

// closeAll closes the clients in parallel and forgets them.
func closeAll(clients []*client) {
	var wg sync.WaitGroup
	for i, cl := range clients {
		if cl != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl.close()
			}()
			clients[i] = nil
		}
	}
	wg.Wait()
}

func noteUnexpectedCloses(r *result, clients []*client) {
	n := 0
	var first error
	for _, cl := range clients {
		if cl == nil {
			continue
		}
		if err := cl.closedUnexpectedly(); err != nil {
			n++
			if first == nil {
				first = err
			}
		}
	}
	if n > 0 {
		r.note("%d connections closed during the run; first: %v", n, first)
	}
}

// serverCPU adds what the server's metrics say about the run: its CPU
// time and how many messages its commits held.
func serverCPU(r *result, before, after serverStats) {
	if after.CPUSeconds > 0 {
		r.add("server CPU time during run", round1(after.CPUSeconds-before.CPUSeconds), "s")
	}
	if n := after.Commits - before.Commits; n > 0 {
		r.add("server commits", n, "")
		r.add("messages per commit (mean)", round1((after.CommittedMessages-before.CommittedMessages)/n), "")
	}
}
