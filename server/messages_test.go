package server_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

func TestSendPushesToRecipientAndOtherDevices(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a1, a2 := e.dial(aTok), e.dial(e.token(alice))
	b1 := e.dial(bTok)

	ack := a1.sendText("c-1", bob, "", "hi bob")
	wantConv := protocol.SingleConversationID(alice, bob)
	if ack.Seq != 1 || ack.ConversationID != wantConv || ack.ServerMsgID == "" || ack.SendTime == 0 || ack.Duplicate {
		t.Fatalf("ack = %+v", ack)
	}
	for _, c := range []*client{a2, b1} {
		m := decode[protocol.Message](t, c.push(protocol.PushMessage))
		if m.Seq != 1 || m.ClientMsgID != "c-1" || m.SendID != alice || m.RecvID != bob ||
			m.ConversationID != wantConv || m.SessionType != protocol.SessionSingle || m.ServerMsgID != ack.ServerMsgID {
			t.Fatalf("pushed %+v", m)
		}
		var tc protocol.TextContent
		if err := json.Unmarshal(m.Content, &tc); err != nil || tc.Text != "hi bob" {
			t.Fatalf("content %s", m.Content)
		}
	}
	// The push is queued before the ack, so none can still be coming.
	a1.noPush()

	// The sender's own message is read; the recipient's is unread.
	var sa, sb protocol.SyncResp
	a1.do(protocol.ReqSync, protocol.SyncReq{}, &sa)
	b1.do(protocol.ReqSync, protocol.SyncReq{}, &sb)
	if len(sa.Conversations) != 1 || sa.Conversations[0].ReadSeq != 1 || sa.Conversations[0].PeerUserID != bob {
		t.Fatalf("alice sync %+v", sa)
	}
	cs := sb.Conversations[0]
	if len(sb.Conversations) != 1 || cs.ReadSeq != 0 || cs.MaxSeq != 1 || cs.MinSeq != 1 || cs.PeerUserID != alice ||
		cs.LatestMessage == nil || cs.LatestMessage.Seq != 1 {
		t.Fatalf("bob sync %+v", sb)
	}
}

func TestIdempotentResend(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)

	first := a.sendText("same-id", bob, "", "once")
	b.push(protocol.PushMessage)
	again := a.sendText("same-id", bob, "", "once")
	if !again.Duplicate || again.Seq != first.Seq || again.ServerMsgID != first.ServerMsgID || again.SendTime != first.SendTime {
		t.Fatalf("resend %+v, first %+v", again, first)
	}
	next := a.sendText("other-id", bob, "", "twice")
	if next.Seq != first.Seq+1 {
		t.Fatalf("next seq %d", next.Seq)
	}
	// Exactly one push per stored message: the resend pushed nothing.
	if m := decode[protocol.Message](t, b.push(protocol.PushMessage)); m.ClientMsgID != "other-id" {
		t.Fatalf("second push is %q", m.ClientMsgID)
	}
	var pr protocol.PullResp
	b.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: first.ConversationID, FromSeq: 1, Limit: 10}}}, &pr)
	if len(pr.Messages) != 2 {
		t.Fatalf("stored %d messages", len(pr.Messages))
	}

	// Resends racing each other still store one copy.
	var wg sync.WaitGroup
	seqs := make([]int64, 8)
	for i := range seqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := a.tryAwait(a.request(protocol.ReqSend, protocol.SendReq{ClientMsgID: "race", RecvID: bob, ContentType: "text", Content: text("r")}))
			if err != nil {
				t.Error(err)
				return
			}
			if f.Error != nil {
				t.Errorf("send: %v", f.Error)
				return
			}
			seqs[i] = decode[protocol.SendResp](t, f).Seq
		}()
	}
	wg.Wait()
	for _, s := range seqs {
		if s != seqs[0] {
			t.Fatalf("racing resends got seqs %v", seqs)
		}
	}
}

