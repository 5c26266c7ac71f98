// Package storetest is the conformance suite of core.Store: every
// implementation runs it, natively (core/mem) and in the browser (indexdb,
// under wasmbrowsertest). It uses only the testing package and core.
package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"parley/core"
	"parley/protocol"
)

// Opener opens the store called name. Opening a name again after the store
// opened under it was closed must give the same data; different names must
// be independent. The suite closes every store it opens, except that it may
// leave the last one open at the end of a subtest for the opener to clean up
// (use t.Cleanup).
type Opener func(t *testing.T, name string) core.Store

// Run runs the whole suite as subtests of t.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Empty", testEmpty},
		{"Users", testUsers},
		{"Friends", testFriends},
		{"FriendRequests", testFriendRequests},
		{"BlackList", testBlackList},
		{"ProfileCursor", testProfileCursor},
		{"Groups", testGroups},
		{"GroupMembers", testGroupMembers},
		{"GroupApplications", testGroupApplications},
		{"Conversations", testConversations},
		{"ConversationPage", testConversationPage},
		{"MessagesBySeq", testMessagesBySeq},
		{"MessageSeqAssigned", testMessageSeqAssigned},
		{"RemovedMessages", testRemovedMessages},
		{"UnsentMessages", testUnsentMessages},
		{"Outbox", testOutbox},
		{"Cursor", testCursor},
		{"ApplyTwice", testApplyTwice},
		{"LargeBatch", testLargeBatch},
		{"Reopen", testReopen},
		{"Independent", testIndependent},
		{"Closed", testClosed},
		{"CanceledApply", testCanceledApply},
		{"Concurrent", testConcurrent},
		{"Chunks", testChunks},
		{"RemovedUnsent", testRemovedUnsent},
		{"SearchMessages", testSearchMessages},
		{"HiddenConversations", testHiddenConversations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func apply(t *testing.T, s core.Store, ch *core.Changes) {
	t.Helper()
	if err := s.Apply(context.Background(), ch); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

type result[T any] struct {
	v   T
	err error
}

func must[T any](v T, err error) result[T] { return result[T]{v, err} }

// of returns the value or fails the test on an error.
func (r result[T]) of(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

func msg(conv string, seq int64, id string) core.Message {
	return core.Message{
		ClientMsgID:    id,
		ServerMsgID:    "s-" + id,
		ConversationID: conv,
		Seq:            seq,
		SendID:         "alice",
		RecvID:         "bob",
		SessionType:    protocol.SessionSingle,
		ContentType:    protocol.ContentText,
		Text:           "text " + id,
		SendTime:       1000 + seq,
		CreateTime:     900 + seq,
		Status:         core.StatusSent,
	}
}

func seqs(ms []core.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func ids(ms []core.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ClientMsgID
	}
	return out
}

func userIDs(us []core.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.UserID
	}
	return out
}

func eq[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

const conv = "si_alice_bob"

func testEmpty(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "empty")
	defer s.Close()
	if us := must(s.Users(ctx, []string{"a"})).of(t); len(us) != 0 {
		t.Errorf("Users = %v, want none", us)
	}
	if fs := must(s.Friends(ctx)).of(t); len(fs) != 0 {
		t.Errorf("Friends = %v", fs)
	}
	if gs := must(s.Groups(ctx)).of(t); len(gs) != 0 {
		t.Errorf("Groups = %v", gs)
	}
	if as := must(s.GroupApplications(ctx)).of(t); len(as) != 0 {
		t.Errorf("GroupApplications = %v", as)
	}
	if cs := must(s.Conversations(ctx)).of(t); len(cs) != 0 {
		t.Errorf("Conversations = %v", cs)
	}
	if _, err := s.Conversation(ctx, conv); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Conversation of unknown ID: err = %v, want ErrNotFound", err)
	}
	if ms := must(s.MessagesBySeq(ctx, conv, 1, 100)).of(t); len(ms) != 0 {
		t.Errorf("MessagesBySeq = %v", ms)
	}
	if ms := must(s.Messages(ctx, []string{"x"})).of(t); len(ms) != 0 {
		t.Errorf("Messages = %v", ms)
	}
	if ms := must(s.UnsentMessages(ctx, conv)).of(t); len(ms) != 0 {
		t.Errorf("UnsentMessages = %v", ms)
	}
	if es := must(s.Outbox(ctx)).of(t); len(es) != 0 {
		t.Errorf("Outbox = %v", es)
	}
	c, ok, err := s.SyncCursor(ctx)
	if err != nil || ok || c != 0 {
		t.Errorf("SyncCursor = %d, %v, %v; want 0, false, nil", c, ok, err)
	}
	if err := s.Apply(ctx, &core.Changes{}); err != nil {
		t.Errorf("Apply(empty) = %v", err)
	}
}

func testUsers(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "users")
	defer s.Close()
	apply(t, s, &core.Changes{Users: []core.User{
		{UserID: "u1", Nickname: "One", FaceURL: "f1"},
		{UserID: "u2", Nickname: "Two", Username: "two"},
	}})
	apply(t, s, &core.Changes{Users: []core.User{{UserID: "u1", Nickname: "Uno"}}})
	us := must(s.Users(ctx, []string{"u2", "nobody", "u1"})).of(t)
	want := []core.User{{UserID: "u2", Nickname: "Two", Username: "two"}, {UserID: "u1", Nickname: "Uno"}}
	if !eq(us, want) {
		t.Errorf("Users = %+v, want %+v", us, want)
	}
}

