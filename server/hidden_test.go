package server_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// Hiding and deleting a conversation are the caller's alone, pushed to
// their other devices, synced, and undone by the next message; a deleted
// conversation also pulls nothing up to the delete.
func TestHideAndDeleteConversation(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a := e.dial(aTok)
	b1, b2 := e.dial(bTok), e.dial(e.token(bob))
	var conv string
	for i := range 2 {
		conv = a.sendText(fmt.Sprint("h", i), bob, "", "m").ConversationID
		b1.push(protocol.PushMessage)
		b2.push(protocol.PushMessage)
	}

	var st protocol.ConversationState
	b1.do(protocol.ReqHideConversation, protocol.ConversationIDReq{ConversationID: conv}, &st)
	assert.Equal(t, int64(3), st.HiddenUntilSeq)
	assert.Equal(t, int64(3), decode[protocol.ConversationState](t, b2.push(protocol.PushConversation)).HiddenUntilSeq)
	b1.noPush()

	a.sendText("h2", bob, "", "back")
	b1.push(protocol.PushMessage)
	var del protocol.ConversationState
	b1.do(protocol.ReqDeleteConversation, protocol.ConversationIDReq{ConversationID: conv}, &del)
	assert.Equal(t, int64(4), del.HiddenUntilSeq)
	assert.Equal(t, int64(4), del.MinSeq)
	assert.Nil(t, del.LatestMessage)

	var sr protocol.SyncResp
	e.dial(e.token(bob)).do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	require.Len(t, sr.Conversations, 1)
	assert.Equal(t, int64(4), sr.Conversations[0].HiddenUntilSeq)
	var pr protocol.PullResp
	b1.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1, Limit: 10}}}, &pr)
	assert.Empty(t, pr.Messages, "deleted for bob")
	var other protocol.SyncResp
	a.do(protocol.ReqSync, protocol.SyncReq{}, &other)
	require.Len(t, other.Conversations, 1)
	assert.Zero(t, other.Conversations[0].HiddenUntilSeq, "alice still lists it")
	assert.Equal(t, int64(1), other.Conversations[0].MinSeq)
}
