package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

func TestNewChecksConfig(t *testing.T) {
	ok := func(context.Context, string) (core.Store, error) { return mem.New(), nil }
	cases := []core.Config{
		{ServerURL: "", OpenStore: ok},
		{ServerURL: "ftp://x", OpenStore: ok},
		{ServerURL: "127.0.0.1:8080", OpenStore: ok},
		{ServerURL: "http://x"},
	}
	for _, cfg := range cases {
		if _, err := core.New(cfg); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
			t.Errorf("New(%+v) err = %v, want invalid_argument", cfg, err)
		}
	}
	if _, err := core.New(core.Config{ServerURL: "https://x/base/", OpenStore: ok}); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
}

func TestNotLoggedIn(t *testing.T) {
	c, _ := newTestClient(t, &fakeServer{}, mem.New(), nil)
	ctx := context.Background()
	calls := map[string]error{}
	_, calls["SelfInfo"] = c.SelfInfo(ctx)
	_, calls["CreateTextMessage"] = c.CreateTextMessage("x")
	_, calls["SendMessage"] = c.SendMessage(ctx, core.Message{ClientMsgID: "a", Text: "x"}, "bob", "")
	_, calls["ConversationList"] = c.ConversationList(ctx, 0, 10)
	_, calls["HistoryMessages"] = c.HistoryMessages(ctx, "si_a_b", 0, 10)
	calls["MarkConversationAsRead"] = c.MarkConversationAsRead(ctx, "si_a_b")
	_, calls["TotalUnreadCount"] = c.TotalUnreadCount(ctx)
	_, calls["FriendList"] = c.FriendList(ctx)
	calls["Logout"] = c.Logout(ctx)
	for name, err := range calls {
		if protocol.CodeOf(err) != protocol.CodeNotLoggedIn {
			t.Errorf("%s: err = %v, want not_logged_in", name, err)
		}
	}
	if c.LoginUserID() != "" {
		t.Errorf("LoginUserID = %q", c.LoginUserID())
	}
}

func TestLoginServesLocalDataOffline(t *testing.T) {
	st := mem.New()
	conv := protocol.SingleConversationID("me", "bob")
	var msgs []core.Message
	for i := int64(1); i <= 5; i++ {
		msgs = append(msgs, core.Message{ClientMsgID: fmt.Sprint("m", i), ConversationID: conv, Seq: i, SendID: "bob",
			RecvID: "me", SessionType: protocol.SessionSingle, ContentType: protocol.ContentText, Text: fmt.Sprint("t", i), Status: core.StatusSent})
	}
	latest := msgs[4]
	cur := int64(9)
	if err := st.Apply(context.Background(), &core.Changes{
		Messages: msgs, Cursor: &cur,
		Users:         []core.User{{UserID: "bob", Nickname: "Bob"}},
		Conversations: []core.Conversation{{ConversationID: conv, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1, MaxSeq: 5, LocalMaxSeq: 5, ReadSeq: 2, UnreadCount: 3, LatestMessage: &latest}},
	}); err != nil {
		t.Fatal(err)
	}
	fs := &fakeServer{dialErr: errors.New("server away")}
	c, rec := newTestClient(t, fs, st, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	list, err := c.ConversationList(ctx, 0, 0)
	if err != nil || len(list) != 1 || list[0].ShowName != "Bob" || list[0].UnreadCount != 3 || list[0].LatestMessage.Text != "t5" {
		t.Fatalf("ConversationList = %+v, %v", list, err)
	}
	if n, _ := c.TotalUnreadCount(ctx); n != 3 {
		t.Errorf("TotalUnreadCount = %d", n)
	}
	h, err := c.HistoryMessages(ctx, conv, 0, 3)
	if err != nil || len(h.Messages) != 3 || h.Messages[0].Seq != 3 || h.IsEnd {
		t.Errorf("HistoryMessages latest = %+v, %v", h, err)
	}
	h, err = c.HistoryMessages(ctx, conv, 3, 10)
	if err != nil || len(h.Messages) != 2 || h.Messages[0].Seq != 1 || !h.IsEnd {
		t.Errorf("HistoryMessages before 3 = %+v, %v", h, err)
	}
	// Friend requests are stored too: offline they come from the store.
	if rs, err := c.FriendRequests(ctx); err != nil || len(rs) != 0 {
		t.Errorf("FriendRequests offline = %v, %v; want the stored (empty) list", rs, err)
	}
	rec.waitFor(t, "disconnected", lastState(core.ConnDisconnected))
	// Marking read offline applies locally at once.
	if err := c.MarkConversationAsRead(ctx, conv); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "total unread 0", func(evs []core.Event) bool {
		for _, ev := range evs {
			if tu, ok := ev.(core.TotalUnreadCountChanged); ok && tu.Count == 0 {
				return true
			}
		}
		return false
	})
	deadline := time.Now().Add(10 * time.Second)
	for fs.dials.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if fs.dials.Load() < 2 {
		t.Errorf("dials = %d; the client should keep trying", fs.dials.Load())
	}
}

