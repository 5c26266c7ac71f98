// Package storetest is the conformance suite every store.Store
// implementation runs: SQLite and PostgreSQL.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"parley/protocol"
	"parley/server/store"
)

// Run runs the suite. open must return an empty store; Run closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"Secrets", testSecrets},
		{"AppendSingle", testAppendSingle},
		{"AppendDuplicates", testAppendDuplicates},
		{"AppendGroup", testAppendGroup},
		{"AppendConcurrent", testAppendConcurrent},
		{"AppendBatch", testAppendBatch},
		{"AppendLargeBatch", testAppendLargeBatch},
		{"AppendFailedBatch", testAppendFailedBatch},
		{"Messages", testMessages},
		{"ChangedConversations", testChanged},
		{"UpdateConversation", testUpdateConversation},
		{"Friends", testFriends},
		{"FriendLifecycle", testFriendLifecycle},
		{"BlockList", testBlockList},
		{"Profiles", testProfiles},
		{"Search", testSearch},
		{"Accounts", testAccounts},
		{"SocialVersions", testSocialVersions},
		{"Friend", testFriend},
		{"Groups", testGroups},
		{"Blocks", testBlocks},
		{"RemoveGroupMember", testRemoveGroupMember},
		{"GroupAdmin", testGroupAdmin},
		{"AddGroupMembers", testAddGroupMembers},
		{"DismissGroup", testDismissGroup},
		{"GroupMemberChanges", testGroupMemberChanges},
		{"GroupApplications", testGroupApplications},
		{"ApplicationChanges", testApplicationChanges},
		{"PromotionApplications", testPromotionApplications},
		{"Webhooks", testWebhooks},
		{"OfflinePushes", testOfflinePushes},
		{"PresenceNodes", testPresenceNodes},
		{"Moderation", testModeration},
		{"Uploads", testUploads},
		{"ChangeMessage", testChangeMessage},
		{"ChangeMessageGroup", testChangeMessageGroup},
		{"ClearConversation", testClearConversation},
		{"DeleteForUser", testDeleteForUser},
		{"PinnedMessages", testPinnedMessages},
		{"PeerReadSeq", testPeerReadSeq},
		{"Reactions", testReactions},
		{"GroupReads", testGroupReads},
		{"MuteConversation", testMuteConversation},
		{"HideConversation", testHideConversation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

func addUsers(t *testing.T, s store.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		must(t, s.CreateUser(context.Background(), &store.User{UserID: id, Nickname: "N" + id, CreateTime: 1}))
	}
}

func text(s string) []byte { return []byte(`{"text":"` + s + `"}`) }

func single(from, to, clientID string, at int64) store.NewMessage {
	return store.NewMessage{ClientMsgID: clientID, ServerMsgID: "s-" + from + "-" + clientID, SendID: from, RecvID: to,
		ContentType: protocol.ContentText, Content: text(clientID), SendTime: at, CreateTime: at - 1}
}

func group(from, gid, clientID string, at int64) store.NewMessage {
	return store.NewMessage{ClientMsgID: clientID, ServerMsgID: "s-" + from + "-" + clientID, SendID: from, GroupID: gid,
		ContentType: protocol.ContentText, Content: text(clientID), SendTime: at}
}