func testFriends(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "friends")
	defer s.Close()
	apply(t, s, &core.Changes{Friends: []core.User{{UserID: "c"}, {UserID: "a"}, {UserID: "b", Nickname: "B"}}})
	apply(t, s, &core.Changes{Friends: []core.User{{UserID: "b", Nickname: "Bee"}}, RemovedFriends: []string{"c", "zz"}})
	fs := must(s.Friends(ctx)).of(t)
	if !eq(userIDs(fs), []string{"a", "b"}) || fs[1].Nickname != "Bee" {
		t.Errorf("Friends = %+v, want a and b (Bee)", fs)
	}
	// A friend is not a cached profile: the two are kept apart.
	if us := must(s.Users(ctx, []string{"a"})).of(t); len(us) != 0 {
		t.Errorf("Users after Friends only = %+v", us)
	}
}

func testGroups(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "groups")
	defer s.Close()
	apply(t, s, &core.Changes{Groups: []core.Group{
		{GroupID: "g2", Name: "Two", MemberCount: 2},
		{GroupID: "g1", Name: "One", OwnerUserID: "alice", MemberCount: 3, FaceURL: "f", CreateTime: 5,
			Introduction: "intro", Notification: "news", JoinPolicy: protocol.JoinPolicyOpen, IsMuted: true, MyRole: protocol.RoleAdmin},
		{GroupID: "g3"},
	}})
	apply(t, s, &core.Changes{Groups: []core.Group{{GroupID: "g2", Name: "Deux", MemberCount: 4}}, RemovedGroups: []string{"g3"}})
	gs := must(s.Groups(ctx)).of(t)
	want := []core.Group{
		{GroupID: "g1", Name: "One", OwnerUserID: "alice", MemberCount: 3, FaceURL: "f", CreateTime: 5,
			Introduction: "intro", Notification: "news", JoinPolicy: protocol.JoinPolicyOpen, IsMuted: true, MyRole: protocol.RoleAdmin},
		{GroupID: "g2", Name: "Deux", MemberCount: 4},
	}
	if !eq(gs, want) {
		t.Errorf("Groups = %+v, want %+v", gs, want)
	}
}