func TestHandshakeRefusedMeansTokenExpired(t *testing.T) {
	fs := &fakeServer{dialErr: fmt.Errorf("dial: %w", core.ErrUnauthorized)}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "tokenExpired", lastState(core.ConnTokenExpired))
	if got := rec.states(); len(got) != 2 || got[0] != core.ConnConnecting {
		t.Errorf("states = %v, want [connecting tokenExpired]", got)
	}
	if _, err := c.FriendList(context.Background()); err != nil {
		t.Errorf("local read after tokenExpired: %v", err)
	}
	if err := c.AddFriend(context.Background(), "bob", ""); protocol.CodeOf(err) != protocol.CodeTokenExpired {
		t.Errorf("request after tokenExpired: %v, want token_expired", err)
	}
	if n := fs.dials.Load(); n != 1 {
		t.Errorf("dials = %d, want 1", n)
	}
}

func TestKickedReplaced(t *testing.T) {
	fs := &fakeServer{}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "connected", lastState(core.ConnConnected))
	fs.push(protocol.PushKicked, protocol.Kicked{Reason: "replaced"})
	rec.waitFor(t, "kickedOffline", lastState(core.ConnKickedOffline))
	if c.ConnectionState() != core.ConnKickedOffline {
		t.Errorf("ConnectionState = %s", c.ConnectionState())
	}
	if n := fs.dials.Load(); n != 1 {
		t.Errorf("dials = %d after kick, want 1", n)
	}
	// Logging in again starts over.
	if err := c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Login(context.Background(), "me", "tok2"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "connected again", lastState(core.ConnConnected))
}

func TestHeartbeatTimeoutReconnects(t *testing.T) {
	fs := &fakeServer{}
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		if f.Type == protocol.ReqPing {
			return nil, nil, false
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	c, rec := newTestClient(t, fs, mem.New(), func(cfg *core.Config) { cfg.HeartbeatInterval = 20 * time.Millisecond })
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "a reconnect after a silent heartbeat", func(evs []core.Event) bool {
		n := 0
		for _, ev := range evs {
			if s, ok := ev.(core.ConnectionStateChanged); ok && s.State == core.ConnConnected {
				n++
			}
		}
		return n >= 2
	})
}

func TestSendTimeoutFailsAndResendWorks(t *testing.T) {
	fs := &fakeServer{dialErr: errors.New("server away")}
	c, _ := newTestClient(t, fs, mem.New(), func(cfg *core.Config) { cfg.SendTimeout = 100 * time.Millisecond })
	ctx := context.Background()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	m, err := c.CreateTextMessage("hi")
	if err != nil || m.Status != core.StatusCreated || m.ClientMsgID == "" || m.SendID != "me" {
		t.Fatalf("CreateTextMessage = %+v, %v", m, err)
	}
	_, err = c.SendMessage(ctx, m, "bob", "")
	if protocol.CodeOf(err) != protocol.CodeTimeout {
		t.Fatalf("SendMessage offline past the timeout: %v, want timeout", err)
	}
	h, _ := c.HistoryMessages(ctx, protocol.SingleConversationID("me", "bob"), 0, 10)
	if len(h.Messages) != 0 {
		t.Errorf("failed message listed in history: %+v", h.Messages)
	}
	un, err := c.UnsentMessages(ctx, protocol.SingleConversationID("me", "bob"))
	if err != nil || len(un) != 1 || un[0].Status != core.StatusFailed || un[0].ErrorCode != protocol.CodeTimeout {
		t.Errorf("UnsentMessages = %+v, %v; want the failed message", un, err)
	}
	fs.set(func(s *fakeServer) { s.dialErr = nil })
	sent, err := c.SendMessage(ctx, m, "bob", "")
	if err != nil || sent.Status != core.StatusSent || sent.ClientMsgID != m.ClientMsgID || sent.Seq != 1 {
		t.Fatalf("resend = %+v, %v", sent, err)
	}
	// Sending a sent message again returns it as stored.
	again, err := c.SendMessage(ctx, m, "bob", "")
	if err != nil || again.Seq != 1 || again.ServerMsgID != sent.ServerMsgID {
		t.Errorf("send of a sent message = %+v, %v", again, err)
	}
}

