package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"parley/protocol"
)

// TestTyping: an indicator reaches the other members' connections, not
// the typer's own, is checked against who asks, and is rate-limited per
// connection.
func TestTyping(t *testing.T) {
	e := newEnv(t)
	aTok, bTok, cTok := e.adminUser("alice"), e.adminUser("bob"), e.adminUser("carl")
	a, a2, b, c := e.dial(aTok), e.dial(aTok), e.dial(bTok), e.dial(cTok)
	conv := protocol.SingleConversationID("alice", "bob")

	a.do(protocol.ReqSetTyping, protocol.TypingReq{ConversationID: conv, Typing: true}, nil)
	assert.Equal(t, protocol.Typing{ConversationID: conv, UserID: "alice", Typing: true}, decode[protocol.Typing](t, b.push(protocol.PushTyping)))
	a.do(protocol.ReqSetTyping, protocol.TypingReq{ConversationID: conv, Typing: false}, nil)
	assert.Equal(t, protocol.Typing{ConversationID: conv, UserID: "alice"}, decode[protocol.Typing](t, b.push(protocol.PushTyping)))
	a2.ping()
	a2.noPush()
	c.ping()
	c.noPush()
	c.wantError(protocol.ReqSetTyping, protocol.TypingReq{ConversationID: conv, Typing: true}, protocol.CodePermissionDenied)
	b.ping()
	b.noPush()

	// Nothing is stored: the conversation has no state change.
	var sr protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	assert.Empty(t, sr.Conversations)

	// One indicator per keystroke is refused.
	limited := false
	for range 20 {
		f := a.call(protocol.ReqSetTyping, protocol.TypingReq{ConversationID: conv, Typing: true})
		if f.Error != nil {
			assert.Equal(t, protocol.CodeRateLimited, f.Error.Code)
			limited = true
			break
		}
	}
	assert.True(t, limited, "rate-limited")
}