func TestConcurrentSendersGetDenseUniqueSeqs(t *testing.T) {
	e := newEnv(t)
	const senders, each = 6, 20
	owner, oTok := e.register("owner")
	var ids []string
	var clients []*client
	for i := range senders - 1 {
		id, tok := e.register(fmt.Sprintf("member%d", i))
		ids = append(ids, id)
		clients = append(clients, e.dial(tok))
	}
	clients = append(clients, e.dial(oTok))
	var g protocol.Group
	clients[len(clients)-1].do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "busy", MemberUserIDs: ids}, &g)
	_ = owner

	var mu sync.Mutex
	var seqs []int64
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Pipelined: every send is on the wire before the first ack.
			chans := make([]<-chan *protocol.Frame, each)
			for j := range each {
				chans[j] = c.request(protocol.ReqSend, protocol.SendReq{
					ClientMsgID: fmt.Sprintf("s%d-%d", i, j), GroupID: g.GroupID,
					ContentType: protocol.ContentText, Content: text("x"),
				})
			}
			var last int64
			for _, ch := range chans {
				f, err := c.tryAwait(ch)
				if err != nil {
					t.Error(err)
					return
				}
				if f.Error != nil {
					t.Errorf("send: %v", f.Error)
					return
				}
				seq := decode[protocol.SendResp](t, f).Seq
				if seq <= last {
					t.Errorf("one connection's sends out of order: %d after %d", seq, last)
				}
				last = seq
				mu.Lock()
				seqs = append(seqs, seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(seqs)
	if len(seqs) != senders*each {
		t.Fatalf("%d acks", len(seqs))
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("seqs not dense and unique: position %d has %d", i, s)
		}
	}
	var pr protocol.PullResp
	clients[0].do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{
		{ConversationID: protocol.GroupConversationID(g.GroupID), FromSeq: 1, Limit: 500},
	}}, &pr)
	if len(pr.Messages) != senders*each {
		t.Fatalf("pulled %d", len(pr.Messages))
	}
	for i, m := range pr.Messages {
		if m.Seq != int64(i+1) {
			t.Fatalf("pulled seq %d at %d", m.Seq, i)
		}
	}
}

func TestCatchUpThroughCursor(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a := e.dial(aTok)

	// Bob has many conversations; only some change while he is away.
	const quiet = 20
	var others []*client
	for i := range quiet {
		_, tok := e.register(fmt.Sprintf("friend%d", i))
		c := e.dial(tok)
		c.sendText("hello", bob, "", "hi")
		others = append(others, c)
	}
	a.sendText("a0", bob, "", "before")

	b := e.dial(bTok)
	var first protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{}, &first)
	for first.HasMore {
		var more protocol.SyncResp
		b.do(protocol.ReqSync, protocol.SyncReq{Cursor: first.Cursor}, &more)
		first.Conversations = append(first.Conversations, more.Conversations...)
		first.Cursor, first.HasMore = more.Cursor, more.HasMore
	}
	if len(first.Conversations) != quiet+1 {
		t.Fatalf("first sync: %d conversations", len(first.Conversations))
	}
	known := map[string]int64{}
	for _, cs := range first.Conversations {
		known[cs.ConversationID] = cs.MaxSeq
	}
	b.ws.Close()
	b.waitClosed()

	// While Bob is away: Alice sends 3, one friend sends 1, a new group appears.
	var missed []string
	for i := range 3 {
		r := a.sendText(fmt.Sprintf("a%d", i+1), bob, "", "away")
		missed = append(missed, r.ServerMsgID)
	}
	missed = append(missed, others[5].sendText("again", bob, "", "x").ServerMsgID)
	var g protocol.Group
	a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "new", MemberUserIDs: []string{bob}}, &g)

	b = e.dial(bTok)
	var sr protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{Cursor: first.Cursor}, &sr)
	if sr.HasMore || len(sr.Conversations) != 3 {
		t.Fatalf("catch-up sync: %d conversations, hasMore %v", len(sr.Conversations), sr.HasMore)
	}
	var ranges []protocol.SeqRange
	var prev int64
	for _, cs := range sr.Conversations {
		if cs.Version <= prev {
			t.Fatalf("versions not ascending")
		}
		prev = cs.Version
		if cs.ConversationID == protocol.GroupConversationID(g.GroupID) {
			if cs.MaxSeq != 0 || cs.SessionType != protocol.SessionGroup || cs.GroupID != g.GroupID {
				t.Fatalf("new group state %+v", cs)
			}
			continue
		}
		ranges = append(ranges, protocol.SeqRange{ConversationID: cs.ConversationID, FromSeq: known[cs.ConversationID] + 1, ToSeq: cs.MaxSeq, Limit: 100})
	}
	if sr.Cursor != prev {
		t.Fatalf("cursor %d, last version %d", sr.Cursor, prev)
	}
	var pr protocol.PullResp
	b.do(protocol.ReqPull, protocol.PullReq{Ranges: ranges}, &pr)
	var got []string
	for _, m := range pr.Messages {
		got = append(got, m.ServerMsgID)
	}
	slices.Sort(got)
	slices.Sort(missed)
	if !slices.Equal(got, missed) {
		t.Fatalf("pulled %v, missed %v", got, missed)
	}
	// Nothing changed since: an empty sync keeps the cursor.
	var again protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{Cursor: sr.Cursor}, &again)
	if len(again.Conversations) != 0 || again.Cursor != sr.Cursor || again.HasMore {
		t.Fatalf("second catch-up %+v", again)
	}
	_ = alice
}