func append1(t *testing.T, s store.Store, m store.NewMessage) store.AppendResult {
	t.Helper()
	res, err := s.AppendMessages(context.Background(), []store.NewMessage{m})
	must(t, err)
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	return res[0]
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateUser(ctx, &store.User{UserID: "u1", Username: "alice", PasswordHash: []byte("h"), Nickname: "Alice", CreateTime: 5}))
	must(t, s.CreateUser(ctx, &store.User{UserID: "u2", Nickname: "Bob"}))
	wantErr(t, s.CreateUser(ctx, &store.User{UserID: "u1"}), store.ErrExists)
	wantErr(t, s.CreateUser(ctx, &store.User{UserID: "u3", Username: "alice"}), store.ErrExists)
	// Several users without a username are fine.
	must(t, s.CreateUser(ctx, &store.User{UserID: "u4"}))

	u, err := s.User(ctx, "u1")
	must(t, err)
	if u.Username != "alice" || string(u.PasswordHash) != "h" || u.Nickname != "Alice" || u.CreateTime != 5 || u.TokenGeneration != 0 {
		t.Fatalf("user %+v", u)
	}
	_, err = s.User(ctx, "nobody")
	wantErr(t, err, store.ErrNotFound)
	u, err = s.UserByUsername(ctx, "alice")
	must(t, err)
	if u.UserID != "u1" {
		t.Fatalf("by name %+v", u)
	}
	_, err = s.UserByUsername(ctx, "bob")
	wantErr(t, err, store.ErrNotFound)

	us, err := s.Users(ctx, []string{"u2", "nobody", "u1"})
	must(t, err)
	var ids []string
	for _, u := range us {
		ids = append(ids, u.UserID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"u1", "u2"}) {
		t.Fatalf("users %v", ids)
	}

	face := "f.png"
	u, err = s.UpdateProfile(ctx, "u1", nil, &face)
	must(t, err)
	if u.Nickname != "Alice" || u.FaceURL != "f.png" {
		t.Fatalf("updated %+v", u)
	}
	_, err = s.UpdateProfile(ctx, "nobody", &face, nil)
	wantErr(t, err, store.ErrNotFound)
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "u1")
	ok, err := s.TokenRevoked(ctx, "t1")
	must(t, err)
	if ok {
		t.Fatal("revoked before RevokeToken")
	}
	must(t, s.RevokeToken(ctx, "t1", "u1", 1<<62))
	must(t, s.RevokeToken(ctx, "t1", "u1", 1<<62)) // twice is fine
	if ok, err = s.TokenRevoked(ctx, "t1"); err != nil || !ok {
		t.Fatalf("revoked = %v, %v", ok, err)
	}
	g, err := s.BumpTokenGeneration(ctx, "u1")
	must(t, err)
	g2, err := s.BumpTokenGeneration(ctx, "u1")
	must(t, err)
	if g != 1 || g2 != 2 {
		t.Fatalf("generations %d, %d", g, g2)
	}
	u, err := s.User(ctx, "u1")
	must(t, err)
	if u.TokenGeneration != 2 {
		t.Fatalf("user generation %d", u.TokenGeneration)
	}
	_, err = s.BumpTokenGeneration(ctx, "nobody")
	wantErr(t, err, store.ErrNotFound)
}

func testSecrets(t *testing.T, s store.Store) {
	ctx := context.Background()
	calls := 0
	gen := func() ([]byte, error) { calls++; return []byte(fmt.Sprint("secret", calls)), nil }
	a, err := s.Secret(ctx, "k", gen)
	must(t, err)
	b, err := s.Secret(ctx, "k", gen)
	must(t, err)
	if string(a) != "secret1" || string(b) != "secret1" || calls != 1 {
		t.Fatalf("secrets %q %q after %d calls", a, b, calls)
	}
	_, err = s.Secret(ctx, "other", func() ([]byte, error) { return nil, errors.New("boom") })
	if err == nil {
		t.Fatal("generator error ignored")
	}
}