// testGroupMembers: members are kept per group by (GroupID, UserID), read
// back owner first then by join time, removed by key or with their group,
// and kept across a reopen.
func testGroupMembers(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "groupMembers")
	apply(t, s, &core.Changes{GroupMembers: []core.GroupMember{
		{GroupID: "g1", UserID: "b", Role: protocol.RoleMember, JoinTime: 5, Nickname: "Bee", MuteEndTime: 99},
		{GroupID: "g1", UserID: "a", Role: protocol.RoleAdmin, JoinTime: 5},
		{GroupID: "g1", UserID: "o", Role: protocol.RoleOwner, JoinTime: 7},
		{GroupID: "g1", UserID: "x", Role: protocol.RoleMember, JoinTime: 1},
		{GroupID: "g2", UserID: "a", Role: protocol.RoleOwner, JoinTime: 1},
		{GroupID: "g10", UserID: "z", Role: protocol.RoleOwner, JoinTime: 1},
	}})
	apply(t, s, &core.Changes{
		GroupMembers:        []core.GroupMember{{GroupID: "g1", UserID: "b", Role: protocol.RoleAdmin, JoinTime: 5, Nickname: "B"}},
		RemovedGroupMembers: []core.GroupMember{{GroupID: "g1", UserID: "x"}, {GroupID: "g1", UserID: "nobody"}},
	})
	want := []core.GroupMember{
		{GroupID: "g1", UserID: "o", Role: protocol.RoleOwner, JoinTime: 7},
		{GroupID: "g1", UserID: "a", Role: protocol.RoleAdmin, JoinTime: 5},
		{GroupID: "g1", UserID: "b", Role: protocol.RoleAdmin, JoinTime: 5, Nickname: "B"},
	}
	if got := must(s.GroupMembers(ctx, "g1")).of(t); !eq(got, want) {
		t.Errorf("GroupMembers(g1) = %+v, want %+v", got, want)
	}
	apply(t, s, &core.Changes{RemovedGroups: []string{"g1"}})
	if got := must(s.GroupMembers(ctx, "g1")).of(t); len(got) != 0 {
		t.Errorf("members of a removed group: %+v", got)
	}
	s.Close()
	s = open(t, "groupMembers")
	defer s.Close()
	for g, n := range map[string]int{"g2": 1, "g10": 1, "g": 0} {
		if got := must(s.GroupMembers(ctx, g)).of(t); len(got) != n {
			t.Errorf("GroupMembers(%s) after reopen = %+v", g, got)
		}
	}
}

func testConversations(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "conversations")
	defer s.Close()
	latest := msg(conv, 7, "m7")
	latest.Content = []byte(`{"x":1}`)
	c1 := core.Conversation{
		ConversationID: conv, SessionType: protocol.SessionSingle, UserID: "bob",
		ShowName: "Bob", FaceURL: "face", LatestMessage: &latest, UnreadCount: 2,
		IsPinned: true, DraftText: "draft", UpdatedAt: 1234,
		MaxSeq: 7, MinSeq: 1, ReadSeq: 5, LocalMaxSeq: 7,
	}
	c2 := core.Conversation{ConversationID: "sg_g1", SessionType: protocol.SessionGroup, GroupID: "g1"}
	apply(t, s, &core.Changes{Conversations: []core.Conversation{c2, c1}})
	got := must(s.Conversation(ctx, conv)).of(t)
	if got.LatestMessage == nil || got.LatestMessage.ClientMsgID != "m7" || string(got.LatestMessage.Content) != `{"x":1}` {
		t.Fatalf("LatestMessage = %+v", got.LatestMessage)
	}
	lm := *got.LatestMessage
	got.LatestMessage, c1.LatestMessage = nil, nil
	if got != c1 {
		t.Errorf("Conversation = %+v, want %+v", got, c1)
	}
	if lm.Text != latest.Text || lm.Seq != 7 || lm.Status != core.StatusSent {
		t.Errorf("LatestMessage = %+v", lm)
	}
	all := must(s.Conversations(ctx)).of(t)
	if len(all) != 2 || all[0].ConversationID != "sg_g1" || all[1].ConversationID != conv {
		t.Errorf("Conversations = %+v, want sg_g1 then %s", all, conv)
	}
	// Upsert replaces the whole record.
	c3 := core.Conversation{ConversationID: conv, ReadSeq: 7, MaxSeq: 7}
	apply(t, s, &core.Changes{Conversations: []core.Conversation{c3}})
	got = must(s.Conversation(ctx, conv)).of(t)
	if got != c3 {
		t.Errorf("after upsert = %+v, want %+v", got, c3)
	}
}