func TestSyncPages(t *testing.T) {
	e := newEnv(t)
	bob, bTok := e.register("bob")
	for i := range 5 {
		_, tok := e.register(fmt.Sprintf("user%d", i))
		e.dial(tok).sendText("m", bob, "", "hi")
	}
	b := e.dial(bTok)
	seen := map[string]bool{}
	var cursor int64
	for page := 0; ; page++ {
		var sr protocol.SyncResp
		b.do(protocol.ReqSync, protocol.SyncReq{Cursor: cursor, Limit: 2}, &sr)
		if len(sr.Conversations) > 2 {
			t.Fatalf("page of %d", len(sr.Conversations))
		}
		for _, cs := range sr.Conversations {
			seen[cs.ConversationID] = true
		}
		cursor = sr.Cursor
		if !sr.HasMore {
			break
		}
		if page > 5 {
			t.Fatal("sync never ends")
		}
	}
	if len(seen) != 5 {
		t.Fatalf("saw %d conversations", len(seen))
	}
	b.wantError(protocol.ReqSync, protocol.SyncReq{Cursor: -1}, protocol.CodeInvalidArgument)

	// A cursor the server never gave (its data was reset) starts over.
	var sr protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{Cursor: cursor + 1000}, &sr)
	if len(sr.Conversations) != 5 || sr.Cursor != cursor {
		t.Fatalf("future cursor: %d conversations, cursor %d (want %d)", len(sr.Conversations), sr.Cursor, cursor)
	}
}