func testAppendSingle(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	conv := protocol.SingleConversationID("a", "b")
	res, err := s.AppendMessages(ctx, []store.NewMessage{single("b", "a", "1", 100), single("a", "b", "2", 101)})
	must(t, err)
	for i, r := range res {
		if r.Err != nil || r.Duplicate || r.Message.Seq != int64(i+1) || r.Message.ConversationID != conv ||
			r.Message.SessionType != protocol.SessionSingle {
			t.Fatalf("result %d: %+v", i, r)
		}
		rec := slices.Sorted(slices.Values(r.Recipients))
		if !slices.Equal(rec, []string{"a", "b"}) {
			t.Fatalf("recipients %v", r.Recipients)
		}
	}
	r := append1(t, s, single("a", "b", "3", 102))
	if r.Message.Seq != 3 {
		t.Fatalf("third seq %d", r.Message.Seq)
	}

	for _, u := range []string{"a", "b"} {
		st, err := s.Conversation(ctx, u, conv)
		must(t, err)
		if st.MaxSeq != 3 || st.MinSeq != 1 || st.SessionType != protocol.SessionSingle || st.UpdatedAt != 102 ||
			st.LatestMessage == nil || st.LatestMessage.ClientMsgID != "3" || string(st.LatestMessage.Content) != string(text("3")) {
			t.Fatalf("%s's state %+v", u, st)
		}
		// The sender's read seq follows their own messages.
		wantRead := map[string]int64{"a": 3, "b": 1}[u]
		if st.ReadSeq != wantRead {
			t.Fatalf("%s read seq %d, want %d", u, st.ReadSeq, wantRead)
		}
		wantPeer := map[string]string{"a": "b", "b": "a"}[u]
		if st.PeerUserID != wantPeer {
			t.Fatalf("%s peer %q", u, st.PeerUserID)
		}
	}
	// Messages to oneself.
	r = append1(t, s, single("a", "a", "self", 103))
	if r.Message.ConversationID != protocol.SingleConversationID("a", "a") || r.Message.Seq != 1 || !slices.Equal(r.Recipients, []string{"a"}) {
		t.Fatalf("self message %+v", r)
	}
}

func testAppendDuplicates(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	first := append1(t, s, single("a", "b", "x", 100))
	dup := single("a", "b", "x", 200)
	dup.ServerMsgID = "another"
	res, err := s.AppendMessages(ctx, []store.NewMessage{dup, single("a", "b", "y", 201), single("a", "b", "y", 202)})
	must(t, err)
	if !res[0].Duplicate || res[0].Message.Seq != first.Message.Seq || res[0].Message.ServerMsgID != first.Message.ServerMsgID ||
		res[0].Message.SendTime != 100 || len(res[0].Recipients) != 0 {
		t.Fatalf("duplicate %+v", res[0])
	}
	if res[1].Duplicate || res[1].Message.Seq != 2 || !res[2].Duplicate || res[2].Message.Seq != 2 {
		t.Fatalf("in-batch duplicate: %+v / %+v", res[1], res[2])
	}
	// The same client ID from another sender is another message.
	if r := append1(t, s, single("b", "a", "x", 300)); r.Duplicate || r.Message.Seq != 3 {
		t.Fatalf("other sender %+v", r)
	}
	msgs, err := s.Messages(ctx, first.Message.ConversationID, 1, 0, 100, false)
	must(t, err)
	if len(msgs) != 3 {
		t.Fatalf("%d stored", len(msgs))
	}
}

func testAppendGroup(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "m", "x")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "o", MemberUserIDs: []string{"m"}, CreateTime: 10})
	must(t, err)
	res, err := s.AppendMessages(ctx, []store.NewMessage{group("x", "g1", "no", 20), group("m", "g1", "yes", 21), group("o", "nogroup", "n", 22)})
	must(t, err)
	wantErr(t, res[0].Err, store.ErrNotMember)
	wantErr(t, res[2].Err, store.ErrNotMember)
	r := res[1]
	if r.Err != nil || r.Message.Seq != 1 || r.Message.ConversationID != "sg_g1" || r.Message.SessionType != protocol.SessionGroup ||
		!slices.Equal(slices.Sorted(slices.Values(r.Recipients)), []string{"m", "o"}) {
		t.Fatalf("group message %+v", r)
	}
	st, err := s.Conversation(ctx, "o", "sg_g1")
	must(t, err)
	if st.MaxSeq != 1 || st.ReadSeq != 0 || st.GroupID != "g1" {
		t.Fatalf("owner state %+v", st)
	}
	if _, err := s.Conversation(ctx, "x", "sg_g1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("non-member state: %v", err)
	}
}

func testAppendConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var seqs []int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				res, err := s.AppendMessages(ctx, []store.NewMessage{single("a", "b", fmt.Sprint(w, "-", i), 1)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seqs = append(seqs, res[0].Message.Seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("seqs %v", seqs)
		}
	}
}

