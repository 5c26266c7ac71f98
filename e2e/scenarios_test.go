package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/core"
	"parley/protocol"
	"parley/server"

	"github.com/stretchr/testify/assert"
)

func TestGroupOfThree(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	c := e.device("carol", deviceOpt{})
	a.waitState(core.ConnConnected)
	g, err := a.c.CreateGroup(context.Background(), "Trio", []string{"bob", "carol"})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if g.GroupID == "" || g.Name != "Trio" || g.OwnerUserID != "alice" || g.MemberCount != 3 {
		t.Fatalf("group = %+v", g)
	}
	conv := protocol.GroupConversationID(g.GroupID)
	var want []string
	for i := 0; i < 3; i++ {
		for _, d := range []*device{a, b, c} {
			txt := d.userID + strconv.Itoa(i)
			d.send("", g.GroupID, txt)
			want = append(want, txt)
		}
	}
	for _, d := range []*device{a, b, c} {
		d.waitNew(6)
		checkOnce(t, d.userID, d.newMessages())
		h := d.history(conv)
		checkDense(t, d.userID, h)
		checkTexts(t, d.userID, h, want)
		gs, err := d.c.JoinedGroupList(context.Background())
		if err != nil || len(gs) != 1 || gs[0].GroupID != g.GroupID {
			t.Errorf("%s: JoinedGroupList = %+v, %v", d.userID, gs, err)
		}
		cv := conversation(t, d, conv)
		if cv.SessionType != protocol.SessionGroup || cv.GroupID != g.GroupID || cv.ShowName != "Trio" {
			t.Errorf("%s: group conversation = %+v", d.userID, cv)
		}
	}
	// c's last message is the latest: unread for nobody who sent after it.
	if cv := conversation(t, a, conv); cv.UnreadCount != 2 {
		t.Errorf("alice unread = %d, want 2 (bob2, carol2)", cv.UnreadCount)
	}
	if cv := conversation(t, c, conv); cv.UnreadCount != 0 {
		t.Errorf("carol unread = %d, want 0", cv.UnreadCount)
	}
}

func TestCatchUpThousand(t *testing.T) {
	const n = 1000
	senders := []string{"alice", "carol", "dave", "erin"}
	e := newEnv(t, nil)
	e.user("bob")
	for _, u := range senders {
		e.user(u)
	}
	b := e.device("bob", deviceOpt{})
	var devs []*device
	for _, u := range senders {
		devs = append(devs, e.device(u, deviceOpt{}))
	}
	g, err := devs[0].c.CreateGroup(context.Background(), "Busy", append([]string{"bob"}, senders[1:]...))
	if err != nil {
		t.Fatal(err)
	}
	conv := protocol.GroupConversationID(g.GroupID)
	devs[0].send("", g.GroupID, "hello")
	b.waitNew(1)
	b.logout()

	// The others write while bob is away, each during an outage of their
	// own, so that every outbox flushes hundreds at once when they return.
	for _, d := range devs {
		d.dial.down.Store(true)
		d.dial.cut()
		d.waitState(core.ConnDisconnected)
	}
	for i := 0; i < n/len(devs); i++ {
		for _, d := range devs {
			d.enqueue("", g.GroupID, d.userID+" "+strconv.Itoa(i))
		}
	}
	start := time.Now()
	for _, d := range devs {
		d.dial.down.Store(false)
	}
	for _, d := range devs {
		d.waitOutboxEmpty()
	}
	t.Logf("%d messages sent in %v", n, time.Since(start))
	start = time.Now()

	// Bob comes back: a new Client on the same storage.
	b2 := e.device("bob", deviceOpt{store: b.store})
	t.Logf("bob caught up in %v", time.Since(start))
	got := b2.newMessages()
	if len(got) != n {
		t.Fatalf("bob announced %d messages after catch-up, want %d", len(got), n)
	}
	checkOnce(t, "bob", got)
	h := b2.history(conv)
	checkDense(t, "bob", h)
	if len(h) != n+1 {
		t.Fatalf("bob's history has %d messages, want %d", len(h), n+1)
	}
	next := map[string]int{}
	for i, m := range got {
		if m.Seq != int64(i+2) || m.ClientMsgID != h[i+1].ClientMsgID {
			t.Fatalf("announced message %d = seq %d, want seq %d", i, m.Seq, i+2)
		}
		// Each sender's messages keep the order they were written in.
		if want := m.SendID + " " + strconv.Itoa(next[m.SendID]); m.Text != want {
			t.Fatalf("message seq %d is %q, want %q", m.Seq, m.Text, want)
		}
		next[m.SendID]++
	}
	if c, _ := b2.c.TotalUnreadCount(context.Background()); c != n+1 {
		t.Errorf("bob total unread = %d, want %d", c, n+1)
	}
	// A live message after the catch-up comes through once.
	devs[1].send("", g.GroupID, "after")
	b2.waitNew(n + 1)
	checkOnce(t, "bob", b2.newMessages())
	if m := b2.newMessages()[n]; m.Text != "after" {
		t.Errorf("last announced = %+v", m)
	}
}

