package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
	"parley/server/webhook"
)

const hookSecret = "test-webhook-secret"

// hook is one webhook request the receiver verified.
type hook struct {
	Event, Delivery string
	Body            []byte
	ID              string          `json:"id"`
	Kind            string          `json:"event"`
	Data            json.RawMessage `json:"data"`
}

// receiver is an application's backend: a real HTTP server that checks
// every webhook's signature and answers as answer says.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	got chan hook

	mu sync.Mutex
	// answer decides the status, body and delay of the answer; nil is 200 "".
	answer func(h hook) (status int, body string, delay time.Duration)
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t, got: make(chan hook, 256)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if !assert.NoError(rc.t, err) {
		return
	}
	if err := webhook.Verify(r.Header, []byte(hookSecret), time.Now(), body); err != nil {
		rc.t.Errorf("webhook %s: %v", r.Header.Get(webhook.HeaderEvent), err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	h := hook{Event: r.Header.Get(webhook.HeaderEvent), Delivery: r.Header.Get(webhook.HeaderDelivery), Body: body}
	if !assert.NoError(rc.t, json.Unmarshal(body, &h)) {
		return
	}
	assert.Equal(rc.t, h.Event, h.Kind, "header and body name the same event")
	assert.Equal(rc.t, h.Delivery, h.ID, "the delivery header is the body's id")
	assert.Equal(rc.t, http.MethodPost, r.Method)
	rc.got <- h
	rc.mu.Lock()
	answer := rc.answer
	rc.mu.Unlock()
	status, reply, delay := http.StatusOK, "", time.Duration(0)
	if answer != nil {
		status, reply, delay = answer(h)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(status)
	io.WriteString(w, reply)
}

func (rc *receiver) setAnswer(f func(h hook) (int, string, time.Duration)) {
	rc.mu.Lock()
	rc.answer = f
	rc.mu.Unlock()
}

// next returns the next request for event, skipping others.
func (rc *receiver) next(event string) hook {
	rc.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case h := <-rc.got:
			if h.Event == event {
				return h
			}
		case <-deadline:
			rc.t.Fatalf("no %s webhook", event)
		}
	}
}

func webhookEnv(t *testing.T, rc *receiver, mod func(*server.WebhookConfig)) *env {
	return newEnv(t, func(c *server.Config) {
		c.Webhook = server.WebhookConfig{URL: rc.srv.URL, Secret: hookSecret, Timeout: 300 * time.Millisecond,
			BeforeSendTimeout: 300 * time.Millisecond, OfflinePushWindow: 200 * time.Millisecond}
		if mod != nil {
			mod(&c.Webhook)
		}
	})
}

// metric returns the value of one sample of /metrics, 0 when absent.
func (e *env) metric(name string) float64 {
	e.t.Helper()
	_, body := e.get("/metrics", nil)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(e.t, err)
	return v
}

func TestWebhookConfigRefused(t *testing.T) {
	for name, wc := range map[string]server.WebhookConfig{
		"no secret":      {URL: "http://127.0.0.1:1/"},
		"unknown policy": {URL: "http://127.0.0.1:1/", Secret: "s", FailurePolicy: "maybe"},
		"unknown event":  {URL: "http://127.0.0.1:1/", Secret: "s", Events: []string{"afterEverything"}},
	} {
		_, err := server.New(t.Context(), server.Config{AdminSecret: "x", Webhook: wc})
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), "webhook", name)
		}
	}
}