// testAppendBatch: one batch across several conversations, with
// several messages in one, stores each as if it had been appended alone:
// dense seqs per conversation in batch order, each sender's read seq at
// their last message, and every member's states with distinct versions in
// the order sync pages them.
func testAppendBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c", "m")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g", Name: "G", OwnerUserID: "a", MemberUserIDs: []string{"b", "m"}, CreateTime: 1})
	must(t, err)
	ab, ac := protocol.SingleConversationID("a", "b"), protocol.SingleConversationID("a", "c")
	res, err := s.AppendMessages(ctx, []store.NewMessage{
		single("b", "a", "1", 10), single("c", "a", "2", 11), group("m", "g", "3", 12), single("a", "b", "4", 13),
		group("b", "g", "5", 14), single("b", "a", "6", 15), group("a", "g", "7", 16), single("a", "a", "8", 17),
	})
	must(t, err)
	want := []struct {
		conv string
		seq  int64
	}{{ab, 1}, {ac, 1}, {"sg_g", 1}, {ab, 2}, {"sg_g", 2}, {ab, 3}, {"sg_g", 3}, {protocol.SingleConversationID("a", "a"), 1}}
	for i, w := range want {
		if r := res[i]; r.Err != nil || r.Duplicate || r.Message.ConversationID != w.conv || r.Message.Seq != w.seq {
			t.Fatalf("result %d: %+v, want %s seq %d", i, r, w.conv, w.seq)
		}
	}
	if rec := slices.Sorted(slices.Values(res[4].Recipients)); !slices.Equal(rec, []string{"a", "b", "m"}) {
		t.Fatalf("group recipients %v", res[4].Recipients)
	}
	read := map[string]map[string]int64{
		"a": {ab: 2, ac: 0, "sg_g": 3, protocol.SingleConversationID("a", "a"): 1},
		"b": {ab: 3, "sg_g": 2},
		"c": {ac: 1},
		"m": {"sg_g": 1},
	}
	for u, convs := range read {
		all, err := s.ChangedConversations(ctx, u, 0, 100)
		must(t, err)
		if len(all) != len(convs) {
			t.Fatalf("%s: %d conversations, want %d", u, len(all), len(convs))
		}
		for i, st := range all {
			if i > 0 && st.Version <= all[i-1].Version {
				t.Fatalf("%s: versions not strictly ascending: %+v", u, all)
			}
			if st.ReadSeq != convs[st.ConversationID] {
				t.Fatalf("%s: %s read seq %d, want %d", u, st.ConversationID, st.ReadSeq, convs[st.ConversationID])
			}
			if st.LatestMessage == nil || st.LatestMessage.Seq != st.MaxSeq {
				t.Fatalf("%s: %s latest %+v", u, st.ConversationID, st.LatestMessage)
			}
		}
		// A page boundary between any two of them loses nothing.
		page, err := s.ChangedConversations(ctx, u, all[0].Version, 100)
		must(t, err)
		if len(page) != len(all)-1 {
			t.Fatalf("%s: %d after the first, want %d", u, len(page), len(all)-1)
		}
	}
}

// testAppendLargeBatch: a batch of more messages, conversations and users
// than a store handles in one statement (the committer's largest batch is
// 256) is stored as if appended one by one, and sent again it comes back
// whole as duplicates with the same seqs.
func testAppendLargeBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	const pairs = 90
	var users []string
	for i := range 2 * pairs {
		users = append(users, fmt.Sprintf("u%03d", i))
	}
	addUsers(t, s, users...)
	var msgs []store.NewMessage
	for i := range 256 {
		p := i % pairs
		from, to := users[2*p], users[2*p+1]
		if i/pairs == 1 {
			from, to = to, from
		}
		msgs = append(msgs, single(from, to, fmt.Sprint("c", i), int64(10+i)))
	}
	res, err := s.AppendMessages(ctx, msgs)
	must(t, err)
	for i, r := range res {
		if want := int64(1 + i/pairs); r.Err != nil || r.Duplicate || r.Message.Seq != want {
			t.Fatalf("result %d: %+v, want seq %d", i, r, want)
		}
	}
	again, err := s.AppendMessages(ctx, msgs)
	must(t, err)
	for i, r := range again {
		if !r.Duplicate || r.Message.Seq != res[i].Message.Seq || r.Message.ServerMsgID != res[i].Message.ServerMsgID {
			t.Fatalf("resent %d: %+v, first %+v", i, r, res[i])
		}
	}
	// Each user is in one conversation of the batch: one version bump.
	for k, u := range users {
		p := k / 2
		wantMax := int64(0)
		for i := p; i < len(msgs); i += pairs {
			wantMax++
		}
		all, err := s.ChangedConversations(ctx, u, 0, 100)
		must(t, err)
		if len(all) != 1 || all[0].Version != 1 || all[0].MaxSeq != wantMax {
			t.Fatalf("%s: %+v, want version 1, max seq %d", u, all, wantMax)
		}
	}
}