func TestCutInTheMiddleOfSend(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after bool
	}{{"before the frame", false}, {"after the frame", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.user("alice")
			e.user("bob")
			a := e.device("alice", deviceOpt{})
			b := e.device("bob", deviceOpt{})
			a.waitState(core.ConnConnected)
			conv := protocol.SingleConversationID("alice", "bob")
			var cuts atomic.Int64
			a.dial.mu.Lock()
			a.dial.onWrite = func(p []byte) (bool, bool) {
				var f protocol.Frame
				if json.Unmarshal(p, &f) == nil && f.Type == protocol.ReqSend && cuts.Add(1) == 1 {
					return !tc.after, tc.after
				}
				return false, false
			}
			a.dial.mu.Unlock()
			sent := a.send("bob", "", "through the cut")
			if cuts.Load() < 1 {
				t.Fatal("the cut never happened")
			}
			a.send("bob", "", "second")
			b.waitNew(2)
			got := b.newMessages()
			checkOnce(t, "bob", got)
			if len(got) != 2 || got[0].ClientMsgID != sent.ClientMsgID {
				t.Fatalf("bob got %+v", got)
			}
			for _, d := range []*device{a, b} {
				h := d.history(conv)
				checkDense(t, d.userID, h)
				checkTexts(t, d.userID, h, []string{"through the cut", "second"})
			}
			if n := a.outboxLen(); n != 0 {
				t.Errorf("alice outbox holds %d entries", n)
			}
			if a.dial.dials.Load() < 2 {
				t.Errorf("alice dialed %d times; the cut should force a reconnect", a.dial.dials.Load())
			}
		})
	}
}

func TestOutboxSurvivesReload(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	b := e.device("bob", deviceOpt{})
	b.waitState(core.ConnConnected)

	// Alice writes while the server is unreachable, then reloads.
	a := e.device("alice", deviceOpt{down: true})
	var want []string
	for i := 0; i < 5; i++ {
		txt := "offline" + strconv.Itoa(i)
		a.enqueue("bob", "", txt)
		want = append(want, txt)
	}
	if n := a.outboxLen(); n != 5 {
		t.Fatalf("outbox holds %d, want 5", n)
	}
	a.logout()
	a2 := e.device("alice", deviceOpt{store: a.store})
	b.waitNew(5)
	got := b.newMessages()
	checkOnce(t, "bob", got)
	checkTexts(t, "bob", got, want)
	conv := protocol.SingleConversationID("alice", "bob")
	a2.waitOutboxEmpty()
	h := a2.history(conv)
	checkDense(t, "alice", h)
	checkTexts(t, "alice", h, want)
	// Nothing more arrives: a second reload sends nothing again.
	a2.logout()
	a3 := e.device("alice", deviceOpt{store: a.store})
	a3.waitState(core.ConnConnected)
	a3.send("bob", "", "last")
	b.waitNew(6)
	checkOnce(t, "bob", b.newMessages())
	if got := b.newMessages(); len(got) != 6 || got[5].Text != "last" {
		t.Fatalf("bob got %d messages, last %+v", len(got), got[len(got)-1])
	}
}

