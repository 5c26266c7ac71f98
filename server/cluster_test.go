package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/protocol"
	"parley/server"
	"parley/server/internal/tcpproxy"
	"parley/server/store/postgres"
)

// newCluster starts n parleyd nodes on one fresh PostgreSQL schema and one
// NATS subject, or skips the test when PARLEY_TEST_POSTGRES or
// PARLEY_TEST_NATS is unset.
func newCluster(t *testing.T, n int, mods ...func(*server.Config)) []*env {
	t.Helper()
	return newClusterVia(t, n, func(_ int, busURL string) string { return busURL }, mods...)
}

// newClusterVia is newCluster with each node's bus URL passed through via,
// e.g. to route one node's NATS connection through a proxy.
func newClusterVia(t *testing.T, n int, via func(node int, busURL string) string, mods ...func(*server.Config)) []*env {
	t.Helper()
	pg, nc := os.Getenv("PARLEY_TEST_POSTGRES"), os.Getenv("PARLEY_TEST_NATS")
	if pg == "" || nc == "" {
		t.Skip("PARLEY_TEST_POSTGRES and PARLEY_TEST_NATS are not both set " +
			"(e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable and nats://127.0.0.1:4222); skipping multi-node tests")
	}
	storeURL, err := postgres.TestSchema(context.Background(), pg, t.Cleanup)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	busURL := nc + "?subject=parley.test.cluster." + hex.EncodeToString(b)
	nodes := make([]*env, n)
	for i := range nodes {
		nodes[i] = newEnvOpts(t, envOpts{storeURL: storeURL, busURL: via(i, busURL)}, mods...)
	}
	return nodes
}

// newClusterCutOff is newCluster of two nodes whose second reaches NATS
// through a proxy, to cut it off.
func newClusterCutOff(t *testing.T, mods ...func(*server.Config)) ([]*env, *tcpproxy.Proxy) {
	t.Helper()
	var p *tcpproxy.Proxy
	nodes := newClusterVia(t, 2, func(node int, busURL string) string {
		if node == 0 {
			return busURL
		}
		host, rest, _ := strings.Cut(strings.TrimPrefix(busURL, "nats://"), "?")
		p = tcpproxy.New(t, strings.SplitN(host, ",", 2)[0])
		return "nats://" + p.Addr() + "?" + rest
	}, mods...)
	return nodes, p
}

// nextMessage waits for c's next push, which must be a push.message.
func nextMessage(c *client) protocol.Message {
	c.t.Helper()
	return decode[protocol.Message](c.t, c.push(protocol.PushMessage))
}

