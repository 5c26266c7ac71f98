package core_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// offlineClient logs in with the server away over a store holding seqs
// of one conversation with bob (text "t<seq>", sendTime 1000+seq).
func offlineClient(t *testing.T, seqs ...int64) (*core.Client, string) {
	t.Helper()
	st := mem.New()
	conv := protocol.SingleConversationID("me", "bob")
	var msgs []core.Message
	var top int64
	for _, i := range seqs {
		msgs = append(msgs, core.Message{ClientMsgID: fmt.Sprint("m", i), ConversationID: conv, Seq: i, SendID: "bob", RecvID: "me",
			SessionType: protocol.SessionSingle, ContentType: protocol.ContentText, Text: fmt.Sprint("Hello t", i), SendTime: 1000 + i, Status: core.StatusSent})
		top = max(top, i)
	}
	cur := int64(9)
	require.NoError(t, st.Apply(context.Background(), &core.Changes{Messages: msgs, Cursor: &cur,
		Conversations: []core.Conversation{{ConversationID: conv, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1, MaxSeq: top, LocalMaxSeq: top}}}))
	c, _ := newTestClient(t, &fakeServer{dialErr: errors.New("server away")}, st, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.Login(ctx, "me", "tok"))
	return c, conv
}

func msgIDs(ms []core.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ClientMsgID)
	}
	return out
}

func TestSearchLocalMessagesOffline(t *testing.T) {
	c, conv := offlineClient(t, 1, 2, 3, 4, 5)
	ctx := context.Background()
	r, err := c.SearchLocalMessages(ctx, core.SearchQuery{Keyword: "HELLO", Offset: 1, Count: 2})
	require.NoError(t, err)
	assert.Equal(t, 5, r.TotalCount)
	assert.Equal(t, []string{"m4", "m3"}, msgIDs(r.Messages))

	r, err = c.SearchLocalMessages(ctx, core.SearchQuery{Keyword: "t3", ConversationID: conv})
	require.NoError(t, err)
	assert.Equal(t, []string{"m3"}, msgIDs(r.Messages))

	r, err = c.SearchLocalMessages(ctx, core.SearchQuery{Keyword: "nothing"})
	require.NoError(t, err)
	assert.Equal(t, core.SearchResult{TotalCount: 0, Messages: []core.Message{}}, r)

	for _, q := range []core.SearchQuery{{Offset: -1}, {Count: 101}, {StartTime: 5, EndTime: 4}, {Keyword: string(make([]byte, 201))}} {
		_, err := c.SearchLocalMessages(ctx, q)
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "%+v", q)
	}
}

func TestHistoryMessagesAfterOffline(t *testing.T) {
	c, conv := offlineClient(t, 1, 2, 3, 5, 6)
	ctx := context.Background()
	h, err := c.HistoryMessagesAfter(ctx, conv, 0, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"m1", "m2"}, msgIDs(h.Messages))
	assert.False(t, h.IsEnd)

	// A gap (4 is not held, the server is away): only the run from 3.
	h, err = c.HistoryMessagesAfter(ctx, conv, 2, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"m3"}, msgIDs(h.Messages))
	assert.False(t, h.IsEnd)

	h, err = c.HistoryMessagesAfter(ctx, conv, 4, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"m5", "m6"}, msgIDs(h.Messages))
	assert.True(t, h.IsEnd)

	h, err = c.HistoryMessagesAfter(ctx, conv, 6, 10)
	require.NoError(t, err)
	assert.Equal(t, core.History{Messages: []core.Message{}, IsEnd: true}, h)

	_, err = c.HistoryMessagesAfter(ctx, conv, -1, 10)
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
}
