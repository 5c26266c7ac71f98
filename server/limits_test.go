package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

// A client that floods is refused and then cut off, while two other
// users keep talking: every one of their messages is delivered, once and
// in order. (Behaviour, not timing: nothing here measures latency.)
func TestFloodIsCutOffOthersUnaffected(t *testing.T) {
	// A low rate: the flooder is cut off once the server has read about
	// two bursts and twice the rate of its frames, which a loaded machine
	// under -race still reaches quickly.
	e := newEnv(t, func(c *server.Config) {
		c.RateLimit = 5
		c.RateBurst = 20
	})
	_, floodTok := e.register("flood")
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	f := e.dial(floodTok)
	f.lenient.Store(true)

	// The flooder writes requests as fast as it can, without waiting for
	// answers, until the server closes the connection.
	var flooded sync.WaitGroup
	flooded.Add(1)
	go func() {
		defer flooded.Done()
		frame := []byte(`{"id":"f","type":"user.getSelf"}`)
		for {
			f.mu.Lock()
			err := f.ws.WriteMessage(websocket.TextMessage, frame)
			f.mu.Unlock()
			if err != nil {
				return
			}
			select {
			case <-f.closed:
				return
			default:
			}
		}
	}()

	// Meanwhile alice and bob exchange messages, each acked.
	const n = 15 // within each connection's burst: only the flooder is limited
	for i := range n {
		a.sendText(fmt.Sprintf("a%d", i), bob, "", fmt.Sprintf("from alice %d", i))
		b.sendText(fmt.Sprintf("b%d", i), alice, "", fmt.Sprintf("from bob %d", i))
	}
	err := f.waitClosed()
	flooded.Wait()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) || !strings.Contains(err.Error(), "too many requests") {
		t.Fatalf("flooder closed with %v", err)
	}
	// Each of them got the other's messages in seq order, once.
	for who, c := range map[string]*client{"alice": a, "bob": b} {
		var last int64
		for range n {
			m := decode[protocol.Message](t, c.push(protocol.PushMessage))
			if m.Seq <= last {
				t.Fatalf("%s: seq %d after %d", who, m.Seq, last)
			}
			last = m.Seq
		}
		c.noPush()
	}
	var pr protocol.PullResp
	a.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: protocol.SingleConversationID(alice, bob), FromSeq: 1}}}, &pr)
	if len(pr.Messages) != 2*n {
		t.Fatalf("stored %d messages, want %d", len(pr.Messages), 2*n)
	}
	// The flooder can come back (and is limited afresh).
	e.dial(floodTok).do(protocol.ReqGetSelf, nil, nil)

	_, body := e.get("/metrics", nil)
	if !strings.Contains(string(body), "parley_flood_disconnects_total 1") {
		t.Error("flood disconnect not counted")
	}
}

// A client that is told rate_limited and slows down is not cut off.
func TestRateLimitedClientThatBacksOffStays(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.RateLimit = 0.001
		c.RateBurst = 3
	})
	_, tok := e.register("polite")
	c := e.dial(tok)
	for range 3 {
		c.do(protocol.ReqGetSelf, nil, nil)
	}
	// Up to RateBurst refusals are answered, not punished.
	for range 3 {
		c.wantError(protocol.ReqGetSelf, nil, protocol.CodeRateLimited)
	}
	c.ping()
	// One more is flooding: the connection is closed.
	c.request(protocol.ReqGetSelf, nil)
	if err := c.waitClosed(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("closed with %v", err)
	}
}

func TestUserRateLimitSpansConnections(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.UserRateLimit = 0.001
		c.UserRateBurst = 4
	})
	_, tok := e.register("multi")
	_, otherTok := e.register("other")
	c1, c2 := e.dial(tok), e.dial(tok)
	c1.do(protocol.ReqGetSelf, nil, nil)
	c1.do(protocol.ReqGetSelf, nil, nil)
	c2.do(protocol.ReqGetSelf, nil, nil)
	c2.do(protocol.ReqGetSelf, nil, nil)
	// The user's budget is spent on both connections and on a new one.
	c1.wantError(protocol.ReqGetSelf, nil, protocol.CodeRateLimited)
	c2.wantError(protocol.ReqGetSelf, nil, protocol.CodeRateLimited)
	e.dial(tok).wantError(protocol.ReqGetSelf, nil, protocol.CodeRateLimited)
	c1.ping() // heartbeats are exempt
	// Other users are not affected.
	e.dial(otherTok).do(protocol.ReqGetSelf, nil, nil)
}