func TestPull(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, _ := e.register("bob")
	a := e.dial(aTok)
	var conv string
	for i := range 10 {
		conv = a.sendText(fmt.Sprintf("m%d", i), bob, "", fmt.Sprint(i)).ConversationID
	}
	seqsOf := func(ms []protocol.Message) []int64 {
		var s []int64
		for _, m := range ms {
			s = append(s, m.Seq)
		}
		return s
	}
	for _, tc := range []struct {
		rg   protocol.SeqRange
		want []int64
	}{
		{protocol.SeqRange{FromSeq: 1, Limit: 3}, []int64{1, 2, 3}},
		{protocol.SeqRange{FromSeq: 4, ToSeq: 6, Limit: 10}, []int64{4, 5, 6}},
		{protocol.SeqRange{FromSeq: 0, Limit: 3, Latest: true}, []int64{8, 9, 10}},
		{protocol.SeqRange{FromSeq: 1, ToSeq: 5, Limit: 2, Latest: true}, []int64{4, 5}},
		{protocol.SeqRange{FromSeq: 9}, []int64{9, 10}},
		{protocol.SeqRange{FromSeq: 11, Limit: 5}, nil},
	} {
		tc.rg.ConversationID = conv
		var pr protocol.PullResp
		a.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{tc.rg}}, &pr)
		if got := seqsOf(pr.Messages); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: got %v, want %v", tc.rg, got, tc.want)
		}
	}
	many := make([]protocol.SeqRange, protocol.MaxPullRanges+1)
	for i := range many {
		many[i] = protocol.SeqRange{ConversationID: conv, FromSeq: 1, Limit: 1}
	}
	a.wantError(protocol.ReqPull, protocol.PullReq{Ranges: many}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: "nonsense", FromSeq: 1}}}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: -1}}}, protocol.CodeInvalidArgument)
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	_, mTok := e.register("mallory")
	a, b, m := e.dial(aTok), e.dial(bTok), e.dial(mTok)

	pair := a.sendText("x", bob, "", "private").ConversationID
	var g protocol.Group
	a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "private", MemberUserIDs: []string{bob}}, &g)
	gconv := protocol.GroupConversationID(g.GroupID)
	b.sendText("y", "", g.GroupID, "members only")

	// Mallory can neither send to nor read the group, nor read the pair.
	m.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "z", GroupID: g.GroupID, ContentType: "text", Content: text("let me in")}, protocol.CodePermissionDenied)
	m.wantError(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: gconv, FromSeq: 1, Limit: 10}}}, protocol.CodePermissionDenied)
	m.wantError(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: pair, FromSeq: 1, Limit: 10}}}, protocol.CodePermissionDenied)
	m.wantError(protocol.ReqGetGroupMembers, protocol.GroupIDReq{GroupID: g.GroupID}, protocol.CodePermissionDenied)
	m.wantError(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: pair}, protocol.CodePermissionDenied)
	m.wantError(protocol.ReqSetPinned, protocol.SetPinnedReq{ConversationID: gconv, IsPinned: true}, protocol.CodePermissionDenied)
	// A missing group looks the same as someone else's.
	m.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "w", GroupID: "gnothere", ContentType: "text", Content: text("?")}, protocol.CodePermissionDenied)
	m.wantError(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: "sg_gnothere", FromSeq: 1}}}, protocol.CodePermissionDenied)
	// Sending to a user who does not exist.
	m.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "v", RecvID: "ghost", ContentType: "text", Content: text("?")}, protocol.CodeNotFound)

	var gl protocol.GroupsResp
	m.do(protocol.ReqListGroups, nil, &gl)
	if len(gl.Groups) != 0 {
		t.Fatalf("mallory sees groups %+v", gl)
	}
	// Members can.
	var pr protocol.PullResp
	a.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: gconv, FromSeq: 1, Limit: 10}}}, &pr)
	if len(pr.Messages) != 1 || pr.Messages[0].SendID != bob {
		t.Fatalf("member pull %+v", pr)
	}
	var mr protocol.GroupMembersResp
	b.do(protocol.ReqGetGroupMembers, protocol.GroupIDReq{GroupID: g.GroupID}, &mr)
	if len(mr.Members) != 2 || mr.Members[0].UserID != alice || mr.Members[0].Role != protocol.RoleOwner || mr.Members[1].Role != protocol.RoleMember {
		t.Fatalf("members %+v", mr)
	}
}

func TestDenyStrangers(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.DenyStrangers = true })
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	a.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "1", RecvID: bob, ContentType: "text", Content: text("hi")}, protocol.CodePermissionDenied)
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, nil)
	b.push(protocol.PushFriendRequest)
	b.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: alice}, nil)
	a.sendText("1", bob, "", "hi friend")
	// Messaging oneself is always allowed.
	a.sendText("2", alice, "", "note to self")
}