func TestWebhookBeforeSend(t *testing.T) {
	rc := newReceiver(t)
	// The backend decides by the message's text.
	rc.setAnswer(func(h hook) (int, string, time.Duration) {
		if h.Event != server.EventBeforeSendMessage {
			return 200, "", 0
		}
		var d server.BeforeSendData
		require.NoError(t, json.Unmarshal(h.Data, &d))
		var c protocol.TextContent
		require.NoError(t, json.Unmarshal(d.Content, &c))
		switch c.Text {
		case "reject":
			return 200, `{"action":"reject","code":"spam_detected","message":"no spam"}`, 0
		case "reject retryable":
			return 200, `{"action":"reject","code":"rate_limited"}`, 0
		case "replace":
			return 200, `{"action":"replace","content":{"text":"*** censored"}}`, 0
		case "replace badly":
			return 200, `{"action":"replace","content":{"text":""}}`, 0
		case "boom":
			return 500, "", 0
		case "slow":
			return 200, "", 2 * time.Second
		case "garbage":
			return 200, `{"action":`, 0
		}
		return 200, `{"action":"allow"}`, 0
	})
	e := webhookEnv(t, rc, nil)
	alice, bob := e.dial(e.adminUser("alice")), e.dial(e.adminUser("bob"))

	send := func(id, text string) *protocol.Frame {
		return alice.call(protocol.ReqSend, protocol.SendReq{ClientMsgID: id, RecvID: "bob", ContentType: protocol.ContentText, Content: textContent(text)})
	}
	wantCode := func(f *protocol.Frame, code protocol.Code) {
		t.Helper()
		require.NotNil(t, f.Error, "want %s", code)
		assert.Equal(t, code, f.Error.Code)
	}

	f := send("m1", "hello")
	require.Nil(t, f.Error)
	h := rc.next(server.EventBeforeSendMessage)
	var d server.BeforeSendData
	require.NoError(t, json.Unmarshal(h.Data, &d))
	assert.Equal(t, server.BeforeSendData{SendID: "alice", RecvID: "bob", ConversationID: "si_alice_bob", ClientMsgID: "m1",
		ContentType: protocol.ContentText, Content: d.Content}, d)
	assert.Equal(t, "hello", summary(decode[protocol.Message](t, bob.push(protocol.PushMessage))))

	wantCode(send("m2", "reject"), "spam_detected")
	assert.Contains(t, send("m2b", "reject").Error.Message, "no spam")
	wantCode(send("m3", "reject retryable"), protocol.CodeMessageRejected)
	wantCode(send("m4", "replace badly"), protocol.CodeMessageRejected)

	require.Nil(t, send("m5", "replace").Error)
	m := decode[protocol.Message](t, bob.push(protocol.PushMessage))
	assert.Equal(t, "m5", m.ClientMsgID)
	assert.Equal(t, "*** censored", summary(m), "the backend's content is what is stored and delivered")

	// The backend down (500, no answer in time, an unreadable answer):
	// the default policy allows, and says so in /metrics.
	for i, text := range []string{"boom", "slow", "garbage"} {
		require.Nil(t, send("p"+strconv.Itoa(i), text).Error, text)
		assert.Equal(t, text, summary(decode[protocol.Message](t, bob.push(protocol.PushMessage))))
	}
	assert.Equal(t, 3.0, e.metric(`parley_webhook_before_send_total{decision="policy_allow"}`))
	assert.Equal(t, 4.0, e.metric(`parley_webhook_before_send_total{decision="reject"}`))
	assert.Equal(t, 1.0, e.metric(`parley_webhook_before_send_total{decision="replace"}`))
	assert.Equal(t, 2.0, e.metric(`parley_webhook_failed_total{event="beforeSendMessage"}`), "the 500 and the timeout")

	// With the reject policy, the same failures refuse the send with a
	// temporary code: the SDK keeps it queued and tries again.
	e2 := webhookEnv(t, rc, func(c *server.WebhookConfig) { c.FailurePolicy = server.WebhookReject })
	carol := e2.dial(e2.adminUser("carol"))
	e2.adminUser("dan")
	for i, text := range []string{"boom", "slow"} {
		f := carol.call(protocol.ReqSend, protocol.SendReq{ClientMsgID: "r" + strconv.Itoa(i), RecvID: "dan", ContentType: protocol.ContentText, Content: textContent(text)})
		wantCode(f, protocol.CodeUnavailable)
	}
	assert.Equal(t, 2.0, e2.metric(`parley_webhook_before_send_total{decision="policy_reject"}`))
}

func textContent(s string) json.RawMessage {
	b, _ := json.Marshal(protocol.TextContent{Text: s})
	return b
}