func TestTwoDevicesAgree(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	web := e.device("alice", deviceOpt{platform: protocol.PlatformWeb})
	desk := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	web.waitState(core.ConnConnected)
	desk.waitState(core.ConnConnected)
	conv := protocol.SingleConversationID("alice", "bob")
	for i := 0; i < 3; i++ {
		b.send("alice", "", "b"+strconv.Itoa(i))
	}
	for _, d := range []*device{web, desk} {
		d.waitNew(3)
		d.waitFor("3 unread", func() bool { return d.total == 3 })
	}
	if err := desk.c.MarkConversationAsRead(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	web.waitFor("read on the other device", func() bool { return web.total == 0 })
	if cv := conversation(t, web, conv); cv.UnreadCount != 0 {
		t.Errorf("web unread = %d", cv.UnreadCount)
	}
	web.send("bob", "", "from web")
	desk.waitNew(4)
	if got := desk.newMessages(); got[3].Text != "from web" || got[3].SendID != "alice" {
		t.Errorf("desktop got %+v", got[3])
	}
	b.waitNew(1)
	desk.send("bob", "", "from desk")
	web.waitNew(4)
	b.waitNew(2)
	hw, hd := web.history(conv), desk.history(conv)
	checkDense(t, "web", hw)
	if len(hw) != 5 || len(hd) != 5 {
		t.Fatalf("histories: web %d, desktop %d", len(hw), len(hd))
	}
	for i := range hw {
		if hw[i].ClientMsgID != hd[i].ClientMsgID || hw[i].Seq != hd[i].Seq || hw[i].Text != hd[i].Text {
			t.Errorf("message %d differs: %+v vs %+v", i, hw[i], hd[i])
		}
	}
	for _, d := range []*device{web, desk} {
		checkOnce(t, d.userID, d.newMessages())
		if cv := conversation(t, d, conv); cv.UnreadCount != 0 || cv.ReadSeq != 5 {
			t.Errorf("%s: unread %d readSeq %d", d.c.LoginUserID(), cv.UnreadCount, cv.ReadSeq)
		}
	}
}

func TestRevokedToken(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	tok := e.token("alice", protocol.PlatformWeb)
	a := e.device("alice", deviceOpt{token: tok})
	a.waitState(core.ConnConnected)
	if err := e.post("/api/v1/auth/revoke-all", tok, struct{}{}, nil); err != nil {
		t.Fatalf("revoke-all: %v", err)
	}
	a.waitState(core.ConnTokenExpired)
	dials := a.dial.dials.Load()
	// A reconnect loop would dial every 10-100 ms; give it a few rounds.
	time.Sleep(500 * time.Millisecond)
	if got := a.dial.dials.Load(); got != dials {
		t.Errorf("dialed %d more times after tokenExpired", got-dials)
	}
	if _, err := a.c.SetSelfInfo(context.Background(), core.SelfInfoUpdate{}); protocol.CodeOf(err) != protocol.CodeTokenExpired {
		t.Errorf("request after tokenExpired: err = %v, want token_expired", err)
	}

	// A new login with the revoked token: refused at the handshake, once.
	a.logout()
	a2 := e.device("alice", deviceOpt{token: tok, store: a.store, noWait: true})
	a2.waitState(core.ConnTokenExpired)
	time.Sleep(300 * time.Millisecond)
	if got := a2.dial.dials.Load(); got != 1 {
		t.Errorf("dialed %d times with a revoked token, want 1", got)
	}
	states := a2.statesCopy()
	if !reflect.DeepEqual(states, []core.ConnState{core.ConnConnecting, core.ConnTokenExpired}) {
		t.Errorf("states = %v", states)
	}
}

func TestRateLimitedSendsArePaced(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.RateLimit, c.RateBurst = 40, 5 })
	e.user("alice")
	e.user("bob")
	e.user("carol")
	b := e.device("bob", deviceOpt{})
	c := e.device("carol", deviceOpt{})
	a := e.device("alice", deviceOpt{down: true})
	const n = 40 // per conversation, interleaved
	var toBob, toCarol []string
	for i := 0; i < n; i++ {
		txt := "burst" + strconv.Itoa(i)
		a.enqueue("bob", "", txt)
		toBob = append(toBob, txt)
		a.enqueue("carol", "", txt)
		toCarol = append(toCarol, txt)
	}
	a.dial.down.Store(false)
	for _, r := range []struct {
		d    *device
		want []string
	}{{b, toBob}, {c, toCarol}} {
		r.d.waitNew(n)
		got := r.d.newMessages()
		checkOnce(t, r.d.userID, got)
		checkTexts(t, r.d.userID, got, r.want)
	}
	a.waitOutboxEmpty()
	for _, peer := range []string{"bob", "carol"} {
		h := a.history(protocol.SingleConversationID("alice", peer))
		checkDense(t, "alice", h)
		if len(h) != n {
			t.Fatalf("alice's history with %s has %d", peer, len(h))
		}
	}
	checkConvEvents(t, a)
	checkConvEvents(t, b)
}