func TestClusterDirectAndDevices(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2)
	n1, n2 := nodes[0], nodes[1]
	// Users and tokens made on either node work on both: one database,
	// one signing key.
	tokA1 := n1.adminUser("alice")
	tokB := n2.adminUser("bob")
	tokA2 := n2.token("alice")
	a1 := n1.dial(tokA1) // alice's first device, on node 1
	b := n2.dial(tokB)   // bob, on node 2
	a2 := n2.dial(tokA2) // alice's second device, on node 2

	// Alice -> Bob crosses from node 1 to node 2, to Bob and to Alice's
	// other device; the sending connection gets only its ack.
	ack := a1.sendText("m1", "bob", "", "hello from node 1")
	if ack.Seq != 1 || ack.Duplicate {
		t.Fatalf("ack %+v", ack)
	}
	for name, c := range map[string]*client{"bob": b, "alice's other device": a2} {
		m := nextMessage(c)
		if m.Seq != 1 || m.ClientMsgID != "m1" || m.ServerMsgID != ack.ServerMsgID || m.SendID != "alice" {
			t.Fatalf("%s got %+v", name, m)
		}
	}
	// Bob -> Alice crosses back to node 1.
	ack2 := b.sendText("m2", "alice", "", "hello from node 2")
	if ack2.Seq != 2 {
		t.Fatalf("reply ack %+v", ack2)
	}
	for name, c := range map[string]*client{"alice": a1, "alice's other device": a2} {
		if m := nextMessage(c); m.Seq != 2 || m.SendID != "bob" {
			t.Fatalf("%s got %+v", name, m)
		}
	}

	// An idempotent resend of m1 through the other node answers the
	// original and delivers nothing: Bob's next push is the next message.
	var dup protocol.SendResp
	a2.do(protocol.ReqSend, protocol.SendReq{ClientMsgID: "m1", RecvID: "bob", ContentType: protocol.ContentText,
		Content: text("hello from node 1")}, &dup)
	if !dup.Duplicate || dup.Seq != 1 || dup.ServerMsgID != ack.ServerMsgID || dup.SendTime != ack.SendTime {
		t.Fatalf("resend %+v, original %+v", dup, ack)
	}
	ack3 := a2.sendText("m3", "bob", "", "third")
	if ack3.Seq != 3 {
		t.Fatalf("third ack %+v", ack3)
	}
	if m := nextMessage(b); m.Seq != 3 || m.ClientMsgID != "m3" {
		t.Fatalf("bob's next push %+v, want seq 3", m)
	}
	if m := nextMessage(a1); m.Seq != 3 {
		t.Fatalf("alice's first device got %+v", m)
	}

	// Bob reading on node 2 is his only device: his read reaches Alice's
	// devices as a read receipt (her state with his read seq). Alice
	// pinning on node 1 reaches her device on node 2.
	b.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: ack.ConversationID}, nil)
	if st := decode[protocol.ConversationState](t, a2.push(protocol.PushConversation)); st.PeerReadSeq != 3 {
		t.Fatalf("read receipt on the other node %+v", st)
	}
	a1.do(protocol.ReqSetPinned, protocol.SetPinnedReq{ConversationID: ack.ConversationID, IsPinned: true}, nil)
	st := decode[protocol.ConversationState](t, a2.push(protocol.PushConversation))
	if !st.IsPinned || st.ReadSeq != 3 {
		t.Fatalf("state on the other node %+v", st)
	}

	// Sync through either node sees the same conversation.
	for name, c := range map[string]*client{"node 1": a1, "node 2": a2} {
		var sr protocol.SyncResp
		c.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
		if len(sr.Conversations) != 1 || sr.Conversations[0].MaxSeq != 3 || !sr.Conversations[0].IsPinned {
			t.Fatalf("sync on %s: %+v", name, sr)
		}
	}

	// Logging a token out on node 1 closes its connection on node 2, and
	// only that one.
	st2, body := n1.post("/api/v1/auth/logout", tokA2, nil)
	if st2 != http.StatusNoContent {
		t.Fatalf("logout: %d %s", st2, body)
	}
	if k := decode[protocol.Kicked](t, a2.push(protocol.PushKicked)); k.Reason != "token_revoked" {
		t.Fatalf("kicked %+v", k)
	}
	a2.waitClosed()
	a1.ping()
	if _, resp, err := n2.tryDial(tokA2, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token accepted on node 2: %v", err)
	}
}

func TestClusterGroupSeqs(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2)
	names := []string{"u0", "u1", "u2", "u3"}
	var clients []*client
	for i, name := range names {
		// Alternate nodes: u0, u2 on node 1; u1, u3 on node 2.
		n := nodes[i%2]
		clients = append(clients, n.dial(n.adminUser(name)))
	}
	// A second device of u0, on node 2, sees everything.
	watcher := nodes[1].dial(nodes[1].token("u0"))

	var g protocol.Group
	clients[0].do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "busy", MemberUserIDs: names[1:]}, &g)
	for _, c := range append(clients[1:], watcher) {
		c.push(protocol.PushGroup)
	}

	// Every member sends at once, pipelined, through both nodes.
	const per = 25
	var mu sync.Mutex
	var seqs []int64
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			var chans []<-chan *protocol.Frame
			for k := range per {
				chans = append(chans, c.request(protocol.ReqSend, protocol.SendReq{
					ClientMsgID: fmt.Sprintf("%d-%d", i, k), GroupID: g.GroupID,
					ContentType: protocol.ContentText, Content: text("hi")}))
			}
			for _, ch := range chans {
				f, err := c.tryAwait(ch)
				if err != nil || f.Error != nil {
					t.Errorf("send: %v %v", err, f)
					return
				}
				var r protocol.SendResp
				if err := json.Unmarshal(f.Data, &r); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seqs = append(seqs, r.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	total := per * len(clients)
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("seqs not dense and unique: %v", seqs)
		}
	}

	// The watcher gets every message exactly once, from both nodes.
	got := map[int64]bool{}
	deadline := time.After(waitFor)
	for len(got) < total {
		select {
		case f := <-watcher.pushes:
			if f.Type != protocol.PushMessage {
				continue
			}
			m := decode[protocol.Message](t, f)
			if got[m.Seq] {
				t.Fatalf("seq %d pushed twice", m.Seq)
			}
			got[m.Seq] = true
		case <-deadline:
			t.Fatalf("watcher got %d of %d messages", len(got), total)
		}
	}
	// And a pull through either node returns all of them in order.
	for _, c := range []*client{clients[0], clients[1]} {
		var pr protocol.PullResp
		c.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: protocol.GroupConversationID(g.GroupID), FromSeq: 1, Limit: 500}}}, &pr)
		if len(pr.Messages) != total {
			t.Fatalf("pull: %d messages", len(pr.Messages))
		}
		for i, m := range pr.Messages {
			if m.Seq != int64(i+1) {
				t.Fatalf("pull out of order at %d: %d", i, m.Seq)
			}
		}
	}
}

