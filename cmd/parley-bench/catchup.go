package main

import (
	"context"
	"fmt"
	"time"

	"parley/protocol"
)

// runCatchup: a user with C conversations; K of them get M messages each
// while the user is away; then the user reconnects and catches up the way
// a client must (sync from its cursor, then pull what it lacks), timed
// from dial to the last message, with the bytes on the wire counted.
func runCatchup(ctx context.Context, c *config, r *result) error {
	r.Params["conversations"], r.Params["changed"], r.Params["per-conv"] = c.conversations, c.changed, c.perConv
	r.Params["size"], r.Params["compress"] = c.size, c.compress
	if c.changed > c.conversations || c.changed < 1 || c.perConv < 1 {
		return fmt.Errorf("need 1 <= -changed <= -conversations and -per-conv >= 1")
	}
	a := newAdmin(c.server, c.adminSecret)
	user := c.prefix + "-cu"
	peers := userIDs(c.prefix, "cp", c.conversations)
	c.log("creating %d peers and the user", len(peers))
	tokens, err := a.usersAndTokens(ctx, append([]string{user}, peers...), c.parallel)
	if err != nil {
		return err
	}
	userTok, peerToks := tokens[0], tokens[1:]

	c.log("giving the user %d conversations", len(peers))
	if _, err := sendFromPeers(ctx, c, peers, peerToks, user, 1); err != nil {
		return err
	}

	// The user's first session: a full sync, as a new device would do
	// (conversation states only; a client pulls the latest page of each).
	var first wire
	t0 := time.Now()
	cl, err := dial(ctx, c.server, user, userTok, dialOptions{compress: c.compress, wire: &first})
	if err != nil {
		return err
	}
	local := map[string]int64{}
	cursor, pages, err := syncAll(ctx, cl, 0, func(st *protocol.ConversationState) { local[st.ConversationID] = st.MaxSeq })
	fullSync := time.Since(t0)
	cl.close()
	if err != nil {
		return err
	}
	if len(local) != c.conversations {
		return fmt.Errorf("full sync listed %d conversations, want %d (reused -prefix with other counts?)", len(local), c.conversations)
	}
	r.add("full sync: conversations listed", float64(len(local)), "")
	r.add("full sync: time (dial + sync pages)", round3(fullSync.Seconds()*1000), "ms")
	r.add("full sync: pages", float64(pages), "")
	r.add("full sync: bytes received", float64(first.read.Load()), "B")

	c.log("user away: %d conversations get %d messages each", c.changed, c.perConv)
	// Spread the changed conversations over the list.
	step := c.conversations / c.changed
	var changedPeers, changedToks []string
	for i := 0; i < c.changed; i++ {
		changedPeers = append(changedPeers, peers[i*step])
		changedToks = append(changedToks, peerToks[i*step])
	}
	start := time.Now()
	stored, err := sendFromPeers(ctx, c, changedPeers, changedToks, user, c.perConv)
	if err != nil {
		return err
	}
	r.add("messages sent while away", float64(stored), "")
	r.add("seeding rate while away", round1(float64(stored)/time.Since(start).Seconds()), "msg/s")

	c.log("user back: catching up")
	before, err := a.scrape(ctx, c.pid)
	if err != nil {
		return fmt.Errorf("metrics before the catch-up: %w", err)
	}
	var w wire
	t0 = time.Now()
	cl, err = dial(ctx, c.server, user, userTok, dialOptions{compress: c.compress, wire: &w})
	if err != nil {
		return err
	}
	defer cl.close()
	dialed := time.Since(t0)
	var ranges []protocol.SeqRange
	_, pages, err = syncAll(ctx, cl, cursor, func(st *protocol.ConversationState) {
		if st.MaxSeq > local[st.ConversationID] {
			ranges = append(ranges, protocol.SeqRange{ConversationID: st.ConversationID, FromSeq: local[st.ConversationID] + 1, ToSeq: st.MaxSeq})
		}
	})
	if err != nil {
		return err
	}
	synced := time.Since(t0)
	got, pulls, err := pullAll(ctx, cl, ranges)
	if err != nil {
		return err
	}
	total := time.Since(t0)
	after, err := a.scrape(ctx, c.pid)
	if err != nil {
		return fmt.Errorf("metrics after the catch-up: %w", err)
	}
	r.add("catch-up: conversations changed (listed by sync)", float64(len(ranges)), "")
	r.add("catch-up: sync pages", float64(pages), "")
	r.add("catch-up: pull requests", float64(pulls), "")
	r.add("catch-up: messages received", float64(got), "")
	r.add("catch-up: dial", round3(dialed.Seconds()*1000), "ms")
	r.add("catch-up: dial + sync", round3(synced.Seconds()*1000), "ms")
	r.add("catch-up: total (dial + sync + pulls)", round3(total.Seconds()*1000), "ms")
	r.add("catch-up: messages per second", round1(float64(got)/total.Seconds()), "msg/s")
	r.add("catch-up: bytes received", float64(w.read.Load()), "B")
	r.add("catch-up: bytes sent", float64(w.written.Load()), "B")
	r.addTarget("catch-up: bytes on the wire (both ways)", float64(w.read.Load()+w.written.Load()), "B", "<= 20 KB (issue 17)")
	// The server's own time: its request histograms' sums, which time each
	// request from decoding to the answer queued (the /ws upgrade includes
	// the token check), and its CPU (in ticks of 10 ms).
	upgrade := before.delta(after, `parley_http_request_duration_seconds_sum{route="GET /ws",status="101"}`)
	syncT := before.delta(after, `parley_request_duration_seconds_sum{type="sync"}`)
	pullT := before.delta(after, `parley_request_duration_seconds_sum{type="pull"}`)
	r.add("catch-up: server time, /ws upgrade", round3(upgrade*1000), "ms")
	r.add("catch-up: server time, sync requests", round3(syncT*1000), "ms")
	r.add("catch-up: server time, pull requests", round3(pullT*1000), "ms")
	r.addTarget("catch-up: server time (upgrade + sync + pulls)", round3((upgrade+syncT+pullT)*1000), "ms", "<= 50 ms (issue 17)")
	if after.CPUSeconds > 0 {
		r.add("catch-up: server CPU time (metrics scrape included)", round3((after.CPUSeconds-before.CPUSeconds)*1000), "ms")
	}
	if got > 0 {
		r.add("catch-up: bytes received per message", round1(float64(w.read.Load())/float64(got)), "B")
	}
	if want := int64(c.changed * c.perConv); got != want {
		r.note("received %d messages, want %d", got, want)
	}
	return nil
}