func TestContentTypes(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, _ := e.register("bob")
	a := e.dial(aTok)
	send := func(id, typ, content string) *protocol.Frame {
		return a.call(protocol.ReqSend, protocol.SendReq{ClientMsgID: id, RecvID: bob, ContentType: typ, Content: json.RawMessage(content)})
	}
	for _, tc := range []struct{ typ, content string }{
		{"text", `{}`},
		{"text", `{"text":""}`},
		{"text", `{"text":5}`},
		{"text", `"just a string"`},
		{"image", `{"url":"x"}`},
		{"hologram", `{}`},
		{"", `{"text":"x"}`},
		{"custom", `[1,2]`},
	} {
		f := send("bad", tc.typ, tc.content)
		if f.Error == nil || f.Error.Code != protocol.CodeInvalidArgument {
			t.Errorf("%s %s: %v", tc.typ, tc.content, f.Error)
		}
	}
	if f := send("c1", "custom", `{"kind":"poll","options":["a","b"]}`); f.Error != nil {
		t.Fatalf("custom: %v", f.Error)
	}
	for _, req := range []protocol.SendReq{
		{RecvID: bob, ContentType: "text", Content: text("no id")},
		{ClientMsgID: string(make([]byte, protocol.MaxClientMsgIDLen+1)), RecvID: bob, ContentType: "text", Content: text("long id")},
		{ClientMsgID: "x", ContentType: "text", Content: text("nobody")},
		{ClientMsgID: "x", RecvID: bob, GroupID: "g1", ContentType: "text", Content: text("both")},
	} {
		a.wantError(protocol.ReqSend, req, protocol.CodeInvalidArgument)
	}
}

func TestConversationSettingsSyncAcrossDevices(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a := e.dial(aTok)
	b1, b2 := e.dial(bTok), e.dial(e.token(bob))
	var conv string
	for i := range 3 {
		conv = a.sendText(fmt.Sprint(i), bob, "", "m").ConversationID
	}
	for range 3 {
		b1.push(protocol.PushMessage)
		b2.push(protocol.PushMessage)
	}

	var st protocol.ConversationState
	b1.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv, ReadSeq: 2}, &st)
	if st.ReadSeq != 2 || st.MaxSeq != 3 {
		t.Fatalf("markRead 2: %+v", st)
	}
	if p := decode[protocol.ConversationState](t, b2.push(protocol.PushConversation)); p.ReadSeq != 2 {
		t.Fatalf("pushed %+v", p)
	}
	b1.noPush()
	// Never backwards; 0 means up to the latest.
	b1.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv, ReadSeq: 1}, &st)
	if st.ReadSeq != 2 {
		t.Fatalf("read seq moved back: %+v", st)
	}
	b1.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv}, &st)
	if st.ReadSeq != 3 {
		t.Fatalf("markRead 0: %+v", st)
	}
	b2.push(protocol.PushConversation)

	b1.do(protocol.ReqSetPinned, protocol.SetPinnedReq{ConversationID: conv, IsPinned: true}, &st)
	if !st.IsPinned || !decode[protocol.ConversationState](t, b2.push(protocol.PushConversation)).IsPinned {
		t.Fatal("pin not applied or not pushed")
	}
	b1.do(protocol.ReqSetDraft, protocol.SetDraftReq{ConversationID: conv, DraftText: "half a thought"}, &st)
	if st.DraftText != "half a thought" || decode[protocol.ConversationState](t, b2.push(protocol.PushConversation)).DraftText != "half a thought" {
		t.Fatal("draft not applied or not pushed")
	}
	// A draft for a conversation with no messages yet.
	_, cTok := e.register("carol")
	var carol protocol.User
	e.dial(cTok).do(protocol.ReqGetSelf, nil, &carol)
	b1.do(protocol.ReqSetDraft, protocol.SetDraftReq{ConversationID: protocol.SingleConversationID(bob, carol.UserID), DraftText: "hey"}, &st)
	if st.MaxSeq != 0 || st.DraftText != "hey" || st.PeerUserID != carol.UserID {
		t.Fatalf("new conversation draft %+v", st)
	}

	// Another device that syncs sees the same unread state.
	var sr protocol.SyncResp
	e.dial(e.token(bob)).do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	for _, cs := range sr.Conversations {
		if cs.ConversationID == conv && (cs.ReadSeq != 3 || !cs.IsPinned || cs.DraftText != "half a thought") {
			t.Fatalf("synced state %+v", cs)
		}
	}
	_ = alice
}

