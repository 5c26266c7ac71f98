package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server/store"
)

// testHideConversation: a hide stores HiddenUntilSeq = MaxSeq+1 for the
// user alone, once, reaches their sync, and is left behind by the next
// message; a hide with a clear (a delete) does both in one change.
func testHideConversation(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	conv := protocol.SingleConversationID("a", "b")
	for i := range 2 {
		append1(t, s, single("a", "b", fmt.Sprint("h", i), int64(10+i)))
	}
	before, err := s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	st, changed, err := s.UpdateConversation(ctx, "b", conv, store.ConversationChange{Hide: true}, 50)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, int64(3), st.HiddenUntilSeq)
	assert.NotNil(t, st.LatestMessage, "hiding keeps the messages")
	states, err := s.ChangedConversations(ctx, "b", before.Version, 10)
	require.NoError(t, err)
	require.Len(t, states, 1)
	assert.Equal(t, int64(3), states[0].HiddenUntilSeq)
	_, changed, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{Hide: true}, 51)
	require.NoError(t, err)
	assert.False(t, changed, "hidden already")
	other, err := s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	assert.Zero(t, other.HiddenUntilSeq, "the other side still lists it")

	append1(t, s, single("a", "b", "h2", 60))
	got, err := s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	assert.Equal(t, int64(3), got.MaxSeq)
	assert.Equal(t, int64(3), got.HiddenUntilSeq, "its next message brings it back: MaxSeq reached it")

	zero := int64(0)
	st, changed, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{Hide: true, ClearSeq: &zero}, 70)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, int64(4), st.HiddenUntilSeq)
	assert.Equal(t, int64(4), st.MinSeq)
	assert.Nil(t, st.LatestMessage)
	got, err = s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	assert.Equal(t, int64(4), got.HiddenUntilSeq)
	assert.Equal(t, int64(4), got.MinSeq)
}
