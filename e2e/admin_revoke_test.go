package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
	"parley/server"
)

// TestAdminRevokeMessage: the app's backend deletes a message for
// everyone (POST /api/v1/admin/messages/revoke), past the sender's revoke
// window; the devices online see it revoked live, each once, and one that
// was away finds it revoked when it comes back, as with a sender's revoke.
func TestAdminRevokeMessage(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.RevokeWindow = time.Millisecond })
	for _, u := range []string{"alice", "bob", "carl"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	away := e.device("bob", deviceOpt{platform: protocol.PlatformDesktop})
	c := e.device("carl", deviceOpt{})
	ctx := context.Background()
	g, err := a.c.CreateGroup(ctx, "Team", []string{"bob", "carl"})
	require.NoError(t, err)
	conv := protocol.GroupConversationID(g.GroupID)
	spam := b.send("", g.GroupID, "buy now")
	keep := b.send("", g.GroupID, "hello")
	for _, d := range []*device{a, c, away} {
		d.waitNew(2)
	}
	away.dial.down.Store(true)
	away.dial.cut()
	away.waitState(core.ConnDisconnected)
	time.Sleep(5 * time.Millisecond) // past the 1 ms revoke window
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(b.c.RevokeMessage(ctx, conv, spam.ClientMsgID)), "the sender's window is over")

	revoke := func(req server.AdminRevokeMessageReq) (protocol.Message, error) {
		var m protocol.Message
		err := e.post("/api/v1/admin/messages/revoke", adminSecret, req, &m)
		return m, err
	}
	m, err := revoke(server.AdminRevokeMessageReq{ConversationID: conv, ClientMsgID: spam.ClientMsgID, OperatorUserID: "moderator"})
	require.NoError(t, err)
	assert.Equal(t, protocol.ContentRevoked, m.ContentType)
	assert.Equal(t, spam.Seq, m.Seq)
	// Again: the message as it is, nothing pushed twice.
	again, err := revoke(server.AdminRevokeMessageReq{ConversationID: conv, ClientMsgID: spam.ClientMsgID})
	require.NoError(t, err)
	assert.Equal(t, m.Version, again.Version)

	check := func(d *device) {
		t.Helper()
		got := storedMessage(t, d, spam.ClientMsgID)
		assert.Equal(t, protocol.ContentRevoked, got.ContentType, d.userID)
		assert.Equal(t, "", got.Text)
		var rc protocol.RevokedContent
		require.NoError(t, json.Unmarshal(got.Content, &rc))
		assert.Equal(t, "moderator", rc.RevokerUserID)
		assert.Equal(t, "hello", storedMessage(t, d, keep.ClientMsgID).Text, "the other message stays")
	}
	for _, d := range []*device{a, b, c} {
		d.waitChanged(1)
		assert.Len(t, d.changedMessages(), 1, "%s: announced once", d.userID)
		check(d)
	}
	away.dial.down.Store(false)
	away.waitChanged(1)
	assert.Len(t, away.changedMessages(), 1)
	check(away)

	// Without operatorUserID, the sender is named.
	m, err = revoke(server.AdminRevokeMessageReq{ConversationID: conv, ClientMsgID: keep.ClientMsgID})
	require.NoError(t, err)
	var rc protocol.RevokedContent
	require.NoError(t, json.Unmarshal(m.Content, &rc))
	assert.Equal(t, "bob", rc.RevokerUserID)
	c.waitChanged(2)

	for _, bad := range []struct {
		req  server.AdminRevokeMessageReq
		code string
	}{
		{server.AdminRevokeMessageReq{ConversationID: conv, ClientMsgID: "no-such-message"}, "not_found"},
		{server.AdminRevokeMessageReq{ConversationID: "nonsense", ClientMsgID: keep.ClientMsgID}, "invalid_argument"},
		{server.AdminRevokeMessageReq{ConversationID: conv}, "invalid_argument"},
		{server.AdminRevokeMessageReq{ConversationID: conv, ClientMsgID: keep.ClientMsgID, OperatorUserID: "_bad id"}, "invalid_argument"},
		{server.AdminRevokeMessageReq{ConversationID: protocol.SingleConversationID("alice", "carl"), ClientMsgID: keep.ClientMsgID}, "not_found"},
	} {
		_, err := revoke(bad.req)
		require.Error(t, err)
		assert.Contains(t, err.Error(), bad.code, "%+v", bad.req)
	}
}