// testAppendFailedBatch: a batch whose transaction fails stores nothing,
// not even the conversations it would have created, and the next batch to
// the same conversations works.
func testAppendFailedBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c")
	ok := single("a", "b", "1", 10)
	clash := single("c", "a", "2", 11)
	clash.ServerMsgID = ok.ServerMsgID // server IDs are unique: the batch fails
	if _, err := s.AppendMessages(ctx, []store.NewMessage{ok, clash}); err == nil {
		t.Fatal("a batch reusing a server message ID was stored")
	}
	for _, u := range []string{"a", "b"} {
		if _, err := s.Conversation(ctx, u, protocol.SingleConversationID("a", "b")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s's state after a failed batch: %v", u, err)
		}
	}
	res, err := s.AppendMessages(ctx, []store.NewMessage{ok, single("c", "a", "2", 12)})
	must(t, err)
	for i, r := range res {
		if r.Err != nil || r.Duplicate || r.Message.Seq != 1 {
			t.Fatalf("result %d after a failed batch: %+v", i, r)
		}
	}
	for _, u := range []string{"a", "b"} {
		st, err := s.Conversation(ctx, u, protocol.SingleConversationID("a", "b"))
		must(t, err)
		if st.MaxSeq != 1 || st.LatestMessage == nil || st.LatestMessage.ClientMsgID != "1" {
			t.Fatalf("%s's state %+v", u, st)
		}
	}
}

func testMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	for i := range 10 {
		append1(t, s, single("a", "b", fmt.Sprint(i), int64(i)))
	}
	conv := protocol.SingleConversationID("a", "b")
	seqs := func(from, to int64, limit int, latest bool) []int64 {
		t.Helper()
		ms, err := s.Messages(ctx, conv, from, to, limit, latest)
		must(t, err)
		var out []int64
		for _, m := range ms {
			out = append(out, m.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		from, to int64
		limit    int
		latest   bool
		want     []int64
	}{
		{1, 0, 3, false, []int64{1, 2, 3}},
		{1, 0, 3, true, []int64{8, 9, 10}},
		{3, 5, 10, false, []int64{3, 4, 5}},
		{3, 5, 2, true, []int64{4, 5}},
		{11, 0, 5, false, nil},
		{5, 4, 5, false, nil},
		{1, 0, 0, false, nil},
	} {
		if got := seqs(tc.from, tc.to, tc.limit, tc.latest); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: got %v", tc, got)
		}
	}
	ms, err := s.Messages(ctx, "si_nobody_none", 1, 0, 10, false)
	must(t, err)
	if len(ms) != 0 {
		t.Fatal("messages of a missing conversation")
	}
}

