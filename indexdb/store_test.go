//go:build js

package indexdb

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/storetest"
	"parley/protocol"
)

// prefix keeps database names of one run apart from any earlier run in the
// same browser profile.
func prefix(t *testing.T) string {
	return "test" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + t.Name()
}

func open(t *testing.T, name string, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), name, cfg)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	p := prefix(t)
	storetest.Run(t, func(t *testing.T, name string) core.Store {
		return open(t, DBName(p, name), Config{})
	})
}

func TestDBName(t *testing.T) {
	if got := DBName("", "alice"); got != "parley_alice" {
		t.Errorf("DBName default = %q", got)
	}
	if got := DBName("app", "alice"); got != "app_alice" {
		t.Errorf("DBName = %q", got)
	}
}

func msg(seq int64, id string, createTime int64) core.Message {
	m := core.Message{
		ClientMsgID: id, ConversationID: "si_a_b", Seq: seq, SendID: "a", RecvID: "b",
		SessionType: protocol.SessionSingle, ContentType: protocol.ContentText, Text: id,
		CreateTime: createTime, Status: core.StatusSent,
	}
	if seq == 0 {
		m.Status = core.StatusSending
	}
	return m
}

// TestSchemaUpgrade writes data with schema version 1, reopens with the
// current schema and checks that the data survived and that the indexes
// version 2 added cover the old records.
func TestSchemaUpgrade(t *testing.T) {
	ctx := context.Background()
	name := prefix(t)
	old := open(t, name, Config{version: 1})
	cur := int64(7)
	if err := old.Apply(ctx, &core.Changes{
		Messages: []core.Message{msg(1, "m1", 1), msg(2, "m2", 2), msg(0, "u2", 20), msg(0, "u1", 10)},
		Outbox: []core.OutboxEntry{
			{ClientMsgID: "u2", ConversationID: "si_a_b", Order: 2},
			{ClientMsgID: "u1", ConversationID: "si_a_b", Order: 1},
		},
		Conversations: []core.Conversation{
			{ConversationID: "si_a_b", UpdatedAt: 5},
			{ConversationID: "si_a_c", UpdatedAt: 9},
			{ConversationID: "sg_g", UpdatedAt: 1, IsPinned: true},
		},
		Cursor: &cur,
	}); err != nil {
		t.Fatalf("Apply on v1: %v", err)
	}
	// Version 1 has no unsent index: the read fails cleanly.
	if _, err := old.UnsentMessages(ctx, "si_a_b"); err == nil {
		t.Fatal("UnsentMessages on schema v1 succeeded; the test does not test an upgrade")
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, name, Config{})
	un, err := s.UnsentMessages(ctx, "si_a_b")
	if err != nil || len(un) != 2 || un[0].ClientMsgID != "u1" || un[1].ClientMsgID != "u2" {
		t.Fatalf("UnsentMessages after upgrade = %+v, %v", un, err)
	}
	ob, err := s.Outbox(ctx)
	if err != nil || len(ob) != 2 || ob[0].ClientMsgID != "u1" {
		t.Fatalf("Outbox after upgrade = %+v, %v", ob, err)
	}
	cs, err := s.ConversationPage(ctx, 0, 0)
	if err != nil || len(cs) != 3 || cs[0].ConversationID != "sg_g" || cs[1].ConversationID != "si_a_c" || cs[2].ConversationID != "si_a_b" {
		t.Fatalf("ConversationPage after upgrade = %+v, %v", cs, err)
	}
	ms, err := s.MessagesBySeq(ctx, "si_a_b", 1, 10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("MessagesBySeq after upgrade = %+v, %v", ms, err)
	}
	if c, ok, err := s.SyncCursor(ctx); c != 7 || !ok || err != nil {
		t.Fatalf("SyncCursor after upgrade = %d %v %v", c, ok, err)
	}
	// Schema 7 made search records of the sent messages stored before it.
	total, found, err := s.SearchMessages(ctx, core.SearchQuery{Keyword: "M", Count: 10})
	if err != nil || total != 2 || len(found) != 2 {
		t.Fatalf("SearchMessages after upgrade = %d %+v, %v", total, found, err)
	}
	// Schema 8 made the store of group applications.
	app := core.GroupApplication{GroupID: "g", UserID: "u", State: "pending", CreateTime: 3}
	if err := s.Apply(ctx, &core.Changes{GroupApplications: []core.GroupApplication{app}}); err != nil {
		t.Fatalf("Apply of an application after upgrade: %v", err)
	}
	if as, err := s.GroupApplications(ctx); err != nil || len(as) != 1 || as[0] != app {
		t.Fatalf("GroupApplications after upgrade = %+v, %v", as, err)
	}
}

