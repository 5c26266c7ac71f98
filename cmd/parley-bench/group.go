package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"parley/protocol"
)

// runGroup: one group of G members, the first O of them online (connected)
// and the first S of those sending; every message fans out to the O-1
// other online members. The group is created with the members the server
// takes at once and grown with group.invite, so its size is bounded only
// by the server's -max-group-size. With -reads K every online member that
// is not sending marks the conversation read up to the message after
// every K messages it receives, as a client showing the group would.
func runGroup(ctx context.Context, c *config, r *result) error {
	if c.online == 0 {
		c.online = c.members
	}
	r.Params["members"], r.Params["online"], r.Params["senders"], r.Params["rate"] = c.members, c.online, c.senders, c.rate
	r.Params["duration"], r.Params["window"], r.Params["size"], r.Params["compress"] = c.duration.String(), c.window, c.size, c.compress
	r.Params["reads"] = c.reads
	if c.members < 2 {
		return fmt.Errorf("-members must be at least 2")
	}
	if c.online < 2 || c.online > c.members {
		return fmt.Errorf("-online must be 2 to -members")
	}
	if c.senders < 1 || c.senders > c.online {
		return fmt.Errorf("-senders must be 1 to -online")
	}
	if c.reads < 0 {
		return fmt.Errorf("-reads must be 0 (off) or more")
	}
	a := newAdmin(c.server, c.adminSecret)
	ids := userIDs(c.prefix, "g", c.members)
	c.log("creating %d users and %d tokens", len(ids), c.online)
	if err := a.users(ctx, ids[c.online:], c.parallel); err != nil {
		return err
	}
	tokens, err := a.usersAndTokens(ctx, ids[:c.online], c.parallel)
	if err != nil {
		return err
	}

	// The owner makes the group before the others connect, so that the
	// setup's pushes and notices are not in the run.
	owner, err := dial(ctx, c.server, ids[0], tokens[0], dialOptions{compress: c.compress, keepAlive: true})
	if err != nil {
		return err
	}
	groupID, err := makeGroup(ctx, owner, c.prefix+" bench", ids)
	owner.close()
	if err != nil {
		return err
	}
	r.Params["groupID"] = groupID
	conv := protocol.GroupConversationID(groupID)

	l := newLoadRun(c.size)
	l.keepIDs = true
	var rd reads
	recs := make([]*recorder, c.online)
	clients := make([]*client, c.online)
	defer closeAll(clients)
	c.log("connecting %d of %d members", c.online, c.members)
	if err := forEach(ctx, c.online, c.parallel, func(ctx context.Context, i int) error {
		recs[i] = &recorder{}
		onPush := l.onPush(recs[i])
		var marks chan int64
		if i < c.senders {
			onPush = rd.countReadCounts(onPush)
		} else if c.reads > 0 {
			marks = make(chan int64, markQueue)
			onPush = rd.markEvery(c.reads, conv, marks, onPush)
		}
		cl, err := dial(ctx, c.server, ids[i], tokens[i], dialOptions{compress: c.compress, keepAlive: true, onPush: onPush})
		clients[i] = cl
		if err == nil && marks != nil {
			go rd.markReads(cl, conv, marks)
		}
		return err
	}); err != nil {
		return err
	}
	senders := make([]sender, c.senders)
	for i := range senders {
		senders[i] = sender{cl: clients[i], rec: recs[i], groupID: groupID}
	}
	c.log("sending for %s from %d members (rate %v/s, 0 = flat out, reads every %d)", c.duration, c.senders, c.rate, c.reads)
	p := l.begin(ctx, c, r, a)
	l.send(ctx, senders, c.rate, c.duration, c.window)
	fan := int64(c.online - 1)
	l.finish(ctx, c, r, a, p, time.Since(p.start), func() int64 {
		if c.reads > 0 && rd.sent.Load() > rd.answered.Load() {
			return 1 << 62 // wait for the reads' answers too
		}
		return (l.acked.Load() - l.dup.Load()) * fan
	}, clients, recs, c.online-1)
	if cpu, stored := metricOf(r, "server CPU time during run"), l.acked.Load(); cpu > 0 && stored > 0 {
		r.add("server CPU per stored message", round1(cpu*1e6/float64(stored)), "µs")
	}
	if c.reads > 0 {
		r.add("reads sent (conversation.markRead)", float64(rd.sent.Load()), "")
		r.add("reads answered", float64(rd.answered.Load()), "")
		r.add("reads failed", float64(rd.failed.Load()), "")
		if e, ok := rd.firstErr.Load().(string); ok {
			r.note("first read error: %s", e)
		}
	}
	r.add("push.readCounts received by senders", float64(rd.readCounts.Load()), "")
	r.add("read counts carried by them", float64(rd.counts.Load()), "")
	for _, typ := range []string{protocol.PushMessage, protocol.PushReadCounts, protocol.PushConversation} {
		r.add("server pushes queued: "+typ, p.before.delta(p.after, `parley_pushes_total{type="`+typ+`"}`), "")
	}
	if n := p.before.delta(p.after, `parley_request_duration_seconds_count{type="`+protocol.ReqMarkRead+`"}`); n > 0 {
		sum := p.before.delta(p.after, `parley_request_duration_seconds_sum{type="`+protocol.ReqMarkRead+`"}`)
		r.add("server time per markRead (mean, read to answer queued)", round3(sum*1000/n), "ms")
	}

	// Fan-out completion: per message, the time until its last online
	// member had it.
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
		if got[id] == c.online-1 {
			complete = append(complete, d)
		}
	}
	r.latency("send→last member", complete)
	return nil
}