func TestWebhookEvents(t *testing.T) {
	rc := newReceiver(t)
	// A window the burst and the restart fall into.
	e := webhookEnv(t, rc, func(c *server.WebhookConfig) { c.OfflinePushWindow = 2 * time.Second })
	aliceTok, bobTok := e.adminUser("alice"), e.adminUser("bob")
	alice := e.dial(aliceTok)
	on := rc.next(server.EventUserOnline)
	assert.JSONEq(t, `{"userID":"alice","platform":"web"}`, string(on.Data))

	bob := e.dial(bobTok)
	rc.next(server.EventUserOnline)
	alice.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: "bob"}, nil)
	bob.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: "alice"}, nil)
	fa := rc.next(server.EventFriendAdded)
	assert.JSONEq(t, `{"userID":"bob","friendUserID":"alice"}`, string(fa.Data))

	var g protocol.Group
	alice.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "Team", MemberUserIDs: []string{"bob"}}, &g)
	gc := rc.next(server.EventGroupChanged)
	var gd server.GroupChangedData
	require.NoError(t, json.Unmarshal(gc.Data, &gd))
	assert.Equal(t, "created", gd.Kind)
	assert.Equal(t, g.GroupID, gd.GroupID)
	assert.Equal(t, []string{"alice", "bob"}, gd.UserIDs)
	bob.do(protocol.ReqQuitGroup, protocol.GroupIDReq{GroupID: g.GroupID}, nil)
	gc = rc.next(server.EventGroupChanged)
	require.NoError(t, json.Unmarshal(gc.Data, &gd))
	assert.Equal(t, "memberRemoved", gd.Kind)
	assert.Equal(t, []string{"bob"}, gd.UserIDs)

	resp := alice.sendText("c1", "bob", "", "to online bob")
	as := rc.next(server.EventAfterSendMessage)
	var m protocol.Message
	require.NoError(t, json.Unmarshal(as.Data, &m))
	assert.Equal(t, resp.ServerMsgID, m.ServerMsgID)
	assert.Equal(t, resp.Seq, m.Seq)
	assert.Equal(t, "to online bob", summary(m))

	// Bob goes offline: a burst to him becomes one offlinePush, queued in
	// the store when the window ends, or when the server stops (and sent
	// when it starts again).
	bob.ws.Close()
	off := rc.next(server.EventUserOffline)
	assert.JSONEq(t, `{"userID":"bob","platform":"web"}`, string(off.Data))
	for i := range 3 {
		alice.sendText("o"+strconv.Itoa(i), "bob", "", "while away "+strconv.Itoa(i))
	}
	alice.ws.Close()
	e.shutdown()
	rc.setAnswer(nil)
	e.start()
	push := rc.next(server.EventOfflinePush)
	var pd server.OfflinePushData
	require.NoError(t, json.Unmarshal(push.Data, &pd))
	assert.Equal(t, "bob", pd.RecipientUserID)
	assert.Equal(t, 3, pd.Count)
	assert.Equal(t, int64(4), pd.Badge, "bob has read none of alice's four messages")
	require.Len(t, pd.Messages, 3)
	for i, pm := range pd.Messages {
		assert.Equal(t, "si_alice_bob", pm.ConversationID)
		assert.Equal(t, "alice", pm.SendID)
		assert.Equal(t, "N alice", pm.SenderNickname)
		assert.Equal(t, "while away "+strconv.Itoa(i), pm.Preview)
	}
	// One push for the burst, none for alice (online, and the sender):
	// the queue holds nothing more.
	e.shutdown()
	for len(rc.got) > 0 {
		h := <-rc.got
		assert.NotEqual(t, server.EventOfflinePush, h.Event, "unexpected push: %s", h.Body)
	}
}

