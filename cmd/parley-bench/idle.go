package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"parley/protocol"
)

// runIdle: N authenticated connections, one user each, held open; the
// server's resident memory grows by what they cost.
func runIdle(ctx context.Context, c *config, r *result) error {
	r.Params["conns"], r.Params["hold"], r.Params["compress"], r.Params["parallel"] = c.conns, c.hold.String(), c.compress, c.parallel
	if c.conns < 1 {
		return fmt.Errorf("-conns must be at least 1")
	}
	limit, err := raiseFileLimit()
	if err != nil {
		return err
	}
	r.add("tool open-file limit", float64(limit), "files")
	if need := uint64(c.conns) + 64; limit < need {
		return fmt.Errorf("-conns %d needs about %d open files and this process may open %d (its hard limit); the server needs as many", c.conns, need, limit)
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		r.Params["ip_local_port_range"] = strings.Join(strings.Fields(string(b)), "-")
	}

	a := newAdmin(c.server, c.adminSecret)
	ids := userIDs(c.prefix, "i", c.conns)
	c.log("creating %d users and tokens", len(ids))
	setupStart := time.Now()
	tokens, err := a.usersAndTokens(ctx, ids, c.parallel)
	if err != nil {
		return err
	}
	r.add("users and tokens through the admin API", round1(time.Since(setupStart).Seconds()), "s")

	// Let the server settle after setup before taking its baseline.
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	before, err := a.scrape(ctx, c.pid)
	if err != nil {
		return fmt.Errorf("read server metrics: %w", err)
	}
	c.log("server before: RSS %.1f MB, %0.f connections, %0.f goroutines", before.RSS/1e6, before.Connections, before.Goroutines)

	clients := make([]*client, len(ids))
	defer closeAll(clients)
	c.log("connecting %d clients, %d at a time", len(ids), c.parallel)
	var handshakes latencies
	hs := make([]time.Duration, len(ids))
	start := time.Now()
	err = forEach(ctx, len(ids), c.parallel, func(ctx context.Context, i int) error {
		t := time.Now()
		cl, err := dial(ctx, c.server, ids[i], tokens[i], dialOptions{compress: c.compress})
		hs[i] = time.Since(t)
		clients[i] = cl
		return err
	})
	connectTime := time.Since(start)
	opened := 0
	for i, cl := range clients {
		if cl != nil {
			opened++
			handshakes = append(handshakes, hs[i])
		}
	}
	if err != nil {
		r.note("connecting stopped after %d connections: %v", opened, err)
	}
	r.add("connections opened", float64(opened), "")
	r.add("time to connect all", round3(connectTime.Seconds()), "s")
	r.add("connections per second", round1(float64(opened)/connectTime.Seconds()), "conn/s")
	r.latency("dial (TCP+upgrade+auth)", handshakes)

	c.log("holding %d connections for %s", opened, c.hold)
	holdCtx, cancel := context.WithTimeout(ctx, c.hold)
	keepAlive(holdCtx, clients)
	cancel()
	after, err := a.scrape(ctx, c.pid)
	if err != nil {
		return fmt.Errorf("read server metrics: %w", err)
	}
	var afterGC *serverStats
	if path, err := c.profiler().fetch(ctx, "heap?gc=1", "heap"); err != nil {
		r.note("heap profile: %v", err)
	} else if path != "" {
		r.note("server heap profile with the connections open: %s", path)
		// The profile ran a GC: what is left is what the connections hold.
		if s, err := a.scrape(ctx, c.pid); err == nil {
			afterGC = &s
		}
	}
	if path, err := c.profiler().fetch(ctx, "goroutine", "goroutine"); err != nil {
		r.note("goroutine profile: %v", err)
	} else if path != "" {
		r.note("server goroutine profile: %s", path)
	}
	noteUnexpectedCloses(r, clients)
	r.add("server connections (gauge)", after.Connections, "")
	r.add("server RSS before", round1(before.RSS/1e6), "MB")
	r.add("server RSS with connections", round1(after.RSS/1e6), "MB")
	r.add("server Go heap in use with connections", round1(after.HeapInuse/1e6), "MB")
	r.add("server goroutines", after.Goroutines, "")
	if opened > 0 {
		r.addTarget("server RSS per connection", round3((after.RSS-before.RSS)/float64(opened)/1024), "KB", "<= 20 KB at 20,000")
		r.add("  of which Go heap in use", round3((after.HeapInuse-before.HeapInuse)/float64(opened)/1024), "KB")
		r.add("  of which goroutine stacks", round3((after.StackInuse-before.StackInuse)/float64(opened)/1024), "KB")
		if afterGC != nil {
			r.add("after a forced GC: RSS per connection", round3((afterGC.RSS-before.RSS)/float64(opened)/1024), "KB")
			r.add("after a forced GC: Go heap in use per connection", round3((afterGC.HeapInuse-before.HeapInuse)/float64(opened)/1024), "KB")
		}
	}
	c.log("closing")
	return nil
}

// keepAlive pings every connection every 20 s (the server closes one
// silent for 75 s) until ctx ends, from one goroutine rather than one per
// connection, so the tool stays light.
func keepAlive(ctx context.Context, clients []*client) {
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, cl := range clients {
				if cl != nil {
					cl.start(protocol.ReqPing, nil, nil)
				}
			}
		}
	}
}

// raiseFileLimit raises this process's open-file soft limit to its hard
// limit and returns it.
func raiseFileLimit() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, fmt.Errorf("setrlimit: %w", err)
		}
	}
	return rl.Cur, nil
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