func convIDs(cs []core.Conversation) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ConversationID
	}
	return out
}

// testConversationPage checks the list's order (pinned first, then the
// latest message's SendTime or else UpdatedAt descending, then
// ConversationID) and paging, also after records move.
func testConversationPage(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "conversationPage")
	defer s.Close()
	if cs := must(s.ConversationPage(ctx, 0, 10)).of(t); len(cs) != 0 {
		t.Fatalf("ConversationPage on an empty store = %v", convIDs(cs))
	}
	at := func(id string, pinned bool, updated, sendTime int64) core.Conversation {
		c := core.Conversation{ConversationID: id, IsPinned: pinned, UpdatedAt: updated, UnreadCount: updated}
		if sendTime > 0 {
			m := msg(id, 1, "m-"+id)
			m.SendTime = sendTime
			m.Content = []byte(`{"n":1}`)
			c.LatestMessage = &m
		}
		return c
	}
	apply(t, s, &core.Changes{Conversations: []core.Conversation{
		at("a", false, 100, 900), // read or drafted late: sorted by its message
		at("b", false, 200, 200),
		at("c", true, 50, 50),
		at("d", false, 150, 0), // no message yet: its own update time
		at("e", false, 200, 200),
		at("f", true, 60, 60),
		at("g", false, 0, 0),
	}})
	want := []string{"f", "c", "a", "b", "e", "d", "g"}
	page := func(offset, count int, want ...string) {
		t.Helper()
		got := must(s.ConversationPage(ctx, offset, count)).of(t)
		if !eq(convIDs(got), want) {
			t.Errorf("ConversationPage(%d, %d) = %v, want %v", offset, count, convIDs(got), want)
		}
	}
	page(0, 0, want...)
	page(0, -1, want...)
	page(0, 100, want...)
	page(0, 3, want[:3]...)
	page(2, 3, want[2:5]...)
	page(5, 10, want[5:]...)
	page(7, 10)
	page(100, 1)
	got := must(s.ConversationPage(ctx, 2, 1)).of(t)
	if len(got) != 1 || got[0].LatestMessage == nil || got[0].LatestMessage.SendTime != 900 ||
		string(got[0].LatestMessage.Content) != `{"n":1}` || got[0].UnreadCount != 100 {
		t.Errorf("ConversationPage record = %+v, want a whole record", got)
	}
	// Records move when they change: a pin, a newer message, an unpin.
	apply(t, s, &core.Changes{Conversations: []core.Conversation{
		at("g", true, 10, 0),
		at("d", false, 1000, 950),
		at("c", false, 50, 50),
	}})
	page(0, 0, "f", "g", "d", "a", "b", "e", "c")
}