// TestOutboxFlushWithDefaultLimits: more sends than the server's default
// per-connection burst (200) wait in the outbox during an outage; after
// the reconnect every one is stored once, in order, and none fails,
// although the flush may run into rate_limited (docs/limits.md). Whether
// the defaults are reached depends on the machine's speed, so a second run
// with a low limit makes sure the flush is refused and paces itself.
func TestOutboxFlushWithDefaultLimits(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		flushUnderLimits(t, func(c *server.Config) { c.RateLimit, c.RateBurst = 0, 0 }, false)
	})
	t.Run("low", func(t *testing.T) {
		flushUnderLimits(t, func(c *server.Config) { c.RateLimit, c.RateBurst = 40, 20 }, true)
	})
}

// flushUnderLimits flushes 300 sends queued offline under the limits cfg
// sets; mustPace: the flush must have been refused at least once.
func flushUnderLimits(t *testing.T, cfg func(*server.Config), mustPace bool) {
	e := newEnv(t, cfg)
	peers := []string{"bob", "carol", "dave"}
	const n = 100 // per peer: 300 in all
	e.user("alice")
	var devs []*device
	for _, p := range peers {
		e.user(p)
		devs = append(devs, e.device(p, deviceOpt{}))
	}
	// The SDK logs each refusal it paces for; the count shows the limit
	// was reached, so that the test tests the flush under it.
	var paced atomic.Int64
	counting := func(c *core.Config) {
		c.Logger = slog.New(countingHandler{msg: "send paced", n: &paced})
	}
	a := e.device("alice", deviceOpt{down: true, cfg: counting})
	want := map[string][]string{}
	for i := 0; i < n; i++ {
		for _, p := range peers {
			txt := "flush" + strconv.Itoa(i)
			a.enqueue(p, "", txt)
			want[p] = append(want[p], txt)
		}
	}
	a.dial.down.Store(false)
	for i, d := range devs {
		d.waitNew(n)
		got := d.newMessages()
		checkOnce(t, d.userID, got)
		checkTexts(t, d.userID, got, want[peers[i]])
	}
	a.waitOutboxEmpty()
	for _, p := range peers {
		h := a.history(protocol.SingleConversationID("alice", p))
		if len(h) != n {
			t.Fatalf("alice's history with %s has %d, want %d", p, len(h), n)
		}
		checkDense(t, "alice", h) // every one sent, none failed
	}
	t.Logf("sends paced after rate_limited: %d", paced.Load())
	if mustPace && paced.Load() == 0 {
		t.Errorf("no send was refused as rate_limited: the test did not reach the limit")
	}
}