// makeGroup creates a group of the owner ids[0] and the others in chunks
// of protocol.MaxGroupInvite: group.create with the first, group.invite
// with each of the rest (the server checks its -max-group-size on each).
func makeGroup(ctx context.Context, owner *client, name string, ids []string) (string, error) {
	n := min(len(ids)-1, protocol.MaxGroupInvite)
	var g protocol.Group
	if err := owner.call(ctx, protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: name, MemberUserIDs: ids[1 : 1+n]}, &g); err != nil {
		return "", fmt.Errorf("create group: %w", err)
	}
	for rest := ids[1+n:]; len(rest) > 0; {
		k := min(len(rest), protocol.MaxGroupInvite)
		if err := owner.call(ctx, protocol.ReqInviteToGroup, protocol.GroupUsersReq{GroupID: g.GroupID, UserIDs: rest[:k]}, nil); err != nil {
			if protocol.CodeOf(err) == protocol.CodeInvalidArgument {
				return "", fmt.Errorf("invite to the group at %d members (is parleyd's -max-group-size below %d?): %w", len(ids)-len(rest), len(ids), err)
			}
			return "", fmt.Errorf("invite to the group: %w", err)
		}
		rest = rest[k:]
	}
	return g.GroupID, nil
}

// reads counts the read receipts of a group run: the marks members send
// and the read-count pushes the senders get.
type reads struct {
	sent, answered, failed atomic.Int64
	readCounts, counts     atomic.Int64
	firstErr               atomic.Value // string
}

// markQueue bounds the reads a member has waiting to be written.
const markQueue = 4096

// markEvery wraps a receiving member's push handler: after every k bench
// messages it queues a read up to the last one's seq for markReads, so
// that the reader goroutine never waits on a write.
func (rd *reads) markEvery(k int, conv string, marks chan<- int64, next func(*protocol.Frame, time.Time)) func(*protocol.Frame, time.Time) {
	n := 0
	return func(f *protocol.Frame, at time.Time) {
		next(f, at)
		if f.Type != protocol.PushMessage {
			return
		}
		var m struct {
			ClientMsgID    string `json:"clientMsgID"`
			ConversationID string `json:"conversationID"`
			Seq            int64  `json:"seq"`
		}
		if json.Unmarshal(f.Data, &m) != nil || m.ConversationID != conv {
			return
		}
		if _, ok := sendTimeOf(m.ClientMsgID); !ok {
			return
		}
		if n++; n%k != 0 {
			return
		}
		rd.sent.Add(1)
		select {
		case marks <- m.Seq:
		default:
			rd.answered.Add(1)
			rd.failed.Add(1)
			rd.firstErr.CompareAndSwap(nil, "read queue full")
		}
	}
}

// markReads writes a member's reads in the order they were queued, as a
// client does (each one is not waited for), until the connection ends.
func (rd *reads) markReads(cl *client, conv string, marks <-chan int64) {
	for {
		var seq int64
		select {
		case seq = <-marks:
		case <-cl.done:
			return
		}
		err := cl.start(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv, ReadSeq: seq}, func(f *protocol.Frame, _ time.Time) {
			rd.answered.Add(1)
			if f.Error != nil {
				rd.failed.Add(1)
				rd.firstErr.CompareAndSwap(nil, f.Error.Error())
			}
		})
		if err != nil {
			rd.answered.Add(1)
			rd.failed.Add(1)
			rd.firstErr.CompareAndSwap(nil, err.Error())
		}
	}
}

// countReadCounts wraps a sender's push handler to count push.readCounts.
func (rd *reads) countReadCounts(next func(*protocol.Frame, time.Time)) func(*protocol.Frame, time.Time) {
	return func(f *protocol.Frame, at time.Time) {
		next(f, at)
		if f.Type != protocol.PushReadCounts {
			return
		}
		rd.readCounts.Add(1)
		var rc protocol.ReadCounts
		if json.Unmarshal(f.Data, &rc) == nil {
			rd.counts.Add(int64(len(rc.Counts)))
		}
	}
}

// metricOf returns the value of r's metric name, or 0.
func metricOf(r *result, name string) float64 {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	return 0
}