func testMessagesBySeq(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "messages")
	defer s.Close()
	var ms []core.Message
	for _, seq := range []int64{5, 1, 2, 3, 8, 10} {
		ms = append(ms, msg(conv, seq, "m"+strconv.FormatInt(seq, 10)))
	}
	other := msg("si_alice_carol", 4, "other4")
	ms = append(ms, other)
	apply(t, s, &core.Changes{Messages: ms})

	cases := []struct {
		from, to int64
		want     []int64
	}{
		{1, 10, []int64{1, 2, 3, 5, 8, 10}},
		{2, 5, []int64{2, 3, 5}},
		{4, 4, nil},
		{6, 7, nil},
		{9, 1 << 40, []int64{10}},
		{0, 1, []int64{1}},
	}
	for _, c := range cases {
		got := must(s.MessagesBySeq(ctx, conv, c.from, c.to)).of(t)
		if !eq(seqs(got), c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("MessagesBySeq(%d, %d) = %v, want %v", c.from, c.to, seqs(got), c.want)
		}
	}
	got := must(s.MessagesBySeq(ctx, conv, 5, 5)).of(t)
	if len(got) != 1 || !sameMsg(got[0], ms[0]) {
		t.Errorf("MessagesBySeq(5,5) = %+v, want %+v", got, ms[0])
	}
	byID := must(s.Messages(ctx, []string{"m3", "nope", "other4"})).of(t)
	if !eq(ids(byID), []string{"m3", "other4"}) || byID[1].ConversationID != "si_alice_carol" {
		t.Errorf("Messages = %+v", byID)
	}
	withContent := msg(conv, 11, "m11")
	withContent.ContentType = protocol.ContentCustom
	withContent.Text = ""
	withContent.Content = []byte(`{"k":"v","n":[1,2]}`)
	apply(t, s, &core.Changes{Messages: []core.Message{withContent}})
	got = must(s.Messages(ctx, []string{"m11"})).of(t)
	if len(got) != 1 || string(got[0].Content) != `{"k":"v","n":[1,2]}` || got[0].ContentType != protocol.ContentCustom {
		t.Errorf("custom content round trip = %+v", got)
	}
}

func testMessageSeqAssigned(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "seqassigned")
	defer s.Close()
	m := msg(conv, 0, "local")
	m.Status, m.ServerMsgID, m.SendTime = core.StatusSending, "", 0
	apply(t, s, &core.Changes{Messages: []core.Message{m}})
	if got := must(s.MessagesBySeq(ctx, conv, 0, 100)).of(t); len(got) != 0 {
		t.Errorf("unsent message listed by seq: %+v", got)
	}
	sent := msg(conv, 4, "local")
	apply(t, s, &core.Changes{Messages: []core.Message{sent}})
	got := must(s.MessagesBySeq(ctx, conv, 0, 100)).of(t)
	if len(got) != 1 || !sameMsg(got[0], sent) {
		t.Errorf("after ack: %+v, want %+v", got, sent)
	}
	if un := must(s.UnsentMessages(ctx, conv)).of(t); len(un) != 0 {
		t.Errorf("UnsentMessages after ack = %+v", un)
	}
	// A seq that changes moves the message in the index.
	moved := msg(conv, 6, "local")
	apply(t, s, &core.Changes{Messages: []core.Message{moved}})
	if got := must(s.MessagesBySeq(ctx, conv, 0, 100)).of(t); !eq(seqs(got), []int64{6}) {
		t.Errorf("after seq change: %v, want [6]", seqs(got))
	}
}

func testUnsentMessages(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "unsent")
	defer s.Close()
	mk := func(id string, ct int64, st core.MessageStatus, c string) core.Message {
		m := msg(c, 0, id)
		m.CreateTime, m.Status, m.ServerMsgID = ct, st, ""
		return m
	}
	apply(t, s, &core.Changes{Messages: []core.Message{
		mk("b", 20, core.StatusSending, conv),
		mk("a", 20, core.StatusFailed, conv),
		mk("c", 10, core.StatusSending, conv),
		mk("d", 5, core.StatusSending, "si_alice_carol"),
		msg(conv, 1, "sent1"),
	}})
	got := must(s.UnsentMessages(ctx, conv)).of(t)
	if !eq(ids(got), []string{"c", "a", "b"}) {
		t.Errorf("UnsentMessages = %v, want [c a b]", ids(got))
	}
}