// TestWebhookRetries: the backend answers 500, then times out, then
// accepts; the same delivery, signed anew, arrives each time.
func TestWebhookRetries(t *testing.T) {
	rc := newReceiver(t)
	var mu sync.Mutex
	attempts := 0
	rc.setAnswer(func(h hook) (int, string, time.Duration) {
		if h.Event != server.EventAfterSendMessage {
			return 200, "", 0
		}
		mu.Lock()
		defer mu.Unlock()
		attempts++
		switch attempts {
		case 1:
			return 500, "", 0
		case 2:
			return 200, "", 2 * time.Second // past the 300ms timeout
		}
		return 200, "", 0
	})
	e := webhookEnv(t, rc, func(c *server.WebhookConfig) { c.Events = []string{server.EventAfterSendMessage} })
	alice := e.dial(e.adminUser("alice"))
	e.adminUser("bob")
	alice.sendText("c1", "bob", "", "retry me")
	first := rc.next(server.EventAfterSendMessage)
	second := rc.next(server.EventAfterSendMessage)
	third := rc.next(server.EventAfterSendMessage)
	assert.Equal(t, first.Delivery, second.Delivery)
	assert.Equal(t, first.Delivery, third.Delivery)
	assert.Equal(t, first.Body, third.Body)
	require.Eventually(t, func() bool {
		return e.metric(`parley_webhook_sent_total{event="afterSendMessage"}`) == 1
	}, waitFor, 20*time.Millisecond)
	assert.Equal(t, 2.0, e.metric(`parley_webhook_failed_total{event="afterSendMessage"}`))
	assert.Equal(t, 3.0, e.metric(`parley_webhook_duration_seconds_count{event="afterSendMessage"}`))
}

// TestWebhookQueueSurvivesRestart: an event the backend did not take
// before the server stopped is delivered by the next start.
func TestWebhookQueueSurvivesRestart(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(h hook) (int, string, time.Duration) { return 503, "", 0 })
	e := webhookEnv(t, rc, func(c *server.WebhookConfig) { c.Events = []string{server.EventAfterSendMessage} })
	alice := e.dial(e.adminUser("alice"))
	e.adminUser("bob")
	alice.sendText("c1", "bob", "", "survive")
	failed := rc.next(server.EventAfterSendMessage)
	alice.ws.Close()
	e.shutdown()

	rc.setAnswer(nil)
	e.start()
	again := rc.next(server.EventAfterSendMessage)
	assert.Equal(t, failed.Delivery, again.Delivery)
	assert.True(t, strings.Contains(string(again.Body), "survive"))
}

// TestWebhookOfflinePushSurvivesRestart: messages to an offline user
// gathered when the server stops inside the batching window come, after
// the next start, as one offlinePush with all of them; a redelivery
// keeps its idempotency key, and nothing more is sent.
func TestWebhookOfflinePushSurvivesRestart(t *testing.T) {
	rc := newReceiver(t)
	e := webhookEnv(t, rc, func(c *server.WebhookConfig) {
		c.Events = []string{server.EventOfflinePush}
		c.OfflinePushWindow = 4 * time.Second
	})
	alice := e.dial(e.adminUser("alice"))
	e.adminUser("bob") // never connects
	for i := range 3 {
		alice.sendText("o"+strconv.Itoa(i), "bob", "", "while away "+strconv.Itoa(i))
	}
	alice.ws.Close()
	e.crash()
	require.Empty(t, rc.got, "the window had not ended: nothing was sent before the crash")

	var mu sync.Mutex
	refused := false
	rc.setAnswer(func(h hook) (int, string, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if !refused {
			refused = true
			return http.StatusServiceUnavailable, "", 0
		}
		return http.StatusOK, "", 0
	})
	e.start()
	first := rc.next(server.EventOfflinePush)
	again := rc.next(server.EventOfflinePush)
	assert.Equal(t, first.Delivery, again.Delivery, "the redelivery keeps its idempotency key")
	var pd server.OfflinePushData
	require.NoError(t, json.Unmarshal(again.Data, &pd))
	assert.Equal(t, "bob", pd.RecipientUserID)
	assert.Equal(t, 3, pd.Count)
	require.Len(t, pd.Messages, 3)
	for i, pm := range pd.Messages {
		assert.Equal(t, "while away "+strconv.Itoa(i), pm.Preview)
	}
	require.Eventually(t, func() bool {
		return e.metric(`parley_webhook_sent_total{event="offlinePush"}`) == 1
	}, waitFor, 20*time.Millisecond)
	e.shutdown()
	assert.Empty(t, rc.got, "one push for the three messages")
}

