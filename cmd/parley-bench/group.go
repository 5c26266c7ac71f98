package main

import (
	"context"
	"fmt"
	"time"

	"parley/protocol"
)

// runGroup: one group of G members, the first S of them sending; every
// message fans out to the G-1 others.
func runGroup(ctx context.Context, c *config, r *result) error {
	r.Params["members"], r.Params["senders"], r.Params["rate"] = c.members, c.senders, c.rate
	r.Params["duration"], r.Params["window"], r.Params["size"], r.Params["compress"] = c.duration.String(), c.window, c.size, c.compress
	if c.members < 2 || c.members > 501 {
		return fmt.Errorf("-members must be 2 to 501 (the server creates groups of at most 500 besides the owner)")
	}
	if c.senders < 1 || c.senders > c.members {
		return fmt.Errorf("-senders must be 1 to -members")
	}
	a := newAdmin(c.server, c.adminSecret)
	ids := userIDs(c.prefix, "g", c.members)
	c.log("creating %d users and tokens", len(ids))
	tokens, err := a.usersAndTokens(ctx, ids, c.parallel)
	if err != nil {
		return err
	}
	l := newLoadRun(c.size)
	l.keepIDs = true
	recs := make([]*recorder, len(ids))
	clients := make([]*client, len(ids))
	defer closeAll(clients)
	c.log("connecting %d members", len(ids))
	if err := forEach(ctx, len(ids), c.parallel, func(ctx context.Context, i int) error {
		recs[i] = &recorder{}
		cl, err := dial(ctx, c.server, ids[i], tokens[i], dialOptions{compress: c.compress, keepAlive: true, onPush: l.onPush(recs[i])})
		clients[i] = cl
		return err
	}); err != nil {
		return err
	}
	var g protocol.Group
	if err := clients[0].call(ctx, protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: c.prefix + " bench", MemberUserIDs: ids[1:]}, &g); err != nil {
		return fmt.Errorf("create group: %w", err)
	}
	r.Params["groupID"] = g.GroupID
	senders := make([]sender, c.senders)
	for i := range senders {
		senders[i] = sender{cl: clients[i], rec: recs[i], groupID: g.GroupID}
	}
	c.log("sending for %s from %d members (rate %v/s, 0 = flat out)", c.duration, c.senders, c.rate)
	p := l.begin(ctx, c, r, a)
	l.send(ctx, senders, c.rate, c.duration, c.window)
	fan := int64(c.members - 1)
	l.finish(ctx, c, r, a, p, time.Since(p.start), func() int64 { return (l.acked.Load() - l.dup.Load()) * fan }, clients, recs, c.members-1)

	// Fan-out completion: per message, the time until its last member had it.
	last := map[string]time.Duration{}
	got := map[string]int{}
	for _, rec := range recs {
		for i, id := range rec.deliveredIDs {
			if d := rec.delivery[i]; d > last[id] {
				last[id] = d
			}
			got[id]++
		}
	}
	var complete latencies
	for id, d := range last {
		if got[id] == c.members-1 {
			complete = append(complete, d)
		}
	}
	r.latency("send→last member", complete)
	return nil
}
