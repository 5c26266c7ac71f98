package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server"
	"parley/server/store"
)

// presenceHooksUntil collects the userOnline and userOffline webhooks rc
// gets until one says marker went as wantEvent, and returns them as
// "event user" lines.
func presenceHooksUntil(t *testing.T, rc *receiver, wantEvent, marker string) []string {
	t.Helper()
	var got []string
	deadline := time.After(waitFor)
	for {
		select {
		case h := <-rc.got:
			if h.Event != server.EventUserOnline && h.Event != server.EventUserOffline {
				continue
			}
			var d server.PresenceData
			require.NoError(t, json.Unmarshal(h.Data, &d))
			got = append(got, h.Event+" "+d.UserID)
			if h.Event == wantEvent && d.UserID == marker {
				return got
			}
		case <-deadline:
			t.Fatalf("no %s of %s; got %v", wantEvent, marker, got)
		}
	}
}

// TestClusterPresenceWebhooks: userOnline and userOffline say whether a
// user is online on any node, once each, not once per node.
func TestClusterPresenceWebhooks(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	nodes := newCluster(t, 2, func(c *server.Config) {
		c.PresenceHeartbeat = 200 * time.Millisecond
		c.Webhook = server.WebhookConfig{URL: rc.srv.URL, Secret: hookSecret, Timeout: 300 * time.Millisecond}
	})
	n1, n2 := nodes[0], nodes[1]
	aliceTok, bobTok := n1.adminUser("alice"), n1.adminUser("bob")

	a1 := n1.dial(aliceTok)
	assert.Equal(t, []string{"userOnline alice"}, presenceHooksUntil(t, rc, server.EventUserOnline, "alice"))
	a2 := n2.dial(n2.token("alice"))
	a2.ping() // connected and counted on node 2
	a1.ws.Close()
	<-a1.closed
	a2.ws.Close()
	got := presenceHooksUntil(t, rc, server.EventUserOffline, "alice")
	// Bob comes and goes after: whatever alice's connections queued was
	// leased before his webhooks (the queue goes in order of queuing),
	// though the two nodes may deliver his two in either order.
	b := n2.dial(bobTok)
	b.ping()
	b.ws.Close()
	got = append(got, presenceHooksUntil(t, rc, server.EventUserOffline, "bob")...)
	if !slices.Contains(got, "userOnline bob") {
		got = append(got, presenceHooksUntil(t, rc, server.EventUserOnline, "bob")...)
	}
	assert.ElementsMatch(t, []string{"userOffline alice", "userOnline bob", "userOffline bob"}, got,
		"alice was online on a node from her first connection to her last")
}

// TestPresenceWebhooksAfterACrash: a node's record of a user that it left
// behind (it ended without closing their connections) is dropped by the
// next start, and the user gets userOffline.
func TestPresenceWebhooksAfterACrash(t *testing.T) {
	rc := newReceiver(t)
	e := newEnv(t, func(c *server.Config) {
		c.PresenceHeartbeat = 100 * time.Millisecond
		c.Webhook = server.WebhookConfig{URL: rc.srv.URL, Secret: hookSecret, Timeout: 300 * time.Millisecond}
	})
	e.adminUser("carl")
	// As a node that died with carl connected leaves it.
	_, err := e.cfg.Store.AddPresenceNode(context.Background(), "carl", "n-gone", "ios", store.WebhookJob{})
	require.NoError(t, err)
	e.shutdown()
	e.start()
	h := rc.next(server.EventUserOffline)
	assert.JSONEq(t, `{"userID":"carl","platform":"ios"}`, string(h.Data))
}