func testChanged(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c", "d")
	append1(t, s, single("b", "a", "1", 1))
	append1(t, s, single("c", "a", "2", 2))
	append1(t, s, single("d", "a", "3", 3))
	all, err := s.ChangedConversations(ctx, "a", 0, 100)
	must(t, err)
	if len(all) != 3 {
		t.Fatalf("%d conversations", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Version <= all[i-1].Version {
			t.Fatal("not in ascending version")
		}
	}
	// A new message moves its conversation to the end.
	append1(t, s, single("b", "a", "4", 4))
	after, err := s.ChangedConversations(ctx, "a", all[2].Version, 100)
	must(t, err)
	if len(after) != 1 || after[0].ConversationID != protocol.SingleConversationID("a", "b") || after[0].MaxSeq != 2 ||
		after[0].LatestMessage == nil || after[0].LatestMessage.Seq != 2 {
		t.Fatalf("after cursor %+v", after)
	}
	page, err := s.ChangedConversations(ctx, "a", 0, 2)
	must(t, err)
	if len(page) != 2 {
		t.Fatalf("limit: %d", len(page))
	}
	none, err := s.ChangedConversations(ctx, "nobody", 0, 10)
	must(t, err)
	if len(none) != 0 {
		t.Fatal("conversations of nobody")
	}
}

func testUpdateConversation(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "x")
	conv := protocol.SingleConversationID("a", "b")
	for i := range 3 {
		append1(t, s, single("a", "b", fmt.Sprint(i), 1))
	}
	before, err := s.Conversation(ctx, "b", conv)
	must(t, err)
	ptr := func(n int64) *int64 { return &n }
	st, changed, err := s.UpdateConversation(ctx, "b", conv, store.ConversationChange{ReadSeq: ptr(2)}, 50)
	must(t, err)
	if !changed || st.ReadSeq != 2 || st.Version <= before.Version || st.UpdatedAt != 50 {
		t.Fatalf("mark read 2: %+v changed=%v", st, changed)
	}
	st, changed, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{ReadSeq: ptr(1)}, 51)
	must(t, err)
	if changed || st.ReadSeq != 2 {
		t.Fatalf("read seq moved back: %+v", st)
	}
	st, changed, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{ReadSeq: ptr(99)}, 52)
	must(t, err)
	if !changed || st.ReadSeq != 3 {
		t.Fatalf("read seq past max: %+v", st)
	}
	pin, draft := true, "draft"
	st, changed, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{IsPinned: &pin, DraftText: &draft}, 53)
	must(t, err)
	if !changed || !st.IsPinned || st.DraftText != "draft" || st.LatestMessage == nil {
		t.Fatalf("pin+draft %+v", st)
	}
	got, err := s.Conversation(ctx, "b", conv)
	must(t, err)
	if got.ReadSeq != 3 || !got.IsPinned || got.DraftText != "draft" || got.Version != st.Version {
		t.Fatalf("stored %+v", got)
	}
	// The other side is unaffected.
	other, err := s.Conversation(ctx, "a", conv)
	must(t, err)
	if other.IsPinned || other.DraftText != "" {
		t.Fatalf("a's state changed: %+v", other)
	}
	// A single conversation with no messages is created on first change.
	st, changed, err = s.UpdateConversation(ctx, "a", protocol.SingleConversationID("a", "x"), store.ConversationChange{DraftText: &draft}, 60)
	must(t, err)
	if !changed || st.MaxSeq != 0 || st.PeerUserID != "x" || st.DraftText != "draft" {
		t.Fatalf("new conversation %+v", st)
	}
	// Not a participant.
	_, _, err = s.UpdateConversation(ctx, "x", conv, store.ConversationChange{IsPinned: &pin}, 61)
	wantErr(t, err, store.ErrNotMember)
	_, _, err = s.UpdateConversation(ctx, "x", "sg_nogroup", store.ConversationChange{IsPinned: &pin}, 61)
	wantErr(t, err, store.ErrNotMember)
}