// TestClusterOfflinePushOnlineElsewhere: a message to a user connected to
// another node is not pushed; once they left, the next one is, alone.
func TestClusterOfflinePushOnlineElsewhere(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	nodes := newCluster(t, 2, func(c *server.Config) {
		c.Webhook = server.WebhookConfig{URL: rc.srv.URL, Secret: hookSecret, Timeout: 300 * time.Millisecond,
			Events: []string{server.EventOfflinePush}, OfflinePushWindow: 200 * time.Millisecond}
	})
	n1, n2 := nodes[0], nodes[1]
	a := n1.dial(n1.adminUser("alice"))
	b := n2.dial(n2.adminUser("bob"))
	// Node 1 knows bob is on node 2 (its hello came at its start).
	if got := a.subscribeStatus("bob"); !got[0].Online {
		assert.Equal(t, userStatus("bob", "web"), a.nextStatus())
	}
	pushOnline := func() float64 {
		const m = "parley_webhook_offline_push_online_total"
		return n1.metric(m) + n2.metric(m)
	}

	a.sendText("c1", "bob", "", "while bob is on node 2")
	assert.Equal(t, "while bob is on node 2", summary(nextMessage(b)))
	require.Eventually(t, func() bool { return pushOnline() == 1 }, waitFor, 20*time.Millisecond,
		"the batch ends unsent, on whichever node took it")

	b.ws.Close()
	assert.Equal(t, userStatus("bob"), a.nextStatus())
	a.sendText("c2", "bob", "", "after bob left")
	var pd server.OfflinePushData
	require.NoError(t, json.Unmarshal(rc.next(server.EventOfflinePush).Data, &pd))
	assert.Equal(t, 1, pd.Count)
	require.Len(t, pd.Messages, 1)
	assert.Equal(t, "after bob left", pd.Messages[0].Preview)
	assert.Empty(t, rc.got, "no push for the message bob received")
}

// crash stops the server as a kill would, for what it keeps: the store
// is closed under it first, so nothing the server holds in memory reaches
// the store or the network any more.
func (e *env) crash() {
	e.t.Helper()
	e.hs.CloseClientConnections()
	e.hs.Close()
	require.NoError(e.t, closeBackends(e.cfg))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_ = e.srv.Shutdown(ctx) // fails on the closed store: as a kill, it saves nothing
	e.cfg.Store, e.cfg.Bus = nil, nil
	e.down.Store(true)
}

func summary(m protocol.Message) string { return protocol.ContentSummary(m.ContentType, m.Content) }

// TestWebhookOfflinePushMuted: a conversation the recipient muted comes
// in the offlinePush without a preview and out of the badge, as the SDK
// leaves it out of the total unread count; the others keep theirs.
func TestWebhookOfflinePushMuted(t *testing.T) {
	rc := newReceiver(t)
	e := webhookEnv(t, rc, func(c *server.WebhookConfig) { c.OfflinePushWindow = 2 * time.Second })
	aliceTok, bobTok, carlTok := e.adminUser("alice"), e.adminUser("bob"), e.adminUser("carl")
	alice, bob, carl := e.dial(aliceTok), e.dial(bobTok), e.dial(carlTok)
	alice.sendText("a0", "bob", "", "hello")
	var st protocol.ConversationState
	bob.do(protocol.ReqSetMuted, protocol.SetMutedReq{ConversationID: "si_alice_bob", IsMuted: true}, &st)
	require.True(t, st.IsMuted)
	bob.ws.Close()
	rc.next(server.EventUserOffline)
	alice.sendText("a1", "bob", "", "muted news")
	carl.sendText("c1", "bob", "", "loud news")
	alice.ws.Close()
	carl.ws.Close()
	e.shutdown() // inside the window: the batch waits in the store
	rc.setAnswer(nil)
	e.start()
	var pd server.OfflinePushData
	require.NoError(t, json.Unmarshal(rc.next(server.EventOfflinePush).Data, &pd))
	assert.Equal(t, "bob", pd.RecipientUserID)
	require.Len(t, pd.Messages, 2)
	previews := map[string]string{}
	for _, m := range pd.Messages {
		previews[m.ConversationID] = m.Preview
	}
	assert.Equal(t, map[string]string{"si_alice_bob": "", "si_bob_carl": "loud news"}, previews)
	assert.Equal(t, int64(1), pd.Badge, "carl's one message; alice's two are muted")
	e.shutdown()
}
