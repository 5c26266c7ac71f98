package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

// TestRevokeAndEdit: a revoke or an edit is answered with the message in its
// new state, pushed to every other connection of the members, stored in
// place of the old content, and reported by sync with the conversation's
// MessageVersion; pullChanges reads the changes after a version.
func TestRevokeAndEdit(t *testing.T) {
	e := newEnv(t)
	aTok, bTok := e.adminUser("alice"), e.adminUser("bob")
	a, a2, b := e.dial(aTok), e.dial(aTok), e.dial(bTok)
	conv := protocol.SingleConversationID("alice", "bob")
	a.sendText("m1", "bob", "", "first secret")
	a.sendText("m2", "bob", "", "second")
	for range 2 {
		b.push(protocol.PushMessage)
		a2.push(protocol.PushMessage)
	}
	var before protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{}, &before)

	var revoked protocol.Message
	a.do(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "m1"}, &revoked)
	assert.Equal(t, protocol.ContentRevoked, revoked.ContentType)
	assert.Equal(t, int64(1), revoked.Version)
	assert.Equal(t, int64(1), revoked.Seq)
	var rc protocol.RevokedContent
	require.NoError(t, json.Unmarshal(revoked.Content, &rc))
	assert.Equal(t, "alice", rc.RevokerUserID)
	assert.NotZero(t, rc.RevokeTime)
	for _, c := range []*client{b, a2} {
		assert.Equal(t, revoked, decode[protocol.Message](t, c.push(protocol.PushMessageChanged)))
	}

	var edited protocol.Message
	a.do(protocol.ReqEditMessage, protocol.EditMessageReq{ConversationID: conv, ClientMsgID: "m2", Text: "second, edited"}, &edited)
	assert.Equal(t, int64(2), edited.Version)
	assert.NotZero(t, edited.EditTime)
	assert.JSONEq(t, `{"text":"second, edited"}`, string(edited.Content))
	assert.Equal(t, edited, decode[protocol.Message](t, b.push(protocol.PushMessageChanged)))
	a.noPush() // the caller's own connection has the answer

	// The old content is gone from the store.
	var pr protocol.PullResp
	b.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1}}}, &pr)
	require.Len(t, pr.Messages, 2)
	assert.Equal(t, revoked, pr.Messages[0])
	assert.NotContains(t, string(pr.Messages[0].Content), "secret")
	assert.Equal(t, edited, pr.Messages[1])

	var after protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{Cursor: before.Cursor}, &after)
	require.Len(t, after.Conversations, 1)
	assert.Equal(t, int64(2), after.Conversations[0].MessageVersion)
	assert.Equal(t, edited, *after.Conversations[0].LatestMessage)

	var ch protocol.PullChangesResp
	b.do(protocol.ReqPullChanges, protocol.PullChangesReq{ConversationID: conv, AfterVersion: 0, Limit: 1}, &ch)
	assert.True(t, ch.HasMore)
	require.Len(t, ch.Messages, 1)
	assert.Equal(t, revoked, ch.Messages[0])
	b.do(protocol.ReqPullChanges, protocol.PullChangesReq{ConversationID: conv, AfterVersion: 1}, &ch)
	assert.False(t, ch.HasMore)
	assert.Equal(t, []protocol.Message{edited}, ch.Messages)

	// A second revoke changes nothing and answers the revoked message.
	var again protocol.Message
	a.do(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "m1"}, &again)
	assert.Equal(t, revoked, again)
	b.noPush()

	// Refusals.
	a.wantError(protocol.ReqEditMessage, protocol.EditMessageReq{ConversationID: conv, ClientMsgID: "m1", Text: "resurrect"}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqEditMessage, protocol.EditMessageReq{ConversationID: conv, ClientMsgID: "m2", Text: "  "}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqEditMessage, protocol.EditMessageReq{ConversationID: conv, ClientMsgID: "nope", Text: "x"}, protocol.CodeNotFound)
	b.wantError(protocol.ReqEditMessage, protocol.EditMessageReq{ConversationID: conv, ClientMsgID: "m2", Text: "bob's words"}, protocol.CodePermissionDenied)
	b.wantError(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "m2"}, protocol.CodePermissionDenied)
	a.wantError(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: ""}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqPullChanges, protocol.PullChangesReq{ConversationID: conv, AfterVersion: -1}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "forge", RecvID: "bob", ContentType: protocol.ContentRevoked,
		Content: protocol.EncodeRevoked("bob", 1)}, protocol.CodeInvalidArgument)
	b.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1}}}, &pr)
	assert.Equal(t, []protocol.Message{revoked, edited}, pr.Messages, "the refusals changed nothing")
}

