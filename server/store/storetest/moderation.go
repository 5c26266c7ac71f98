package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server/store"
)

func testModeration(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, u := range []store.User{
		{UserID: "alice", Username: "alice", Nickname: "Alice Liddell"},
		{UserID: "bob", Nickname: "Bobby 100%"},
		{UserID: "carol", Nickname: "Carol_A"},
	} {
		u.CreateTime = 1
		require.NoError(t, s.CreateUser(ctx, &u))
	}
	ids := func(us []*store.User) (out []string) {
		for _, u := range us {
			out = append(out, u.UserID)
		}
		return out
	}
	us, total, err := s.ListUsersForAdmin(ctx, "", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "bob", "carol"}, ids(us))
	assert.Equal(t, 3, total)
	us, total, err = s.ListUsersForAdmin(ctx, "", 1, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, ids(us), "paged")
	assert.Equal(t, 3, total, "the total ignores the page")
	for kw, want := range map[string][]string{
		"LIDD": {"alice"}, "a": {"alice", "carol"}, "100%": {"bob"}, "%": {"bob"}, "_": {"carol"}, "zz": nil, "ro_": nil, "lid%": nil,
	} {
		us, total, err := s.ListUsersForAdmin(ctx, kw, 0, 10)
		require.NoError(t, err)
		assert.Equal(t, want, ids(us), kw)
		assert.Equal(t, len(want), total, kw)
	}

	var msgs []store.NewMessage
	for i, m := range []struct{ from, to, text string }{
		{"alice", "bob", "hello bob"}, {"bob", "alice", "Hi Alice"}, {"alice", "carol", "hello carol"},
	} {
		msgs = append(msgs, store.NewMessage{ClientMsgID: "c" + string(rune('0'+i)), ServerMsgID: "s" + string(rune('0'+i)), SendID: m.from, RecvID: m.to,
			ContentType: protocol.ContentText, Content: text(m.text), SendTime: int64(10 + i)})
	}
	_, err = s.AppendMessages(ctx, msgs)
	require.NoError(t, err)

	convs, total, err := s.SearchConversations(ctx, "", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, 2, total)
	require.Len(t, convs, 2)
	got := map[string]int64{}
	for _, c := range convs {
		got[c.ConversationID] = c.MaxSeq
		assert.Equal(t, protocol.SessionSingle, c.SessionType)
	}
	assert.Equal(t, map[string]int64{"si_alice_bob": 2, "si_alice_carol": 1}, got)
	convs, total, err = s.SearchConversations(ctx, "CAROL", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, 1, total)
	require.Len(t, convs, 1)
	assert.Equal(t, "si_alice_carol", convs[0].ConversationID)

	texts := func(ms []protocol.Message) (out []string) {
		for _, m := range ms {
			out = append(out, protocol.ContentSummary(m.ContentType, m.Content))
		}
		return out
	}
	for name, c := range map[string]struct {
		q     store.MessageQuery
		want  []string
		total int
	}{
		"all, newest first": {store.MessageQuery{Limit: 10}, []string{"hello carol", "Hi Alice", "hello bob"}, 3},
		"paged":             {store.MessageQuery{Offset: 1, Limit: 1}, []string{"Hi Alice"}, 3},
		"conversation":      {store.MessageQuery{ConversationID: "si_alice_bob", Limit: 10}, []string{"Hi Alice", "hello bob"}, 2},
		"sender":            {store.MessageQuery{SendID: "alice", Limit: 10}, []string{"hello carol", "hello bob"}, 2},
		"keyword":           {store.MessageQuery{Keyword: "HELLO", Limit: 10}, []string{"hello carol", "hello bob"}, 2},
		"all filters":       {store.MessageQuery{ConversationID: "si_alice_bob", SendID: "alice", Keyword: "bob", Limit: 10}, []string{"hello bob"}, 1},
		"no match":          {store.MessageQuery{Keyword: "%", Limit: 10}, nil, 0},
	} {
		ms, total, err := s.SearchMessages(ctx, c.q)
		require.NoError(t, err, name)
		assert.Equal(t, c.want, texts(ms), name)
		assert.Equal(t, c.total, total, name)
	}
}