func testOutbox(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "outbox")
	defer s.Close()
	e := func(id string, order int64) core.OutboxEntry {
		return core.OutboxEntry{ClientMsgID: id, ConversationID: conv, RecvID: "bob", Order: order, EnqueuedAt: 100 + order}
	}
	apply(t, s, &core.Changes{Outbox: []core.OutboxEntry{e("z", 1), e("b", 3), e("a", 3), e("c", 2)}})
	got := must(s.Outbox(ctx)).of(t)
	var order []string
	for _, x := range got {
		order = append(order, x.ClientMsgID)
	}
	if !eq(order, []string{"z", "c", "a", "b"}) {
		t.Errorf("Outbox order = %v, want [z c a b]", order)
	}
	if got[0] != e("z", 1) {
		t.Errorf("entry = %+v, want %+v", got[0], e("z", 1))
	}
	upd := e("c", 2)
	upd.Attempts, upd.LastError = 2, "rate_limited"
	apply(t, s, &core.Changes{Outbox: []core.OutboxEntry{upd, e("y", 9)}, RemovedOutbox: []string{"z", "y", "missing"}})
	got = must(s.Outbox(ctx)).of(t)
	order = order[:0]
	for _, x := range got {
		order = append(order, x.ClientMsgID)
	}
	if !eq(order, []string{"c", "a", "b"}) {
		t.Errorf("Outbox after removal = %v, want [c a b] (removals win over upserts in one batch)", order)
	}
	if got[0] != upd {
		t.Errorf("updated entry = %+v, want %+v", got[0], upd)
	}
}

func testCursor(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "cursor")
	defer s.Close()
	c := int64(42)
	apply(t, s, &core.Changes{Cursor: &c, Messages: []core.Message{msg(conv, 1, "m1")}})
	apply(t, s, &core.Changes{Messages: []core.Message{msg(conv, 2, "m2")}})
	got, ok, err := s.SyncCursor(ctx)
	if err != nil || !ok || got != 42 {
		t.Errorf("SyncCursor = %d, %v, %v; want 42, true", got, ok, err)
	}
	zero := int64(0)
	apply(t, s, &core.Changes{Cursor: &zero})
	got, ok, err = s.SyncCursor(ctx)
	if err != nil || !ok || got != 0 {
		t.Errorf("SyncCursor after storing 0 = %d, %v, %v; want 0, true", got, ok, err)
	}
}

func fullBatch(n int) *core.Changes {
	cur := int64(n)
	ch := &core.Changes{
		Users:         []core.User{{UserID: "bob", Nickname: "Bob"}},
		Friends:       []core.User{{UserID: "bob", Nickname: "Bob"}},
		Groups:        []core.Group{{GroupID: "g1", Name: "G"}},
		Conversations: []core.Conversation{{ConversationID: conv, MaxSeq: int64(n), LocalMaxSeq: int64(n)}},
		Outbox:        []core.OutboxEntry{{ClientMsgID: "o1", ConversationID: conv, Order: 1}},
		Cursor:        &cur,
	}
	for i := 1; i <= n; i++ {
		ch.Messages = append(ch.Messages, msg(conv, int64(i), "m"+strconv.Itoa(i)))
	}
	return ch
}

type snapshot struct {
	users, friends []core.User
	groups         []core.Group
	convs          []core.Conversation
	msgs           []core.Message
	outbox         []core.OutboxEntry
	cursor         int64
	hasCursor      bool
}

func snap(t *testing.T, s core.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var sn snapshot
	sn.users = must(s.Users(ctx, []string{"bob"})).of(t)
	sn.friends = must(s.Friends(ctx)).of(t)
	sn.groups = must(s.Groups(ctx)).of(t)
	sn.convs = must(s.Conversations(ctx)).of(t)
	sn.msgs = must(s.MessagesBySeq(ctx, conv, 0, 1<<62)).of(t)
	sn.outbox = must(s.Outbox(ctx)).of(t)
	var err error
	sn.cursor, sn.hasCursor, err = s.SyncCursor(ctx)
	if err != nil {
		t.Fatalf("SyncCursor: %v", err)
	}
	return sn
}