// TestRevokeWindowAndModerators: past the window the sender may no longer
// revoke; a group's owner and admins may revoke any message of it, a plain
// member nobody else's.
func TestRevokeWindowAndModerators(t *testing.T) {
	clock := &atomicTime{}
	clock.set(time.Now())
	e := newEnv(t, func(c *server.Config) { c.Clock = clock.get; c.RevokeWindow = time.Hour })
	oTok, mTok, nTok := e.adminUser("owner"), e.adminUser("member"), e.adminUser("other")
	o, m, n := e.dial(oTok), e.dial(mTok), e.dial(nTok)
	var g protocol.Group
	o.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "G", MemberUserIDs: []string{"member", "other"}}, &g)
	conv := protocol.GroupConversationID(g.GroupID)
	m.sendText("old", "", g.GroupID, "old")
	n.sendText("n1", "", g.GroupID, "other's")
	clock.set(time.Now().Add(2 * time.Hour))
	m.sendText("new", "", g.GroupID, "new")

	m.wantError(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "old"}, protocol.CodePermissionDenied)
	m.wantError(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "n1"}, protocol.CodePermissionDenied)
	var r protocol.Message
	m.do(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "new"}, &r)
	assert.Equal(t, protocol.ContentRevoked, r.ContentType)
	o.do(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "old"}, &r)
	assert.Equal(t, protocol.ContentRevoked, r.ContentType)
	var rc protocol.RevokedContent
	require.NoError(t, json.Unmarshal(r.Content, &rc))
	assert.Equal(t, "owner", rc.RevokerUserID)
	assert.Equal(t, "member", r.SendID)
	// Edits stay the sender's, even for the owner.
	o.wantError(protocol.ReqEditMessage, protocol.EditMessageReq{ConversationID: conv, ClientMsgID: "n1", Text: "x"}, protocol.CodePermissionDenied)
}

// TestClearConversation: a clear hides the messages so far from the
// caller's pulls and sync, tells their other connections, and leaves the
// peer's alone.
func TestClearConversation(t *testing.T) {
	e := newEnv(t)
	aTok, bTok := e.adminUser("alice"), e.adminUser("bob")
	a, b, b2 := e.dial(aTok), e.dial(bTok), e.dial(bTok)
	conv := protocol.SingleConversationID("alice", "bob")
	a.sendText("m1", "bob", "", "one")
	a.sendText("m2", "bob", "", "two")
	for range 2 {
		b.push(protocol.PushMessage)
		b2.push(protocol.PushMessage)
	}
	var st protocol.ConversationState
	b.do(protocol.ReqClearConversation, protocol.ConversationIDReq{ConversationID: conv}, &st)
	assert.Equal(t, int64(3), st.MinSeq)
	assert.Nil(t, st.LatestMessage)
	pushed := decode[protocol.ConversationState](t, b2.push(protocol.PushConversation))
	assert.Equal(t, int64(3), pushed.MinSeq)

	var pr protocol.PullResp
	b.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1}}}, &pr)
	assert.Empty(t, pr.Messages, "cleared for bob")
	a.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1}}}, &pr)
	assert.Len(t, pr.Messages, 2, "kept for alice")

	a.sendText("m3", "bob", "", "three")
	b.push(protocol.PushMessage)
	b.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1}}}, &pr)
	require.Len(t, pr.Messages, 1)
	assert.Equal(t, "m3", pr.Messages[0].ClientMsgID)

	b.wantError(protocol.ReqClearConversation, protocol.ConversationIDReq{ConversationID: "nonsense"}, protocol.CodeInvalidArgument)
}