// countingHandler counts the log records whose message is msg.
type countingHandler struct {
	msg string
	n   *atomic.Int64
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

func TestFriends(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	a.waitState(core.ConnConnected)
	b.waitState(core.ConnConnected)
	ctx := context.Background()
	if err := a.c.AddFriend(ctx, "bob", "hi, it's alice"); err != nil {
		t.Fatalf("AddFriend: %v", err)
	}
	b.waitFor("friend request", func() bool {
		for _, ev := range b.events {
			if fr, ok := ev.(core.FriendRequestReceived); ok && fr.Request.FromUserID == "alice" && fr.Request.Message == "hi, it's alice" {
				return true
			}
		}
		return false
	})
	reqs, err := b.c.FriendRequests(ctx)
	if err != nil || len(reqs) != 1 || reqs[0].FromUserID != "alice" || reqs[0].State != protocol.FriendRequestPending {
		t.Fatalf("FriendRequests = %+v, %v", reqs, err)
	}
	if err := b.c.AcceptFriendRequest(ctx, "alice"); err != nil {
		t.Fatalf("AcceptFriendRequest: %v", err)
	}
	a.waitFor("friend added", func() bool {
		for _, ev := range a.events {
			if fa, ok := ev.(core.FriendAdded); ok && fa.User.UserID == "bob" {
				return true
			}
		}
		return false
	})
	for _, tc := range []struct {
		d    *device
		want string
	}{{a, "bob"}, {b, "alice"}} {
		fs, err := tc.d.c.FriendList(ctx)
		if err != nil || !reflect.DeepEqual(sortedIDs(fs), []string{tc.want}) {
			t.Errorf("%s: FriendList = %+v, %v", tc.d.userID, fs, err)
		}
	}
	// Profiles: self, others, and a change.
	nick := "Alice A."
	u, err := a.c.SetSelfInfo(ctx, core.SelfInfoUpdate{Nickname: &nick})
	if err != nil || u.Nickname != nick {
		t.Fatalf("SetSelfInfo = %+v, %v", u, err)
	}
	if self, err := a.c.SelfInfo(ctx); err != nil || self.Nickname != nick || self.UserID != "alice" {
		t.Errorf("SelfInfo = %+v, %v", self, err)
	}
	us, err := b.c.UsersInfo(ctx, []string{"alice"})
	if err != nil || len(us) != 1 || us[0].Nickname != nick {
		t.Errorf("UsersInfo = %+v, %v", us, err)
	}
	// Offline, the stored friend list still serves.
	a.dial.down.Store(true)
	a.dial.cut()
	a.waitState(core.ConnDisconnected)
	if fs, err := a.c.FriendList(ctx); err != nil || !reflect.DeepEqual(sortedIDs(fs), []string{"bob"}) {
		t.Errorf("offline FriendList = %+v, %v", fs, err)
	}
}

func TestServerRestart(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	a.send("bob", "", "before")
	b.waitNew(1)

	// The server goes away; alice keeps writing.
	e.stop()
	a.waitState(core.ConnDisconnected)
	want := []string{"before"}
	for i := 0; i < 3; i++ {
		txt := "during" + strconv.Itoa(i)
		a.enqueue("bob", "", txt)
		want = append(want, txt)
	}
	// It comes back on the same address with the same data.
	e.restart(nil)
	b.waitNew(4)
	a.send("bob", "", "after")
	want = append(want, "after")
	b.waitNew(5)
	got := b.newMessages()
	checkOnce(t, "bob", got)
	checkTexts(t, "bob", got, want)
	conv := protocol.SingleConversationID("alice", "bob")
	for _, d := range []*device{a, b} {
		h := d.history(conv)
		checkDense(t, d.userID, h)
		checkTexts(t, d.userID, h, want)
	}
}

func TestReadOfflineReachesOtherDevice(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	web := e.device("alice", deviceOpt{platform: protocol.PlatformWeb})
	desk := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	conv := protocol.SingleConversationID("alice", "bob")
	b.send("alice", "", "one")
	web.waitNew(1)
	desk.waitNew(1)
	// The desktop goes offline, and reads there.
	desk.dial.down.Store(true)
	desk.dial.cut()
	desk.waitState(core.ConnDisconnected)
	b.send("alice", "", "two")
	web.waitNew(2)
	if err := desk.c.MarkConversationAsRead(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	if cv := conversation(t, desk, conv); cv.UnreadCount != 0 {
		t.Errorf("desktop unread after local read = %d", cv.UnreadCount)
	}
	web.waitFor("2 unread on web", func() bool { return web.total == 2 })
	// Back online, the desktop catches up ("two") and its read reaches web:
	// it had read only "one" (what it held), so "two" stays unread.
	desk.dial.down.Store(false)
	desk.waitNew(2)
	web.waitFor("web sees the desktop's read", func() bool { return web.total == 1 })
	desk.waitFor("desktop counts the new one", func() bool { return desk.total == 1 })

	// Read offline in a conversation that does not change on the server
	// meanwhile: no sync page carries it, and the read still gets through.
	// A reconnect first, so that the desktop's cursor covers every change.
	finishes := func() int {
		n := 0
		for _, ev := range desk.events {
			if sp, ok := ev.(core.SyncProgressed); ok && sp.Phase == core.SyncFinish && sp.Err == "" {
				n++
			}
		}
		return n
	}
	desk.mu.Lock()
	before := finishes()
	desk.mu.Unlock()
	desk.dial.cut()
	desk.waitFor("a reconnect and its sync", func() bool { return finishes() > before })
	desk.dial.down.Store(true)
	desk.dial.cut()
	desk.waitFor("offline again", func() bool {
		return len(desk.states) > 0 && desk.states[len(desk.states)-1] != core.ConnConnected
	})
	if err := desk.c.MarkConversationAsRead(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	desk.dial.down.Store(false)
	web.waitFor("web sees the second offline read", func() bool { return web.total == 0 })
	if cv := conversation(t, web, conv); cv.UnreadCount != 0 || cv.ReadSeq != 2 {
		t.Errorf("web: unread %d readSeq %d", cv.UnreadCount, cv.ReadSeq)
	}
}

func TestFreshDeviceReadsHistoryFromServer(t *testing.T) {
	const n = 130
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	var want []string
	for i := 0; i < n; i++ {
		txt := "h" + strconv.Itoa(i)
		a.enqueue("bob", "", txt)
		want = append(want, txt)
	}
	a.waitOutboxEmpty()

	// Bob's first login anywhere: the conversation list is there at once,
	// older messages come through history, and none of it is "new".
	b := e.device("bob", deviceOpt{})
	conv := protocol.SingleConversationID("alice", "bob")
	cv := conversation(t, b, conv)
	if cv.UnreadCount != n || cv.LatestMessage == nil || cv.LatestMessage.Text != want[n-1] {
		t.Fatalf("conversation after first sync = %+v", cv)
	}
	h := b.history(conv)
	checkDense(t, "bob", h)
	checkTexts(t, "bob", h, want)
	if got := b.newMessages(); len(got) != 0 {
		t.Errorf("first sync announced %d messages as new", len(got))
	}
	// Pages are continuous and end with isEnd.
	ctx := context.Background()
	page, err := b.c.HistoryMessages(ctx, conv, 0, 50)
	if err != nil || len(page.Messages) != 50 || page.Messages[49].Seq != n || page.IsEnd {
		t.Fatalf("latest page = %d messages, isEnd %v, %v", len(page.Messages), page.IsEnd, err)
	}
	page, err = b.c.HistoryMessages(ctx, conv, 31, 50)
	if err != nil || len(page.Messages) != 30 || page.Messages[0].Seq != 1 || !page.IsEnd {
		t.Fatalf("first page = %d messages, isEnd %v, %v", len(page.Messages), page.IsEnd, err)
	}
	if err := b.c.MarkConversationAsRead(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.c.TotalUnreadCount(ctx); n != 0 {
		t.Errorf("unread after reading = %d", n)
	}
	checkConvEvents(t, b)
	checkConvEvents(t, a)
}

// checkConvEvents fails if conversationsChanged ever showed an older latest
// message after a newer one.
func checkConvEvents(t *testing.T, d *device) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	last := map[string]int64{}
	for _, ev := range d.events {
		cc, ok := ev.(core.ConversationsChanged)
		if !ok {
			continue
		}
		for _, cv := range cc.Conversations {
			if cv.LatestMessage == nil {
				continue
			}
			if cv.LatestMessage.Seq < last[cv.ConversationID] {
				t.Errorf("%s: conversationsChanged went back from seq %d to %d", d.userID, last[cv.ConversationID], cv.LatestMessage.Seq)
			}
			last[cv.ConversationID] = cv.LatestMessage.Seq
		}
	}
}

func TestPinAndDraftFollowTheUser(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol"} {
		e.user(u)
	}
	web := e.device("alice", deviceOpt{platform: protocol.PlatformWeb})
	desk := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	c := e.device("carol", deviceOpt{})
	b.send("alice", "", "from bob")
	c.send("alice", "", "from carol") // newer: carol's conversation comes first
	web.waitNew(2)
	desk.waitNew(2)
	ctx := context.Background()
	withBob := protocol.SingleConversationID("alice", "bob")
	withCarol := protocol.SingleConversationID("alice", "carol")
	order := func(d *device) []string {
		list, err := d.c.ConversationList(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, cv := range list {
			ids = append(ids, cv.ConversationID)
		}
		return ids
	}
	if got := order(web); !reflect.DeepEqual(got, []string{withCarol, withBob}) {
		t.Fatalf("order = %v, want newest first", got)
	}
	if err := desk.c.SetConversationPinned(ctx, withBob, true); err != nil {
		t.Fatal(err)
	}
	if err := desk.c.SetConversationDraft(ctx, withCarol, "half a thought"); err != nil {
		t.Fatal(err)
	}
	web.waitFor("pin and draft from the desktop", func() bool {
		pinned, draft := false, false
		for _, ev := range web.events {
			if cc, ok := ev.(core.ConversationsChanged); ok {
				for _, cv := range cc.Conversations {
					pinned = pinned || (cv.ConversationID == withBob && cv.IsPinned)
					draft = draft || (cv.ConversationID == withCarol && cv.DraftText == "half a thought")
				}
			}
		}
		return pinned && draft
	})
	for _, d := range []*device{web, desk} {
		if got := order(d); !reflect.DeepEqual(got, []string{withBob, withCarol}) {
			t.Errorf("order on %s = %v, want pinned first", d.userID, got)
		}
	}
	if list, _ := web.c.ConversationList(ctx, 1, 1); len(list) != 1 || list[0].ConversationID != withCarol || list[0].DraftText != "half a thought" {
		t.Errorf("second page = %+v", list)
	}
}

func TestManyConversations(t *testing.T) {
	const n = protocol.DefaultSyncLimit + 15 // more than one sync page
	e := newEnv(t, nil)
	e.user("hub")
	for i := 0; i < n; i++ {
		e.user("u" + strconv.Itoa(i))
	}
	a := e.device("hub", deviceOpt{platform: protocol.PlatformWeb})
	for i := 0; i < n; i++ {
		a.enqueue("u"+strconv.Itoa(i), "", "hello "+strconv.Itoa(i))
	}
	a.waitOutboxEmpty()

	// A second device of the hub starts from nothing.
	d := e.device("hub", deviceOpt{platform: protocol.PlatformDesktop})
	ctx := context.Background()
	d.waitFor("every conversation listed and named", func() bool {
		list, err := d.c.ConversationList(ctx, 0, 0)
		if err != nil || len(list) != n {
			return false
		}
		for _, cv := range list {
			if !strings.HasPrefix(cv.ShowName, "Nick u") || cv.LatestMessage == nil || cv.UnreadCount != 0 {
				return false
			}
		}
		return true
	})
	list, _ := d.c.ConversationList(ctx, 0, 0)
	// Newest first: the list is ordered by its latest message's send time,
	// and the last message sent heads it. Pipelined sends can share a
	// millisecond, so the last one may tie with those just before it.
	for i := 1; i < len(list); i++ {
		assert.GreaterOrEqual(t, list[i-1].LatestMessage.SendTime, list[i].LatestMessage.SendTime, "list not newest first at %d", i)
	}
	for _, cv := range list {
		if cv.LatestMessage.Text == "hello "+strconv.Itoa(n-1) {
			assert.Equal(t, list[0].LatestMessage.SendTime, cv.LatestMessage.SendTime, "the last message sent is not the newest in the list")
		}
	}
	page, err := d.c.ConversationList(ctx, n-5, 10)
	if err != nil || len(page) != 5 {
		t.Errorf("last page = %d conversations, %v", len(page), err)
	}
}
