package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// TestReactions: a reaction is a change of the message, answered and
// pushed to the members' other connections with every reaction on it, and
// read back by version; adding or removing twice changes nothing.
func TestReactions(t *testing.T) {
	e := newEnv(t)
	aTok, bTok := e.adminUser("alice"), e.adminUser("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	conv := protocol.SingleConversationID("alice", "bob")
	a.sendText("m1", "bob", "", "one")
	b.push(protocol.PushMessage)

	var got protocol.Message
	b.do(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "👍"}, &got)
	assert.Equal(t, []protocol.Reaction{{Emoji: "👍", UserIDs: []string{"bob"}}}, got.Reactions)
	assert.Equal(t, got, decode[protocol.Message](t, a.push(protocol.PushMessageChanged)))
	a.do(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "👍"}, &got)
	b.push(protocol.PushMessageChanged)
	a.do(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "🎉"}, &got)
	b.push(protocol.PushMessageChanged)
	want := []protocol.Reaction{{Emoji: "👍", UserIDs: []string{"bob", "alice"}}, {Emoji: "🎉", UserIDs: []string{"alice"}}}
	assert.Equal(t, want, got.Reactions)
	var again protocol.Message
	a.do(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "🎉"}, &again)
	assert.Equal(t, got, again, "adding twice changes nothing")
	b.do(protocol.ReqRemoveReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "🎉"}, &again)
	assert.Equal(t, got, again, "removing what is not there changes nothing")
	b.noPush()

	b.do(protocol.ReqRemoveReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "👍"}, &got)
	assert.Equal(t, []protocol.Reaction{{Emoji: "👍", UserIDs: []string{"alice"}}, {Emoji: "🎉", UserIDs: []string{"alice"}}}, got.Reactions)
	a.push(protocol.PushMessageChanged)

	// A device that was away reads the latest state by version.
	var pc protocol.PullChangesResp
	b.do(protocol.ReqPullChanges, protocol.PullChangesReq{ConversationID: conv}, &pc)
	require.Len(t, pc.Messages, 1)
	assert.Equal(t, got, pc.Messages[0])

	// Bad emojis, a missing message.
	for _, emoji := range []string{"", " ", "a b", strings.Repeat("x", protocol.MaxEmojiBytes+1), "\x01", "\u200b\n"} {
		b.wantError(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: emoji}, protocol.CodeInvalidArgument)
	}
	b.wantError(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "nope", Emoji: "👍"}, protocol.CodeNotFound)

	// A revoke takes the reactions with the content; a revoked message
	// takes none.
	var revoked protocol.Message
	a.do(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "m1"}, &revoked)
	assert.Empty(t, revoked.Reactions)
	b.wantError(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "👍"}, protocol.CodeInvalidArgument)
	b.do(protocol.ReqRemoveReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "👍"}, &got)
	assert.Equal(t, revoked.Version, got.Version, "removing from a revoked message changes nothing")
}

// TestReactionLimits: distinct emojis per message and reactions per user
// per message are bounded; a group's non-member may not react.
func TestReactionLimits(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.dial(e.adminUser("alice")), e.dial(e.adminUser("bob")), e.dial(e.adminUser("carl"))
	e.adminUser("mallory")
	var g protocol.Group
	a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "g", MemberUserIDs: []string{"bob", "carl"}}, &g)
	conv := protocol.GroupConversationID(g.GroupID)
	a.sendText("m1", "", g.GroupID, "one")
	react := func(who *client, emoji string) {
		t.Helper()
		who.do(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: emoji}, nil)
	}
	for i := range protocol.MaxUserReactions {
		react(a, fmt.Sprint("e", i))
	}
	a.wantError(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "one-more"}, protocol.CodeInvalidArgument)
	for i := protocol.MaxUserReactions; i < protocol.MaxMessageEmojis; i++ {
		react(b, fmt.Sprint("e", i))
	}
	c.wantError(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "new"}, protocol.CodeInvalidArgument)
	react(c, "e0") // an emoji already there
	m := e.dial(e.token("mallory"))
	m.wantError(protocol.ReqAddReaction, protocol.ReactionReq{ConversationID: conv, ClientMsgID: "m1", Emoji: "e0"}, protocol.CodePermissionDenied)
}