func (a snapshot) equal(b snapshot) bool {
	if len(a.convs) != len(b.convs) || len(a.msgs) != len(b.msgs) {
		return false
	}
	for i := range a.convs {
		x, y := a.convs[i], b.convs[i]
		x.LatestMessage, y.LatestMessage = nil, nil
		if x != y {
			return false
		}
	}
	for i := range a.msgs {
		if a.msgs[i].ClientMsgID != b.msgs[i].ClientMsgID || a.msgs[i].Seq != b.msgs[i].Seq || a.msgs[i].Text != b.msgs[i].Text {
			return false
		}
	}
	return eq(a.users, b.users) && eq(a.friends, b.friends) && eq(a.groups, b.groups) &&
		eq(a.outbox, b.outbox) && a.cursor == b.cursor && a.hasCursor == b.hasCursor
}

func testApplyTwice(t *testing.T, open Opener) {
	s := open(t, "twice")
	defer s.Close()
	apply(t, s, fullBatch(20))
	once := snap(t, s)
	apply(t, s, fullBatch(20))
	if twice := snap(t, s); !once.equal(twice) {
		t.Errorf("applying a batch twice changed the store:\nonce  %+v\ntwice %+v", once, twice)
	}
	if len(once.msgs) != 20 || once.cursor != 20 || len(once.outbox) != 1 {
		t.Errorf("batch not fully applied: %d messages, cursor %d, %d outbox", len(once.msgs), once.cursor, len(once.outbox))
	}
}

func testLargeBatch(t *testing.T, open Opener) {
	s := open(t, "large")
	defer s.Close()
	apply(t, s, fullBatch(1000))
	got := must(s.MessagesBySeq(context.Background(), conv, 1, 1000)).of(t)
	if len(got) != 1000 {
		t.Fatalf("got %d messages, want 1000", len(got))
	}
	for i, m := range got {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
}

func testReopen(t *testing.T, open Opener) {
	s := open(t, "reopen")
	apply(t, s, fullBatch(5))
	before := snap(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, "reopen")
	defer s.Close()
	if after := snap(t, s); !before.equal(after) {
		t.Errorf("reopened store differs:\nbefore %+v\nafter  %+v", before, after)
	}
	// Writes after reopening work and last.
	apply(t, s, &core.Changes{Messages: []core.Message{msg(conv, 6, "m6")}})
	if got := must(s.MessagesBySeq(context.Background(), conv, 6, 6)).of(t); len(got) != 1 {
		t.Errorf("write after reopen not visible: %v", got)
	}
}

func testIndependent(t *testing.T, open Opener) {
	a := open(t, "indep-a")
	defer a.Close()
	b := open(t, "indep-b")
	defer b.Close()
	apply(t, a, fullBatch(3))
	if sn := snap(t, b); len(sn.msgs) != 0 || sn.hasCursor || len(sn.convs) != 0 || len(sn.outbox) != 0 {
		t.Errorf("store b sees store a's data: %+v", sn)
	}
}

func testClosed(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "closed")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	check := func(name string, err error) {
		if !errors.Is(err, core.ErrStoreClosed) {
			t.Errorf("%s after Close: err = %v, want ErrStoreClosed", name, err)
		}
	}
	_, err := s.Users(ctx, []string{"a"})
	check("Users", err)
	_, err = s.Friends(ctx)
	check("Friends", err)
	_, err = s.Groups(ctx)
	check("Groups", err)
	_, err = s.Conversation(ctx, conv)
	check("Conversation", err)
	_, err = s.Conversations(ctx)
	check("Conversations", err)
	_, err = s.ConversationPage(ctx, 0, 10)
	check("ConversationPage", err)
	_, err = s.MessagesBySeq(ctx, conv, 1, 2)
	check("MessagesBySeq", err)
	_, err = s.Messages(ctx, []string{"a"})
	check("Messages", err)
	_, err = s.UnsentMessages(ctx, conv)
	check("UnsentMessages", err)
	_, err = s.Outbox(ctx)
	check("Outbox", err)
	_, _, err = s.SyncCursor(ctx)
	check("SyncCursor", err)
	check("Apply", s.Apply(ctx, fullBatch(1)))
}