// TestDeleteForMe: a deletion is the caller's alone: their pulls, sync and
// change pushes carry the message masked (no content), their other
// connections are told, the peer's copy is untouched.
func TestDeleteForMe(t *testing.T) {
	e := newEnv(t)
	aTok, bTok := e.adminUser("alice"), e.adminUser("bob")
	a, b, b2 := e.dial(aTok), e.dial(bTok), e.dial(bTok)
	conv := protocol.SingleConversationID("alice", "bob")
	a.sendText("m1", "bob", "", "keep")
	a.sendText("m2", "bob", "", "embarrassing")
	for range 2 {
		b.push(protocol.PushMessage)
		b2.push(protocol.PushMessage)
	}
	var st protocol.ConversationState
	b.do(protocol.ReqDeleteMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "m2"}, &st)
	assert.NotZero(t, st.DeleteVersion)
	require.NotNil(t, st.LatestMessage)
	assert.True(t, st.LatestMessage.Deleted, "the latest message is masked for bob")
	assert.NotContains(t, string(st.LatestMessage.Content), "embarrassing")
	pushed := decode[protocol.ConversationState](t, b2.push(protocol.PushConversation))
	assert.Equal(t, st.DeleteVersion, pushed.DeleteVersion)
	assert.True(t, pushed.LatestMessage.Deleted)

	var pr protocol.PullResp
	b.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1}}}, &pr)
	require.Len(t, pr.Messages, 2, "the seq stays")
	assert.False(t, pr.Messages[0].Deleted)
	assert.True(t, pr.Messages[1].Deleted)
	assert.JSONEq(t, `{}`, string(pr.Messages[1].Content))
	var apr protocol.PullResp
	a.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1}}}, &apr)
	assert.False(t, apr.Messages[1].Deleted, "alice keeps hers")
	assert.Contains(t, string(apr.Messages[1].Content), "embarrassing")

	var sr protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	require.Len(t, sr.Conversations, 1)
	assert.True(t, sr.Conversations[0].LatestMessage.Deleted)

	var dr protocol.PullDeletionsResp
	b.do(protocol.ReqPullDeletions, protocol.PullDeletionsReq{ConversationID: conv}, &dr)
	require.Len(t, dr.Deletions, 1)
	assert.Equal(t, protocol.Deletion{ConversationID: conv, Seq: 2, ClientMsgID: "m2", Version: st.DeleteVersion}, dr.Deletions[0])
	b.do(protocol.ReqPullDeletions, protocol.PullDeletionsReq{ConversationID: conv, AfterVersion: st.DeleteVersion}, &dr)
	assert.Empty(t, dr.Deletions)

	// alice edits it: bob's connections are not sent the new text.
	var edited protocol.Message
	a.do(protocol.ReqEditMessage, protocol.EditMessageReq{ConversationID: conv, ClientMsgID: "m2", Text: "still embarrassing"}, &edited)
	var ch protocol.PullChangesResp
	b.do(protocol.ReqPullChanges, protocol.PullChangesReq{ConversationID: conv}, &ch)
	require.Len(t, ch.Messages, 1)
	assert.True(t, ch.Messages[0].Deleted)
	assert.NotContains(t, string(ch.Messages[0].Content), "embarrassing")
	b.ping()
	b.noPush()

	// Deleting again changes nothing and tells nobody.
	b.do(protocol.ReqDeleteMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "m2"}, &st)
	b2.ping()
	b2.noPush()
	b.wantError(protocol.ReqDeleteMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "nope"}, protocol.CodeNotFound)
	b.wantError(protocol.ReqDeleteMessage, protocol.MessageRefReq{ConversationID: conv}, protocol.CodeInvalidArgument)
	b.wantError(protocol.ReqPullDeletions, protocol.PullDeletionsReq{ConversationID: conv, AfterVersion: -1}, protocol.CodeInvalidArgument)
}