func testFriends(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c")
	must(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "a", ToUserID: "b", Message: "hi", CreateTime: 1}))
	must(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "a", ToUserID: "b", Message: "hi again", CreateTime: 2}))
	must(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "c", ToUserID: "a", CreateTime: 3}))
	r, err := s.FriendRequest(ctx, "a", "b")
	must(t, err)
	if r.Message != "hi again" || r.State != protocol.FriendRequestPending || r.CreateTime != 2 {
		t.Fatalf("request %+v", r)
	}
	_, err = s.FriendRequest(ctx, "b", "a")
	wantErr(t, err, store.ErrNotFound)
	reqs, err := s.FriendRequests(ctx, "a", 10)
	must(t, err)
	if len(reqs) != 2 || reqs[0].FromUserID != "c" {
		t.Fatalf("requests of a: %+v", reqs)
	}

	wantErr(t, s.AcceptFriendRequest(ctx, "b", "a", 5), store.ErrNotFound)
	must(t, s.AcceptFriendRequest(ctx, "a", "b", 5))
	wantErr(t, s.AcceptFriendRequest(ctx, "a", "b", 6), store.ErrNotFound)
	for _, p := range [][2]string{{"a", "b"}, {"b", "a"}} {
		ok, err := s.AreFriends(ctx, p[0], p[1])
		must(t, err)
		if !ok {
			t.Fatalf("%v not friends", p)
		}
	}
	if ok, _ := s.AreFriends(ctx, "a", "c"); ok {
		t.Fatal("a and c are friends")
	}
	wantErr(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "b", ToUserID: "a", CreateTime: 7}), store.ErrExists)
	ids, err := s.FriendIDs(ctx, "b")
	must(t, err)
	if !slices.Equal(ids, []string{"a"}) {
		t.Fatalf("friends of b %v", ids)
	}
	reqs, err = s.FriendRequests(ctx, "b", 10)
	must(t, err)
	if len(reqs) != 0 {
		t.Fatalf("pending after accept: %+v", reqs)
	}
}

func testGroups(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "m1", "m2", "x")
	before, err := s.ChangedConversations(ctx, "m1", 0, 10)
	must(t, err)
	g, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", FaceURL: "f", OwnerUserID: "o",
		MemberUserIDs: []string{"m2", "m1", "m1", "o"}, CreateTime: 9})
	must(t, err)
	want := protocol.Group{GroupID: "g1", Name: "G", FaceURL: "f", OwnerUserID: "o", MemberCount: 3, CreateTime: 9, JoinPolicy: protocol.JoinPolicyApproval, MemberVersion: 1}
	if *g != want {
		t.Fatalf("created %+v", g)
	}
	got, err := s.Group(ctx, "g1")
	must(t, err)
	if *got != want {
		t.Fatalf("read %+v", got)
	}
	_, err = s.Group(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "again", OwnerUserID: "o"})
	wantErr(t, err, store.ErrExists)
	_, err = s.CreateGroup(ctx, store.NewGroup{GroupID: "g2", Name: "ghosts", OwnerUserID: "o", MemberUserIDs: []string{"ghost"}})
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.Group(ctx, "g2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("failed group was stored")
	}

	ms, err := s.GroupMembers(ctx, "g1")
	must(t, err)
	if len(ms) != 3 || ms[0].UserID != "o" || ms[0].Role != protocol.RoleOwner || ms[1].Role != protocol.RoleMember || ms[1].JoinTime != 9 {
		t.Fatalf("members %+v", ms)
	}
	m, err := s.GroupMember(ctx, "g1", "m2")
	must(t, err)
	if m.Role != protocol.RoleMember {
		t.Fatalf("member %+v", m)
	}
	_, err = s.GroupMember(ctx, "g1", "x")
	wantErr(t, err, store.ErrNotMember)

	gs, err := s.UserGroups(ctx, "m1")
	must(t, err)
	if want.MyRole = protocol.RoleMember; len(gs) != 1 || gs[0] != want {
		t.Fatalf("groups of m1 %+v", gs)
	}
	gs, err = s.UserGroups(ctx, "x")
	must(t, err)
	if len(gs) != 0 {
		t.Fatalf("groups of x %+v", gs)
	}
	// Every member sees the new, empty conversation in sync.
	after, err := s.ChangedConversations(ctx, "m1", 0, 10)
	must(t, err)
	if len(after) != len(before)+1 || after[len(after)-1].ConversationID != "sg_g1" || after[len(after)-1].MaxSeq != 0 ||
		after[len(after)-1].MinSeq != 1 || after[len(after)-1].LatestMessage != nil {
		t.Fatalf("sync after create %+v", after)
	}
}