func testCanceledApply(t *testing.T, open Opener) {
	s := open(t, "canceled")
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Apply(ctx, fullBatch(10))
	sn := snap(t, s)
	// Atomicity: all of the batch or none of it.
	if err != nil {
		if len(sn.msgs) != 0 || sn.hasCursor || len(sn.convs) != 0 || len(sn.outbox) != 0 || len(sn.friends) != 0 {
			t.Errorf("failed Apply left part of the batch: %+v", sn)
		}
	} else if len(sn.msgs) != 10 || !sn.hasCursor || len(sn.outbox) != 1 {
		t.Errorf("successful Apply left out part of the batch: %+v", sn)
	}
}

func testConcurrent(t *testing.T, open Opener) {
	s := open(t, "concurrent")
	defer s.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				seq := int64(w*25 + i + 1)
				m := msg(conv, seq, "c"+strconv.FormatInt(seq, 10))
				if err := s.Apply(ctx, &core.Changes{Messages: []core.Message{m}}); err != nil {
					errs <- err
					return
				}
				if _, err := s.MessagesBySeq(ctx, conv, 1, 100); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use: %v", err)
	}
	if got := must(s.MessagesBySeq(ctx, conv, 1, 100)).of(t); len(got) != 100 {
		t.Errorf("after concurrent writes: %d messages, want 100", len(got))
	}
}

// sameMsg compares every field of two messages.
func sameMsg(a, b core.Message) bool {
	return a.ClientMsgID == b.ClientMsgID && a.ServerMsgID == b.ServerMsgID &&
		a.ConversationID == b.ConversationID && a.Seq == b.Seq && a.SendID == b.SendID &&
		a.RecvID == b.RecvID && a.GroupID == b.GroupID && a.SessionType == b.SessionType &&
		a.ContentType == b.ContentType && a.Text == b.Text && string(a.Content) == string(b.Content) &&
		a.SendTime == b.SendTime && a.CreateTime == b.CreateTime && a.Status == b.Status &&
		a.ErrorCode == b.ErrorCode
}

// testRemovedMessages: removed messages are gone by ID and by seq, after
// the batch's upserts, and unknown IDs are ignored.
func testRemovedMessages(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "removed-messages")
	defer s.Close()
	apply(t, s, &core.Changes{Messages: []core.Message{msg(conv, 1, "m1"), msg(conv, 2, "m2"), msg(conv, 3, "m3")}})
	apply(t, s, &core.Changes{
		Messages:        []core.Message{msg(conv, 4, "m4"), msg(conv, 5, "m5")},
		RemovedMessages: []string{"m1", "m2", "m4", "nope"},
	})
	if got := must(s.MessagesBySeq(ctx, conv, 1, 10)).of(t); !eq(seqs(got), []int64{3, 5}) {
		t.Errorf("MessagesBySeq after removal = %v, want [3 5]", seqs(got))
	}
	if got := must(s.Messages(ctx, []string{"m1", "m2", "m3", "m4"})).of(t); !eq(ids(got), []string{"m3"}) {
		t.Errorf("Messages after removal = %v, want [m3]", ids(got))
	}
	// A removed message may be stored again.
	apply(t, s, &core.Changes{Messages: []core.Message{msg(conv, 1, "m1")}})
	if got := must(s.MessagesBySeq(ctx, conv, 1, 1)).of(t); len(got) != 1 {
		t.Errorf("stored again: %v", ids(got))
	}
}