// TestPinMessage: any member pins or unpins; the pin travels as a change
// of the message and is listed; a revoke unpins.
func TestPinMessage(t *testing.T) {
	e := newEnv(t)
	aTok, bTok := e.adminUser("alice"), e.adminUser("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	conv := protocol.SingleConversationID("alice", "bob")
	a.sendText("m1", "bob", "", "one")
	a.sendText("m2", "bob", "", "two")
	b.push(protocol.PushMessage)
	b.push(protocol.PushMessage)

	var pinned protocol.Message
	b.do(protocol.ReqPinMessage, protocol.PinMessageReq{ConversationID: conv, ClientMsgID: "m2", IsPinned: true}, &pinned)
	assert.True(t, pinned.IsPinned)
	assert.Equal(t, "bob", pinned.PinnedBy)
	assert.NotZero(t, pinned.PinTime)
	assert.Equal(t, pinned, decode[protocol.Message](t, a.push(protocol.PushMessageChanged)))
	var again protocol.Message
	b.do(protocol.ReqPinMessage, protocol.PinMessageReq{ConversationID: conv, ClientMsgID: "m2", IsPinned: true}, &again)
	assert.Equal(t, pinned, again, "pinning twice changes nothing")

	var list protocol.MessagesResp
	a.do(protocol.ReqPinnedMessages, protocol.ConversationIDReq{ConversationID: conv}, &list)
	assert.Equal(t, []protocol.Message{pinned}, list.Messages)

	var revoked protocol.Message
	a.do(protocol.ReqRevokeMessage, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "m2"}, &revoked)
	assert.False(t, revoked.IsPinned, "a revoke unpins")
	a.do(protocol.ReqPinnedMessages, protocol.ConversationIDReq{ConversationID: conv}, &list)
	assert.Empty(t, list.Messages)
	b.wantError(protocol.ReqPinMessage, protocol.PinMessageReq{ConversationID: conv, ClientMsgID: "m2", IsPinned: true}, protocol.CodeInvalidArgument)
	b.wantError(protocol.ReqPinMessage, protocol.PinMessageReq{ConversationID: conv, ClientMsgID: "nope", IsPinned: true}, protocol.CodeNotFound)
}

// TestReadReceipts: a read in a one-to-one conversation reaches the peer's
// connections as their state with the new peerReadSeq, and their sync.
func TestReadReceipts(t *testing.T) {
	e := newEnv(t)
	aTok, bTok := e.adminUser("alice"), e.adminUser("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	conv := protocol.SingleConversationID("alice", "bob")
	a.sendText("m1", "bob", "", "one")
	a.sendText("m2", "bob", "", "two")
	b.push(protocol.PushMessage)
	b.push(protocol.PushMessage)
	var sr protocol.SyncResp
	a.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	require.Len(t, sr.Conversations, 1)
	assert.Zero(t, sr.Conversations[0].PeerReadSeq)

	var st protocol.ConversationState
	b.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv, ReadSeq: 1}, &st)
	assert.Equal(t, int64(1), st.ReadSeq)
	assert.Equal(t, int64(2), st.PeerReadSeq, "alice read her own")
	pushed := decode[protocol.ConversationState](t, a.push(protocol.PushConversation))
	assert.Equal(t, int64(1), pushed.PeerReadSeq)
	var sr2 protocol.SyncResp
	a.do(protocol.ReqSync, protocol.SyncReq{Cursor: sr.Cursor}, &sr2)
	require.Len(t, sr2.Conversations, 1)
	assert.Equal(t, int64(1), sr2.Conversations[0].PeerReadSeq)

	// Marking again changes nothing and tells nobody.
	b.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv, ReadSeq: 1}, &st)
	a.ping()
	a.noPush()
}
