package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

func oneConv(t *testing.T, res stepResult) Conversation {
	t.Helper()
	require.Len(t, res.Changes.Conversations, 1)
	return res.Changes.Conversations[0]
}

// A hidden state hides the conversation (out of the total), a message at
// HiddenUntilSeq brings it back, and both are announced.
func TestFoldHiddenConversation(t *testing.T) {
	c := &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1, MaxSeq: 2, LocalMaxSeq: 2, Version: 5}
	l := localState{Self: "alice", Convs: map[string]*Conversation{convAB: c}}
	res := fold(l, foldInput{States: []protocol.ConversationState{{ConversationID: convAB, SessionType: protocol.SessionSingle, MinSeq: 1, MaxSeq: 2, Version: 6, HiddenUntilSeq: 3}}})
	hidden := oneConv(t, res)
	assert.True(t, hidden.IsHidden)
	assert.Len(t, res.Changed, 1, "hiding is announced")
	hidden.UnreadCount = 2
	assert.Zero(t, hidden.totalShare(), "a hidden conversation is out of the total")

	l.Convs[convAB] = &hidden
	res = fold(l, foldInput{Messages: []protocol.Message{pm(convAB, 3, "bob")}})
	back := oneConv(t, res)
	assert.False(t, back.IsHidden, "its next message brings it back")
	assert.Equal(t, int64(3), back.HiddenUntilSeq)
	assert.Len(t, res.Changed, 1)
}

// A draft set here stays pending, and wins over a server state with
// another draft, until the server's state holds it.
func TestDraftPendingUntilTheServerHoldsIt(t *testing.T) {
	c := &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, MinSeq: 1, Version: 5, DraftText: "old"}
	l := localState{Self: "alice", Convs: map[string]*Conversation{convAB: c}}
	res, err := stepDraft(l, draftInput{ConversationID: convAB, Text: "new"})
	require.NoError(t, err)
	set := oneConv(t, res)
	assert.Equal(t, "new", set.DraftText)
	assert.True(t, set.DraftPending)
	assert.Len(t, res.Changed, 1)

	l.Convs[convAB] = &set
	st := protocol.ConversationState{ConversationID: convAB, SessionType: protocol.SessionSingle, MinSeq: 1, Version: 6, DraftText: "from elsewhere"}
	res = fold(l, foldInput{States: []protocol.ConversationState{st}})
	kept := oneConv(t, res)
	assert.Equal(t, "new", kept.DraftText, "the unsent draft stands")
	assert.True(t, kept.DraftPending)

	l.Convs[convAB] = &kept
	st.Version, st.DraftText = 7, "new"
	res = fold(l, foldInput{States: []protocol.ConversationState{st}})
	done := oneConv(t, res)
	assert.Equal(t, "new", done.DraftText)
	assert.False(t, done.DraftPending, "the server holds it")

	_, err = stepDraft(localState{}, draftInput{ConversationID: convAB, Text: "x"})
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(err))
}