// TestClusterResyncAfterBusOutage cuts node 2 off from NATS while node 1
// stores a message for a user on node 2: the push is lost, so once node 2
// is back on NATS it closes its connections, and the client finds the
// message by syncing after reconnecting.
func TestClusterResyncAfterBusOutage(t *testing.T) {
	t.Parallel()
	nodes, p := newClusterCutOff(t)
	n1, n2 := nodes[0], nodes[1]
	a := n1.dial(n1.adminUser("alice"))
	tokB := n2.adminUser("bob")
	b := n2.dial(tokB)
	a.sendText("before", "bob", "", "before the outage")
	if m := nextMessage(b); m.Seq != 1 {
		t.Fatalf("push before the outage %+v", m)
	}

	p.SetDown(true)
	ack := a.sendText("during", "bob", "", "during the outage")
	p.SetDown(false)

	if err := b.waitClosed(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("bob's connection on node 2: %v, want going away", err)
	}
	b = n2.dial(tokB)
	var sr protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	if len(sr.Conversations) != 1 || sr.Conversations[0].MaxSeq != ack.Seq ||
		sr.Conversations[0].LatestMessage == nil || sr.Conversations[0].LatestMessage.ClientMsgID != "during" {
		t.Fatalf("sync after the outage %+v", sr)
	}
}

// TestClusterSessionPolicy: with one session per platform, a login on node
// 2 replaces the user's session of the same platform on node 1.
func TestClusterSessionPolicy(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2, func(c *server.Config) { c.SessionPolicy = server.SessionsSinglePerPlatform })
	n1, n2 := nodes[0], nodes[1]
	old := n1.dial(n1.adminUser("alice"))
	old.ping()
	newer := n2.dial(n2.token("alice"))
	if k := decode[protocol.Kicked](t, old.push(protocol.PushKicked)); k.Reason != "replaced" {
		t.Fatalf("kicked %+v", k)
	}
	old.waitClosed()
	newer.ping()
	newer.noPush()
}

// TestClusterBlockAndKick runs user.block and group.kick on PostgreSQL:
// a block made through one node refuses the blocked user's messages and
// friend requests on the other, and a member removed through one node can
// no longer send to the group through the other, and reads it only up to
// the removal.
func TestClusterBlockAndKick(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2)
	n1, n2 := nodes[0], nodes[1]
	for _, u := range []string{"own", "mem", "out"} {
		n1.adminUser(u)
	}
	own, mem := n1.dial(n1.token("own")), n2.dial(n2.token("mem"))
	out := n2.dial(n2.token("out"))

	own.do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: "out"}, nil)
	out.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "x", RecvID: "own", ContentType: protocol.ContentText, Content: text("hey")}, protocol.CodePermissionDenied)
	out.wantError(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: "own"}, protocol.CodePermissionDenied)
	mem.sendText("m0", "own", "", "not blocked") // one-way, and only that user
	own.do(protocol.ReqUnblockUser, protocol.UserIDReq{UserID: "out"}, nil)
	out.sendText("x1", "own", "", "sorry")

	st, body := n1.post("/api/v1/admin/groups", adminSecret, server.AdminCreateGroupReq{OwnerUserID: "own", Name: "g", MemberUserIDs: []string{"mem", "out"}})
	if st != http.StatusCreated {
		t.Fatalf("group: %d %s", st, body)
	}
	var g protocol.Group
	if err := json.Unmarshal(body, &g); err != nil {
		t.Fatal(err)
	}
	own.do(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "out"}, nil)
	out.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "x2", GroupID: g.GroupID, ContentType: protocol.ContentText, Content: text("hi")}, protocol.CodePermissionDenied)
	own.wantError(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "out"}, protocol.CodeNotFound)
	var sr protocol.SyncResp
	out.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	// The removed member's sync reports the group once more, marked
	// removed, without content.
	for _, c := range sr.Conversations {
		if c.GroupID == g.GroupID && (!c.Removed || c.LatestMessage != nil) {
			t.Fatalf("removed member syncs %+v", c)
		}
	}
	// Seq 1 is the kick's notification message.
	if ack := mem.sendText("m1", "", g.GroupID, "still here"); ack.Seq != 2 {
		t.Fatalf("ack %+v", ack)
	}
	// The removed member still reads up to the kick, and no further.
	var pr protocol.PullResp
	out.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: protocol.GroupConversationID(g.GroupID), FromSeq: 1, Limit: 10}}}, &pr)
	if len(pr.Messages) != 1 || pr.Messages[0].Seq != 1 || pr.Messages[0].ContentType != protocol.ContentNotification {
		t.Fatalf("the removed member pulls %+v, want the kick's notification alone", pr.Messages)
	}
}