func TestMaxConnsPerUser(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxConnsPerUser = 2 })
	_, tok := e.register("many")
	_, otherTok := e.register("other")
	c1 := e.dial(tok)
	e.dial(tok)
	_, resp, err := e.tryDial(tok, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection: %v %v", err, resp)
	}
	var eb protocol.ErrorBody
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if eb.Error.Code != protocol.CodeRateLimited || !strings.Contains(eb.Error.Message, "connections") {
		t.Fatalf("answer %+v", eb)
	}
	e.dial(otherTok) // per user
	// Closing one makes room again.
	c1.ws.Close()
	e.dialUntil(t, tok).ping()
}

// dialUntil dials until the server has noticed an earlier close and
// accepts the connection (the close is seen asynchronously).
func (e *env) dialUntil(t *testing.T, token string) *client {
	t.Helper()
	for range 500 {
		c, resp, err := e.tryDial(token, nil)
		if err == nil {
			return c
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("dial: %v", err)
		}
		resp.Body.Close()
		// Wait for the server to count the close: a ping on another
		// connection round-trips through it.
		waitABit(e)
	}
	t.Fatal("the server never released the closed connection")
	return nil
}

// waitABit yields to the server once: one HTTP round trip.
func waitABit(e *env) { e.get("/healthz", nil) }

func TestGroupSizeLimit(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxGroupSize = 3 })
	_, tok := e.register("owner")
	var ids []string
	for _, u := range []string{"mem1", "mem2", "mem3"} {
		id, _ := e.register(u)
		ids = append(ids, id)
	}
	c := e.dial(tok)
	c.wantError(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "big", MemberUserIDs: ids}, protocol.CodeInvalidArgument)
	var g protocol.Group
	c.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "fits", MemberUserIDs: ids[:2]}, &g)
	if g.MemberCount != 3 {
		t.Fatalf("group %+v", g)
	}
	st, body := e.post("/api/v1/admin/groups", adminSecret, server.AdminCreateGroupReq{OwnerUserID: mustSelfID(t, c), Name: "big", MemberUserIDs: ids})
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)
}

// Page sizes: negative is invalid_argument, too large is capped.
func TestPageSizes(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.RateLimit, c.RateBurst = 1e6, 1e6
		c.UserRateLimit, c.UserRateBurst = 1e6, 1e6
	})
	me, tok := e.register("pager")
	c := e.dial(tok)
	c.wantError(protocol.ReqSync, protocol.SyncReq{Limit: -1}, protocol.CodeInvalidArgument)
	c.wantError(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: protocol.SingleConversationID(me, me), FromSeq: 1, Limit: -1}}}, protocol.CodeInvalidArgument)
	c.wantError(protocol.ReqPull, protocol.PullReq{Ranges: make([]protocol.SeqRange, protocol.MaxPullRanges+1)}, protocol.CodeInvalidArgument)
	c.wantError(protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: make([]string, protocol.MaxGetUsers+1)}, protocol.CodeInvalidArgument)
	conv := protocol.SingleConversationID(me, me)
	var acks []<-chan *protocol.Frame
	for i := range protocol.MaxPullLimit + 3 {
		acks = append(acks, c.request(protocol.ReqSend, protocol.SendReq{ClientMsgID: fmt.Sprint(i), RecvID: me, ContentType: protocol.ContentText, Content: text("x")}))
	}
	for _, ch := range acks {
		if f := c.await(ch); f.Error != nil {
			t.Fatalf("send: %v", f.Error)
		}
	}
	var pr protocol.PullResp
	c.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1, Limit: 1 << 30, Latest: true}}}, &pr)
	if len(pr.Messages) != protocol.MaxPullLimit {
		t.Fatalf("pull with a huge limit returned %d, want the cap %d", len(pr.Messages), protocol.MaxPullLimit)
	}
	var sr protocol.SyncResp
	c.do(protocol.ReqSync, protocol.SyncReq{Limit: 1 << 30}, &sr)
	if len(sr.Conversations) != 1 {
		t.Fatalf("sync %+v", sr)
	}
}

