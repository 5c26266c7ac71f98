package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server/store"
)

// testGroupReads: a member's read position (read seq and time, one row per
// member) is what group read receipts are counted from; a read reports
// the conversation to the senders of what it newly read (their
// ReceiptVersion), and to no one else.
func testGroupReads(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "m1", "m2", "m3")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "o", MemberUserIDs: []string{"m1", "m2", "m3"}, CreateTime: 1})
	require.NoError(t, err)
	conv := protocol.GroupConversationID("g1")
	append1(t, s, group("o", "g1", "c1", 10))  // seq 1
	append1(t, s, group("m1", "g1", "c2", 11)) // seq 2
	append1(t, s, group("o", "g1", "c3", 12))  // seq 3
	append1(t, s, group("m2", "g1", "c4", 13)) // seq 4

	pos := func() map[string]store.ReadPosition {
		t.Helper()
		ps, err := s.ReadPositions(ctx, conv)
		require.NoError(t, err)
		out := map[string]store.ReadPosition{}
		for _, p := range ps {
			out[p.UserID] = p
		}
		return out
	}
	p := pos()
	require.Len(t, p, 4)
	assert.Equal(t, store.ReadPosition{UserID: "m1", ReadSeq: 2, ReadTime: 11, JoinSeq: 1}, p["m1"], "a send moves the read position")
	assert.Equal(t, int64(0), p["m3"].ReadSeq)

	ownerBefore, err := s.Conversation(ctx, "o", conv)
	require.NoError(t, err)
	m2Before, err := s.Conversation(ctx, "m2", conv)
	require.NoError(t, err)
	three := int64(3)
	_, changed, err := s.UpdateConversation(ctx, "m3", conv, store.ConversationChange{ReadSeq: &three}, 50)
	require.NoError(t, err)
	require.True(t, changed)
	assert.Equal(t, store.ReadPosition{UserID: "m3", ReadSeq: 3, ReadTime: 50, JoinSeq: 1}, pos()["m3"])
	msgs, versions, err := s.NoteGroupRead(ctx, conv, "m3", 0, 3, 10)
	require.NoError(t, err)
	assert.Equal(t, []store.SentMessage{sm(1, "c1", "o"), sm(2, "c2", "m1"), sm(3, "c3", "o")}, msgs)
	require.Len(t, versions, 2)
	owner, err := s.Conversation(ctx, "o", conv)
	require.NoError(t, err)
	assert.Greater(t, owner.Version, ownerBefore.Version, "the sender's sync reports it")
	assert.Equal(t, owner.Version, owner.ReceiptVersion)
	assert.Equal(t, versions["o"], owner.ReceiptVersion)
	states, err := s.ChangedConversations(ctx, "o", ownerBefore.Version, 10)
	require.NoError(t, err)
	require.Len(t, states, 1)
	assert.Equal(t, owner.ReceiptVersion, states[0].ReceiptVersion)
	m2, err := s.Conversation(ctx, "m2", conv)
	require.NoError(t, err)
	assert.Equal(t, m2Before.Version, m2.Version, "whose messages were not read hears nothing")
	assert.Zero(t, m2.ReceiptVersion)

	// The newest limit only; the reader's own are not counted.
	msgs, _, err = s.NoteGroupRead(ctx, conv, "o", 0, 4, 1)
	require.NoError(t, err)
	assert.Equal(t, []store.SentMessage{sm(4, "c4", "m2")}, msgs)
	msgs, versions, err = s.NoteGroupRead(ctx, conv, "o", 2, 3, 10)
	require.NoError(t, err)
	assert.Empty(t, msgs)
	assert.Empty(t, versions)

	sent, err := s.SentMessages(ctx, conv, "o", 1, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []store.SentMessage{sm(1, "c1", "o"), sm(3, "c3", "o")}, sent)
	sent, err = s.SentMessages(ctx, conv, "o", 1, 4, 1)
	require.NoError(t, err)
	assert.Equal(t, []store.SentMessage{sm(3, "c3", "o")}, sent, "the newest")
	one, err := s.SentMessage(ctx, conv, "c2")
	require.NoError(t, err)
	assert.Equal(t, sm(2, "c2", "m1"), *one)
	_, err = s.SentMessage(ctx, conv, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// A removed member has no read position and is not stamped.
	require.NoError(t, s.RemoveGroupMember(ctx, "g1", "m1"))
	assert.NotContains(t, pos(), "m1")
	_, versions, err = s.NoteGroupRead(ctx, conv, "m3", 0, 4, 10)
	require.NoError(t, err)
	assert.NotContains(t, versions, "m1")
}

func sm(seq int64, clientMsgID, sendID string) store.SentMessage {
	return store.SentMessage{Seq: seq, ClientMsgID: clientMsgID, SendID: sendID}
}
