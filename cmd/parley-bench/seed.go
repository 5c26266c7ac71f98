package main

import (
	"context"
	"fmt"
	"time"
)

// sendFromPeers has each peer send n messages to userID, up to parallel
// peers at a time, each over its own connection with a window of sends in
// flight. It returns how many were stored.
func sendFromPeers(ctx context.Context, c *config, peers, tokens []string, userID string, n int) (int64, error) {
	l := newLoadRun(c.size)
	err := forEach(ctx, len(peers), c.parallel, func(ctx context.Context, i int) error {
		cl, err := dial(ctx, c.server, peers[i], tokens[i], dialOptions{compress: c.compress})
		if err != nil {
			return err
		}
		defer cl.close()
		s := &sender{cl: cl, rec: &recorder{}, recvID: userID}
		const window = 32
		slots := make(chan struct{}, window)
		for k := 0; k < n; k++ {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			l.sendOne(s, msgID(i, k, l.since(time.Now())), func() { <-slots })
		}
		for k := 0; k < window; k++ {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	if err != nil {
		return l.acked.Load(), err
	}
	if f := l.failed.Load(); f > 0 {
		e, _ := l.firstErr.Load().(string)
		return l.acked.Load(), fmt.Errorf("%d sends failed; first: %s", f, e)
	}
	return l.acked.Load(), nil
}

// runSeed gives a user C conversations with M new messages each (one peer
// per conversation) and reports the user's token, for the browser
// benchmark. Run it again with the same -prefix and -user to add messages
// to the same conversations.
func runSeed(ctx context.Context, c *config, r *result) error {
	user := c.user
	if user == "" {
		user = c.prefix + "-u"
	}
	r.Params["conversations"], r.Params["per-conv"], r.Params["size"] = c.conversations, c.perConv, c.size
	a := newAdmin(c.server, c.adminSecret)
	peers := userIDs(c.prefix, "p", c.conversations)
	c.log("creating %d peers and the user %s", len(peers), user)
	tokens, err := a.usersAndTokens(ctx, append([]string{user}, peers...), c.parallel)
	if err != nil {
		return err
	}
	c.log("sending %d messages from each of %d peers", c.perConv, len(peers))
	start := time.Now()
	n, err := sendFromPeers(ctx, c, peers, tokens[1:], user, c.perConv)
	if err != nil {
		return err
	}
	d := time.Since(start)
	r.Params["userID"], r.Params["token"] = user, tokens[0]
	r.add("messages stored", float64(n), "")
	r.add("seeding time", round3(d.Seconds()), "s")
	r.add("seeding rate", round1(float64(n)/d.Seconds()), "msg/s")
	return nil
}