// Smaller pages set by the operator are honoured; the client continues.
func TestConfiguredPageSizes(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.MaxSyncPage = 2
		c.MaxPullPage = 3
	})
	me, tok := e.register("pages")
	var others []string
	for _, u := range []string{"one", "two", "three"} {
		id, _ := e.register(u)
		others = append(others, id)
	}
	c := e.dial(tok)
	for i, id := range others {
		c.sendText(fmt.Sprint("m", i), id, "", "hi")
	}
	for i := range 4 {
		c.sendText(fmt.Sprint("self", i), me, "", "note")
	}
	var sr protocol.SyncResp
	c.do(protocol.ReqSync, protocol.SyncReq{Limit: 100}, &sr)
	if len(sr.Conversations) != 2 || !sr.HasMore {
		t.Fatalf("first sync page: %d conversations, hasMore %v", len(sr.Conversations), sr.HasMore)
	}
	c.do(protocol.ReqSync, protocol.SyncReq{Cursor: sr.Cursor, Limit: 100}, &sr)
	if len(sr.Conversations) != 2 || sr.HasMore {
		t.Fatalf("second sync page: %d conversations, hasMore %v", len(sr.Conversations), sr.HasMore)
	}
	var pr protocol.PullResp
	c.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: protocol.SingleConversationID(me, me), FromSeq: 1, Limit: 100}}}, &pr)
	if len(pr.Messages) != 3 || pr.Messages[2].Seq != 3 {
		t.Fatalf("pull page: %+v", pr.Messages)
	}
}

// Reconnecting does not renew a user's request budget: the limiter
// outlives the user's last connection.
func TestUserRateLimitSurvivesReconnect(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.UserRateLimit = 0.001 // no refill during the test
		c.UserRateBurst = 3
		c.MaxConnsPerUser = 1
	})
	_, tok := e.register("hopper")
	_, otherTok := e.register("other")
	c := e.dial(tok)
	for range 3 {
		c.do(protocol.ReqGetSelf, nil, nil)
	}
	c.wantError(protocol.ReqGetSelf, nil, protocol.CodeRateLimited)
	require.NoError(t, c.ws.Close())
	// With one connection allowed, the next is accepted only once the
	// server has let the first go.
	c = e.dialUntil(t, tok)
	f := c.call(protocol.ReqGetSelf, nil)
	require.NotNil(t, f.Error, "a reconnect bought a fresh burst: %s", f.Data)
	assert.Equal(t, protocol.CodeRateLimited, f.Error.Code)
	e.dial(otherTok).do(protocol.ReqGetSelf, nil, nil)
}

// wantDialRefused dials and checks the handshake is refused with 429
// rate_limited.
func wantDialRefused(t *testing.T, e *env, token string) {
	t.Helper()
	c, resp, err := e.tryDial(token, nil)
	if c != nil {
		c.ws.Close()
	}
	require.Error(t, err, "handshake accepted")
	require.NotNil(t, resp)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	var eb protocol.ErrorBody
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&eb))
	assert.Equal(t, protocol.CodeRateLimited, eb.Error.Code)
}

// Handshakes are limited per user: reconnecting in a loop is refused
// beyond the burst, while other users connect as usual.
func TestHandshakesPerUserAreLimited(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.HandshakeRatePerUser = 0.001 // no refill during the test
		c.HandshakeBurstPerUser = 2
	})
	_, tok := e.register("looper")
	_, otherTok := e.register("other")
	for range 2 {
		c := e.dial(tok)
		c.ping()
		require.NoError(t, c.ws.Close())
	}
	wantDialRefused(t, e, tok)
	e.dial(otherTok).ping()
}

// Handshakes are limited per client IP, before the token is looked at: a
// burst of failed handshakes uses up the address's allowance.
func TestHandshakesPerIPAreLimited(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.HandshakeRatePerIP = 0.001
		c.HandshakeBurstPerIP = 3
	})
	_, tok := e.register("crowd")
	for range 2 {
		_, resp, err := e.tryDial("p1.e30.AAAA", nil)
		require.Error(t, err)
		require.NotNil(t, resp)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		resp.Body.Close()
	}
	e.dial(tok).ping()
	// All from 127.0.0.1: the fourth is refused whoever it is.
	wantDialRefused(t, e, tok)
	st, body := e.get(protocol.WSPath+"?token=garbage", nil)
	wantHTTPError(t, st, body, http.StatusTooManyRequests, protocol.CodeRateLimited)
}