func testBlocks(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c")
	is := func(owner, user string, want bool) {
		t.Helper()
		got, err := s.Blocked(ctx, owner, user)
		must(t, err)
		if got != want {
			t.Fatalf("Blocked(%s, %s) = %v", owner, user, got)
		}
	}
	is("a", "b", false)
	must(t, s.BlockUser(ctx, "a", "b", 1))
	must(t, s.BlockUser(ctx, "a", "b", 2)) // twice is fine
	is("a", "b", true)
	is("b", "a", false) // one direction only
	is("a", "c", false)
	must(t, s.UnblockUser(ctx, "a", "b"))
	must(t, s.UnblockUser(ctx, "a", "b"))
	is("a", "b", false)
}

func testRemoveGroupMember(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "m1", "m2")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "o", MemberUserIDs: []string{"m1", "m2"}, CreateTime: 1})
	must(t, err)
	append1(t, s, group("o", "g1", "k0", 2))
	// Each user has this one conversation: its version is their cursor.
	cursor := func(id string) int64 {
		st, err := s.Conversation(ctx, id, "sg_g1")
		must(t, err)
		return st.Version
	}
	m1Before, m2Before := cursor("m1"), cursor("m2")
	must(t, s.RemoveGroupMember(ctx, "g1", "m1"))
	_, err = s.GroupMember(ctx, "g1", "m1")
	wantErr(t, err, store.ErrNotMember)
	wantErr(t, s.RemoveGroupMember(ctx, "g1", "m1"), store.ErrNotMember)
	wantErr(t, s.RemoveGroupMember(ctx, "nope", "m2"), store.ErrNotMember)
	g, err := s.Group(ctx, "g1")
	must(t, err)
	if g.MemberCount != 2 {
		t.Fatalf("member count %d after removal", g.MemberCount)
	}
	m1Removed := cursor("m1")
	// A removed member's messages are refused; the others' still go in.
	rs, err := s.AppendMessages(ctx, []store.NewMessage{group("m1", "g1", "k1", 3), group("m2", "g1", "k2", 4)})
	must(t, err)
	if !errors.Is(rs[0].Err, store.ErrNotMember) || rs[1].Err != nil || rs[1].Message.Seq != 2 {
		t.Fatalf("append after removal: %+v", rs)
	}
	for _, r := range rs[1].Recipients {
		if r == "m1" {
			t.Fatalf("removed member is a recipient: %v", rs[1].Recipients)
		}
	}
	gs, err := s.UserGroups(ctx, "m1")
	must(t, err)
	if len(gs) != 0 {
		t.Fatalf("removed member still lists %+v", gs)
	}
	// The removed member's sync reports the removal once, stopped at the
	// last message they could read and without content; later messages do
	// not change it.
	if m1Removed <= m1Before {
		t.Fatalf("removal did not bump the removed member's version: %d -> %d", m1Before, m1Removed)
	}
	convs, err := s.ChangedConversations(ctx, "m1", m1Before, 10)
	must(t, err)
	if len(convs) != 1 {
		t.Fatalf("removed member syncs %+v, want the group's state", convs)
	}
	c := convs[0]
	if c.ConversationID != "sg_g1" || !c.Removed || c.Version != m1Removed || c.GroupVersion != m1Removed ||
		c.MaxSeq != 1 || c.LatestMessage != nil {
		t.Fatalf("removed member's state %+v", c)
	}
	if convs, err := s.ChangedConversations(ctx, "m1", m1Removed, 10); err != nil || len(convs) != 0 {
		t.Fatalf("removed member syncs %+v, %v after the removal", convs, err)
	}
	one, err := s.Conversation(ctx, "m1", "sg_g1")
	must(t, err)
	if !one.Removed || one.MaxSeq != 1 {
		t.Fatalf("removed member's conversation %+v", one)
	}
	pin := true
	_, _, err = s.UpdateConversation(ctx, "m1", "sg_g1", store.ConversationChange{IsPinned: &pin}, 5)
	wantErr(t, err, store.ErrNotMember)
	// A remaining member's sync reports the group changed (GroupVersion
	// past their cursor before the removal).
	convs, err = s.ChangedConversations(ctx, "m2", m2Before, 10)
	must(t, err)
	if len(convs) != 1 || convs[0].Removed || convs[0].GroupVersion <= m2Before || convs[0].MaxSeq != 2 {
		t.Fatalf("remaining member syncs %+v (cursor %d)", convs, m2Before)
	}
}