// syncAll pages through sync from cursor, calling fn for each state, and
// returns the final cursor and the number of pages.
func syncAll(ctx context.Context, cl *client, cursor int64, fn func(*protocol.ConversationState)) (int64, int, error) {
	pages := 0
	for {
		var resp protocol.SyncResp
		if err := cl.call(ctx, protocol.ReqSync, protocol.SyncReq{Cursor: cursor, Limit: protocol.MaxSyncLimit}, &resp); err != nil {
			return cursor, pages, err
		}
		pages++
		for i := range resp.Conversations {
			fn(&resp.Conversations[i])
		}
		cursor = resp.Cursor
		if !resp.HasMore {
			return cursor, pages, nil
		}
		if pages > 1_000_000 {
			return cursor, pages, fmt.Errorf("sync did not end")
		}
	}
}

// pullAll pulls every range in full, up to protocol.MaxPullRanges ranges
// of protocol.MaxPullLimit messages per request, one request at a time,
// re-asking for what a byte-capped answer left out. It checks that each
// conversation's seqs arrive dense and in order.
func pullAll(ctx context.Context, cl *client, ranges []protocol.SeqRange) (got int64, pulls int, err error) {
	next := map[string]int64{}
	for _, rg := range ranges {
		next[rg.ConversationID] = rg.FromSeq
	}
	todo := ranges
	for len(todo) > 0 {
		var batch []protocol.SeqRange
		for i := 0; i < len(todo) && len(batch) < protocol.MaxPullRanges; i++ {
			rg := todo[i]
			to := min(rg.ToSeq, rg.FromSeq+protocol.MaxPullLimit-1)
			batch = append(batch, protocol.SeqRange{ConversationID: rg.ConversationID, FromSeq: rg.FromSeq, ToSeq: to, Limit: int(to - rg.FromSeq + 1)})
		}
		var resp protocol.PullResp
		if err := cl.call(ctx, protocol.ReqPull, protocol.PullReq{Ranges: batch}, &resp); err != nil {
			return got, pulls, err
		}
		pulls++
		if pulls > 1_000_000 {
			return got, pulls, fmt.Errorf("pulls did not end")
		}
		for i := range resp.Messages {
			m := &resp.Messages[i]
			if m.Seq != next[m.ConversationID] {
				return got, pulls, fmt.Errorf("%s: got seq %d, want %d", m.ConversationID, m.Seq, next[m.ConversationID])
			}
			next[m.ConversationID]++
			got++
		}
		// Keep the ranges with messages left, from where they got to.
		var rest []protocol.SeqRange
		for _, rg := range todo {
			if n := next[rg.ConversationID]; n <= rg.ToSeq {
				rg.FromSeq = n
				rest = append(rest, rg)
			}
		}
		if len(rest) == len(todo) && len(resp.Messages) == 0 {
			return got, pulls, fmt.Errorf("pull returned nothing for %d ranges", len(rest))
		}
		todo = rest
	}
	return got, pulls, nil
}