// A clientMsgID reused for another recipient is not a resend: it is
// refused with already_exists, in another commit or in the same one,
// and the first message is neither returned nor changed.
func TestClientMsgIDReusedForAnotherRecipient(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, _ := e.register("bob")
	carol, _ := e.register("carol")
	a := e.dial(aTok)
	var g protocol.Group
	a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "team", MemberUserIDs: []string{bob}}, &g)

	first := a.sendText("dup", bob, "", "for bob")
	for _, to := range []protocol.SendReq{
		{ClientMsgID: "dup", RecvID: carol},
		{ClientMsgID: "dup", GroupID: g.GroupID},
	} {
		to.ContentType, to.Content = protocol.ContentText, text("for someone else")
		f := a.call(protocol.ReqSend, to)
		require.NotNil(t, f.Error, "reuse for %+v answered %s", to, f.Data)
		assert.Equal(t, protocol.CodeAlreadyExists, f.Error.Code)
		assert.NotContains(t, string(f.Data), first.ServerMsgID)
	}
	// Sent back to back, often within one commit, the second is refused too.
	one := a.request(protocol.ReqSend, protocol.SendReq{ClientMsgID: "batch", RecvID: bob, ContentType: protocol.ContentText, Content: text("1")})
	two := a.request(protocol.ReqSend, protocol.SendReq{ClientMsgID: "batch", RecvID: carol, ContentType: protocol.ContentText, Content: text("2")})
	f1, f2 := a.await(one), a.await(two)
	require.Nil(t, f1.Error)
	require.NotNil(t, f2.Error)
	assert.Equal(t, protocol.CodeAlreadyExists, f2.Error.Code)

	// A true resend still returns the original.
	again := a.sendText("dup", bob, "", "for bob")
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.Seq, again.Seq)
	var pr protocol.PullResp
	a.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: protocol.SingleConversationID(mustSelfID(t, a), carol), FromSeq: 1}}}, &pr)
	assert.Empty(t, pr.Messages, "a message reached carol")
}

// createTime is 0 (not given) or a plausible Unix ms time: from 2000 to a
// day ahead of the server's clock.
func TestCreateTimeWindow(t *testing.T) {
	now := time.Now()
	e := newEnv(t, func(c *server.Config) { c.Clock = func() time.Time { return now } })
	me, tok := e.register("clock")
	c := e.dial(tok)
	send := func(i int, ct int64) *protocol.Frame {
		return c.call(protocol.ReqSend, protocol.SendReq{ClientMsgID: fmt.Sprint("t", i), RecvID: me, ContentType: protocol.ContentText, Content: text("x"), CreateTime: ct})
	}
	for i, ct := range []int64{-1, 1, 1_700_000_000, math.MaxInt64, math.MinInt64, now.Add(25 * time.Hour).UnixMilli()} {
		f := send(i, ct)
		if assert.NotNil(t, f.Error, "createTime %d accepted", ct) {
			assert.Equal(t, protocol.CodeInvalidArgument, f.Error.Code)
		}
	}
	for i, ct := range []int64{0, now.UnixMilli(), now.Add(-30 * 24 * time.Hour).UnixMilli(), now.Add(23 * time.Hour).UnixMilli(), 946_684_800_000} {
		f := send(100+i, ct)
		assert.Nil(t, f.Error, "createTime %d refused", ct)
	}
}