func TestRefusedSendFails(t *testing.T) {
	fs := &fakeServer{}
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		if f.Type == protocol.ReqSend {
			return nil, &protocol.Error{Code: protocol.CodePermissionDenied, Message: "not friends"}, true
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	c, _ := newTestClient(t, fs, mem.New(), nil)
	ctx := context.Background()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	m, _ := c.CreateTextMessage("hi")
	if _, err := c.SendMessage(ctx, m, "bob", ""); protocol.CodeOf(err) != protocol.CodePermissionDenied {
		t.Fatalf("SendMessage = %v, want permission_denied", err)
	}
}

func TestRateLimitedIsRetried(t *testing.T) {
	fs := &fakeServer{}
	refusals := 3
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		if f.Type == protocol.ReqSend && refusals > 0 {
			refusals--
			return nil, &protocol.Error{Code: protocol.CodeRateLimited}, true
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	c, _ := newTestClient(t, fs, mem.New(), nil)
	ctx := context.Background()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	m, _ := c.CreateTextMessage("hi")
	sent, err := c.SendMessage(ctx, m, "bob", "")
	if err != nil || sent.Status != core.StatusSent {
		t.Fatalf("SendMessage = %+v, %v", sent, err)
	}
}

func TestSendMessageChecksArguments(t *testing.T) {
	c, _ := newTestClient(t, &fakeServer{}, mem.New(), nil)
	ctx := context.Background()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	m, _ := c.CreateTextMessage("hi")
	bad := []struct {
		m             core.Message
		recv, groupID string
	}{
		{m, "", ""},
		{m, "bob", "g1"},
		{m, "bad id!", ""},
		{core.Message{Text: "x"}, "bob", ""},
		{core.Message{ClientMsgID: "x"}, "bob", ""},
	}
	for _, b := range bad {
		if _, err := c.SendMessage(ctx, b.m, b.recv, b.groupID); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
			t.Errorf("SendMessage(%+v, %q, %q) = %v, want invalid_argument", b.m, b.recv, b.groupID, err)
		}
	}
	if _, err := c.CreateTextMessage(""); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Errorf("CreateTextMessage(\"\") = %v", err)
	}
	if _, err := c.HistoryMessages(ctx, "nope", 0, 10); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Errorf("HistoryMessages(bad id) = %v", err)
	}
	if err := c.Login(ctx, "me", "tok"); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Errorf("second Login = %v", err)
	}
}

func TestPanickingHandlerIsContained(t *testing.T) {
	fs := &fakeServer{}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	c.On(func(core.Event) { panic("boom") })
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "connected", lastState(core.ConnConnected))
}

func TestRemoveHandler(t *testing.T) {
	fs := &fakeServer{}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	n := 0
	remove := c.On(func(core.Event) { n++ })
	remove()
	remove()
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "connected", lastState(core.ConnConnected))
	c.WaitEvents()
	if n != 0 {
		t.Errorf("removed handler called %d times", n)
	}
}

func TestPushGapIsPulled(t *testing.T) {
	conv := protocol.SingleConversationID("me", "bob")
	msg := func(seq int64) protocol.Message {
		return protocol.Message{ClientMsgID: fmt.Sprint("c", seq), ServerMsgID: fmt.Sprint("s", seq), ConversationID: conv,
			Seq: seq, SendID: "bob", RecvID: "me", SessionType: protocol.SessionSingle, ContentType: protocol.ContentText,
			Content: []byte(fmt.Sprintf(`{"text":"t%d"}`, seq)), SendTime: 1000 + seq}
	}
	fs := &fakeServer{}
	var pulls []protocol.SeqRange
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		if f.Type == protocol.ReqPull {
			var req protocol.PullReq
			_ = json.Unmarshal(f.Data, &req)
			var out []protocol.Message
			fs.mu.Lock()
			pulls = append(pulls, req.Ranges...)
			fs.mu.Unlock()
			for _, r := range req.Ranges {
				for s := r.FromSeq; s <= r.ToSeq; s++ {
					out = append(out, msg(s))
				}
			}
			return protocol.PullResp{Messages: out}, nil, true
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "first sync", func(evs []core.Event) bool {
		for _, ev := range evs {
			if sp, ok := ev.(core.SyncProgressed); ok && sp.Phase == core.SyncFinish {
				return true
			}
		}
		return false
	})
	newSeqs := func(evs []core.Event) []int64 {
		var out []int64
		for _, ev := range evs {
			if nm, ok := ev.(core.NewMessages); ok {
				for _, m := range nm.Messages {
					out = append(out, m.Seq)
				}
			}
		}
		return out
	}
	fs.push(protocol.PushMessage, msg(1))
	rec.waitFor(t, "message 1", func(evs []core.Event) bool { return len(newSeqs(evs)) == 1 })
	fs.push(protocol.PushMessage, msg(4))
	rec.waitFor(t, "messages 2-4", func(evs []core.Event) bool { return len(newSeqs(evs)) == 4 })
	fs.push(protocol.PushMessage, msg(3)) // late duplicate of a pulled one
	fs.push(protocol.PushMessage, msg(5))
	rec.waitFor(t, "message 5", func(evs []core.Event) bool { return len(newSeqs(evs)) >= 5 })
	c.WaitEvents()
	rec.mu.Lock()
	got := newSeqs(rec.events)
	rec.mu.Unlock()
	if want := []int64{1, 2, 3, 4, 5}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("announced %v, want %v", got, want)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(pulls) != 1 || pulls[0].FromSeq != 2 || pulls[0].ToSeq != 3 {
		t.Errorf("pulls = %+v, want one of 2..3", pulls)
	}
	h, err := c.HistoryMessages(context.Background(), conv, 0, 10)
	if err != nil || len(h.Messages) != 5 || !h.IsEnd {
		t.Errorf("history = %+v, %v", h, err)
	}
}