// TestSchemaUpgradeListKeys stores conversation records as schema version
// 2 wrote them (no _list key, an _order key) and checks that version 3
// gives every one its place in the list's order.
func TestSchemaUpgradeListKeys(t *testing.T) {
	ctx := context.Background()
	name := prefix(t)
	old := open(t, name, Config{version: 2})
	tx, err := old.db.Transaction(idb.TransactionReadWrite, storeConversations)
	if err != nil {
		t.Fatal(err)
	}
	os, err := tx.ObjectStore(storeConversations)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []string{
		// Ordered by updatedAt these would be b, c, a, d; by the latest
		// message's time (updatedAt without one) they are d (pinned), a, c, b.
		`{"conversationID":"a","updatedAt":50,"latestMessage":{"clientMsgID":"x","sendTime":900},"isPinned":false,"unreadCount":3,"_order":[0,50]}`,
		`{"conversationID":"b","updatedAt":300,"latestMessage":{"clientMsgID":"y","sendTime":100},"isPinned":false,"_order":[0,300]}`,
		`{"conversationID":"c","updatedAt":200,"latestMessage":null,"isPinned":false,"_order":[0,200]}`,
		`{"conversationID":"d","updatedAt":10,"isPinned":true,"_order":[1,10]}`,
	} {
		if _, err := os.Put(js.Global().Get("JSON").Call("parse", rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Await(ctx); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, name, Config{})
	cs, err := s.ConversationPage(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.ConversationID)
	}
	if want := []string{"d", "a", "c", "b"}; !slices.Equal(got, want) {
		t.Fatalf("ConversationPage after upgrade = %v, want %v", got, want)
	}
	if cs[1].UnreadCount != 3 || cs[1].LatestMessage == nil || cs[1].LatestMessage.SendTime != 900 {
		t.Errorf("record after upgrade = %+v", cs[1])
	}
	if cs, err := s.ConversationPage(ctx, 1, 2); err != nil || len(cs) != 2 || cs[0].ConversationID != "a" || cs[1].ConversationID != "c" {
		t.Errorf("ConversationPage(1, 2) after upgrade = %+v, %v", cs, err)
	}
}

// TestDowngradeFails opens a database with an older schema than it has:
// IndexedDB refuses, and Open must return that as an error, not hang.
func TestDowngradeFails(t *testing.T) {
	name := prefix(t)
	s := open(t, name, Config{})
	s.Close()
	if _, err := Open(context.Background(), name, Config{version: 1}); err == nil {
		t.Fatal("opening with an older schema version succeeded")
	}
	// The database is still usable with the right version.
	open(t, name, Config{})
}

func TestDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, prefix(t), Config{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a canceled context: %v", err)
	}
	s := open(t, prefix(t)+"b", Config{})
	if _, err := s.Conversations(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a canceled context: %v", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	// Open, write, close and reopen several times in a row, as logout and
	// login do.
	ctx := context.Background()
	name := prefix(t)
	for i := 1; i <= 3; i++ {
		s := open(t, name, Config{})
		if err := s.Apply(ctx, &core.Changes{Messages: []core.Message{msg(int64(i), "m"+strconv.Itoa(i), int64(i))}}); err != nil {
			t.Fatal(err)
		}
		ms, err := s.MessagesBySeq(ctx, "si_a_b", 1, 100)
		if err != nil || len(ms) != i {
			t.Fatalf("round %d: %d messages, %v", i, len(ms), err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCustomContentBytes(t *testing.T) {
	ctx := context.Background()
	s := open(t, prefix(t), Config{})
	m := msg(1, "c1", 1)
	m.ContentType = protocol.ContentCustom
	m.Text = ""
	// Integer-like keys would be reordered by a JS object.
	m.Content = []byte(`{"b":1,"2":"x","1":[true]}`)
	conv := core.Conversation{ConversationID: "si_a_b", LatestMessage: &m}
	if err := s.Apply(ctx, &core.Changes{Messages: []core.Message{m}, Conversations: []core.Conversation{conv}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Messages(ctx, []string{"c1"})
	if err != nil || len(got) != 1 || string(got[0].Content) != string(m.Content) {
		t.Fatalf("content = %+v, %v", got, err)
	}
	c, err := s.Conversation(ctx, "si_a_b")
	if err != nil || c.LatestMessage == nil || string(c.LatestMessage.Content) != string(m.Content) {
		t.Fatalf("latest message content = %+v, %v", c.LatestMessage, err)
	}
}

// TestSearchCompacts: lines replaced by later ones are dropped from the
// stored segments by the search that reads them, and what it keeps searches
// the same after a reopen.
func TestSearchCompacts(t *testing.T) {
	ctx := context.Background()
	name := prefix(t)
	s := open(t, name, Config{})
	for i := range 5 {
		m := msg(1, "m1", 1)
		m.Text = "edit " + strconv.Itoa(i)
		if err := s.Apply(ctx, &core.Changes{Messages: []core.Message{m}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Apply(ctx, &core.Changes{Messages: []core.Message{msg(2, "m2", 2)}}); err != nil {
		t.Fatal(err)
	}
	total, _, err := s.SearchMessages(ctx, core.SearchQuery{Keyword: "edit", Count: 10})
	if err != nil || total != 1 {
		t.Fatalf("search = %d, %v", total, err)
	}
	r, err := segmentRange()
	if err != nil {
		t.Fatal(err)
	}
	segs, err := getAll(ctx, s.jsDB, storeMeta, "", r, 0)
	if err != nil || segs.Length() != 1 {
		t.Fatalf("the store holds %d segments after compacting (%v), want 1", segs.Length(), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, name, Config{})
	total, ms, err := s.SearchMessages(ctx, core.SearchQuery{Keyword: "edit 4", Count: 10})
	if err != nil || total != 1 || ms[0].ClientMsgID != "m1" {
		t.Fatalf("search after reopen = %d %+v, %v", total, ms, err)
	}
	if total, _, _ := s.SearchMessages(ctx, core.SearchQuery{Count: 10}); total != 2 {
		t.Fatalf("every message after reopen: %d, want 2", total)
	}
}

// TestApplyFailureWritesNothing: a request that fails (two messages with
// one seq, refused by the unique convSeq index) aborts the whole batch,
// cursor included, and Apply reports it.
func TestApplyFailureWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := open(t, DBName(prefix(t), "u"), Config{})
	cur := int64(9)
	ch := &core.Changes{Messages: []core.Message{msg(1, "m1", 1), msg(1, "m2", 2)}, Users: []core.User{{UserID: "b"}}, Cursor: &cur}
	err := s.Apply(ctx, ch)
	if err == nil || !strings.Contains(err.Error(), "ConstraintError") {
		t.Fatalf("Apply = %v, want a ConstraintError", err)
	}
	got, err := s.Messages(ctx, []string{"m1", "m2"})
	if err != nil || len(got) != 0 {
		t.Fatalf("Messages = %v, %v; want none", got, err)
	}
	users, err := s.Users(ctx, []string{"b"})
	if err != nil || len(users) != 0 {
		t.Fatalf("Users = %v, %v; want none", users, err)
	}
	if _, ok, err := s.SyncCursor(ctx); err != nil || ok {
		t.Fatalf("SyncCursor ok = %v, %v; want no cursor", ok, err)
	}
}

// TestRevokedTextLeavesTheSearchLines: the text of a message revoked, and of
// one deleted, is gone from every stored search segment once the Apply that
// removed it committed, not only at a later compaction; the other lines
// stay searchable.
func TestRevokedTextLeavesTheSearchLines(t *testing.T) {
	ctx := context.Background()
	s := open(t, prefix(t), Config{})
	a, b, c := msg(1, "m1", 1), msg(2, "m2", 2), msg(3, "m3", 3)
	a.Text, b.Text, c.Text = "first secret", "second secret", "kept secret"
	require.NoError(t, s.Apply(ctx, &core.Changes{Messages: []core.Message{a, b}}))
	require.NoError(t, s.Apply(ctx, &core.Changes{Messages: []core.Message{c}}))
	revoked := a
	revoked.ContentType, revoked.Text, revoked.Content = protocol.ContentRevoked, "", []byte(`{"revokerUserID":"a","revokeTime":9}`)
	require.NoError(t, s.Apply(ctx, &core.Changes{Messages: []core.Message{revoked}, RemovedMessages: []string{"m2"}}))
	r, err := segmentRange()
	require.NoError(t, err)
	segs, err := getAll(ctx, s.jsDB, storeMeta, "", r, 0)
	require.NoError(t, err)
	all := segs.Call("join", "\n").String()
	assert.NotContains(t, all, "first secret", "the revoked text is still stored")
	assert.NotContains(t, all, "second secret", "the deleted text is still stored")
	assert.Contains(t, all, "kept secret")
	total, ms, err := s.SearchMessages(ctx, core.SearchQuery{Keyword: "secret", Count: 10})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	assert.Equal(t, "m3", ms[0].ClientMsgID)
}

// Users of many IDs reads the key range they span at once (usersInRange),
// or by key when the range holds many more profiles: either way the
// profiles asked for that are stored, in the order asked, duplicates
// included, as for a few IDs.
func TestUsersOfManyIDs(t *testing.T) {
	ctx := context.Background()
	s := open(t, prefix(t), Config{})
	var stored []core.User
	for i := range 900 {
		stored = append(stored, core.User{UserID: fmt.Sprintf("u%04d", i), Nickname: fmt.Sprint("name ", i), FaceURL: "f"})
	}
	if err := s.Apply(ctx, &core.Changes{Users: stored}); err != nil {
		t.Fatal(err)
	}
	byID := map[string]core.User{}
	for _, u := range stored {
		byID[u.UserID] = u
	}
	cases := map[string][]string{}
	// 150 IDs spanning a range of 300 profiles, unordered, with IDs not
	// stored and a duplicate: one range read.
	var dense []string
	for i := 299; i >= 0; i -= 2 {
		dense = append(dense, fmt.Sprintf("u%04d", i))
	}
	dense = append(dense, "u0000x", "u0151", "u0298x")
	cases["range"] = dense
	// 120 IDs spread over all 900: more than 4 per ID in the range, by key.
	var sparse []string
	for i := 0; i < 900; i += 7 {
		sparse = append(sparse, fmt.Sprintf("u%04d", i))
	}
	cases["by key"] = sparse
	for name, ids := range cases {
		got, err := s.Users(ctx, ids)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want []core.User
		for _, id := range ids {
			if u, ok := byID[id]; ok {
				want = append(want, u)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Users of %d IDs = %d profiles, want %d (first got %+v)", name, len(ids), len(got), len(want), got[:min(1, len(got))])
		}
	}
}