func TestUnansweredSyncReconnects(t *testing.T) {
	fs := &fakeServer{}
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		if f.Type == protocol.ReqSync {
			return nil, nil, false
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	c, rec := newTestClient(t, fs, mem.New(), func(cfg *core.Config) { cfg.RequestTimeout = 50 * time.Millisecond })
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "a catch-up that timed out, then another connection", func(evs []core.Event) bool {
		timedOut, connects := false, 0
		for _, ev := range evs {
			switch e := ev.(type) {
			case core.SyncProgressed:
				timedOut = timedOut || (e.Phase == core.SyncFinish && e.Err == string(protocol.CodeTimeout))
			case core.ConnectionStateChanged:
				if e.State == core.ConnConnected {
					connects++
				}
			}
		}
		return timedOut && connects >= 2
	})
}

func TestRateLimitedRequestsAreRetried(t *testing.T) {
	fs := &fakeServer{}
	refusals := 0
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if f.Type != protocol.ReqPing && refusals < 6 && refusals%2 == 0 {
			refusals++
			return nil, &protocol.Error{Code: protocol.CodeRateLimited}, true
		}
		refusals++
		switch f.Type {
		case protocol.ReqListFriends:
			return protocol.UsersResp{Users: []protocol.User{{UserID: "bob"}}}, nil, true
		case protocol.ReqSync:
			return protocol.SyncResp{}, nil, true
		}
		return nil, &protocol.Error{Code: protocol.CodeUnimplemented}, true
	}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	ctx := context.Background()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "catch-up despite back-pressure", func(evs []core.Event) bool {
		for _, ev := range evs {
			if sp, ok := ev.(core.SyncProgressed); ok && sp.Phase == core.SyncFinish {
				return sp.Err == ""
			}
		}
		return false
	})
	friends, err := c.FriendList(ctx)
	if err != nil || len(friends) != 1 {
		t.Errorf("FriendList = %+v, %v", friends, err)
	}
}

// Messages created within one millisecond keep their creation order: the
// unsent list sorts by CreateTime, and a clock that does not move must not
// let random ClientMsgIDs reorder what the user typed.
func TestUnsentKeepCreationOrderWithinAMillisecond(t *testing.T) {
	frozen := time.UnixMilli(1_700_000_000_000)
	fs := &fakeServer{dialErr: errors.New("server away")}
	c, _ := newTestClient(t, fs, mem.New(), func(cfg *core.Config) { cfg.Now = func() time.Time { return frozen } })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 20 {
		m, err := c.CreateTextMessage(fmt.Sprint("t", i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, m.Text)
		// The send waits for a server that is away; only its storing matters.
		sctx, scancel := context.WithCancel(ctx)
		go func() { c.SendMessage(sctx, m, "bob", "") }()
		defer scancel()
		waitUnsent(t, c, protocol.SingleConversationID("me", "bob"), i+1)
	}
	got, err := c.UnsentMessages(ctx, protocol.SingleConversationID("me", "bob"))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range got {
		texts = append(texts, m.Text)
	}
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Errorf("unsent order = %v, want %v", texts, want)
	}
}

func waitUnsent(t *testing.T, c *core.Client, conv string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ms, err := c.UnsentMessages(context.Background(), conv); err == nil && len(ms) >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d unsent messages not stored", n)
}
