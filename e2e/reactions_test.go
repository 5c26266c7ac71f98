package e2e

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// reactionsOf is the stored message's reactions as emoji → users, with
// reactedByMe checked against userID.
func reactionsOf(t *testing.T, d *device, clientMsgID string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range storedMessage(t, d, clientMsgID).Reactions {
		assert.Equal(t, len(r.UserIDs), r.Count, "%s: all users listed below ten", d.userID)
		assert.Equal(t, slices.Contains(r.UserIDs, d.userID), r.ReactedByMe, "%s: reactedByMe of %s", d.userID, r.Emoji)
		out[r.Emoji] = r.UserIDs
	}
	return out
}

// TestReactions: reactions in a group reach every member's devices live,
// each announced with messagesChanged; a device that was offline meanwhile
// ends with the same reactions; a revoked message takes none; a
// non-member is refused.
func TestReactions(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carl", "mallory"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	c := e.device("carl", deviceOpt{})
	ctx := context.Background()
	g, err := a.c.CreateGroup(ctx, "Team", []string{"bob", "carl"})
	require.NoError(t, err)
	conv := protocol.GroupConversationID(g.GroupID)
	m := b.send("", g.GroupID, "lunch?")
	other := b.send("", g.GroupID, "or later")
	for _, d := range []*device{a, a2, c} {
		d.waitNew(2)
	}

	require.NoError(t, a.c.ReactMessage(ctx, conv, m.ClientMsgID, "👍", true))
	for _, d := range []*device{a, a2, b, c} {
		d.waitChanged(1)
		assert.Equal(t, map[string][]string{"👍": {"alice"}}, reactionsOf(t, d, m.ClientMsgID))
	}
	got := a2.changedMessages()[0]
	require.Len(t, got.Reactions, 1)
	assert.True(t, got.Reactions[0].ReactedByMe, "alice's other device: her reaction")
	assert.False(t, c.changedMessages()[0].Reactions[0].ReactedByMe)
	require.NoError(t, a.c.ReactMessage(ctx, conv, m.ClientMsgID, "👍", true), "adding again")

	// carl goes offline; the others react and take a reaction back.
	c.dial.down.Store(true)
	c.dial.cut()
	c.waitState(core.ConnDisconnected)
	require.NoError(t, b.c.ReactMessage(ctx, conv, m.ClientMsgID, "👍", true))
	require.NoError(t, a2.c.ReactMessage(ctx, conv, m.ClientMsgID, "🎉", true))
	require.NoError(t, a.c.ReactMessage(ctx, conv, m.ClientMsgID, "👍", false))
	require.NoError(t, a.c.ReactMessage(ctx, conv, m.ClientMsgID, "👍", false), "removing again")
	require.NoError(t, b.c.ReactMessage(ctx, conv, other.ClientMsgID, "❤️", true))
	require.NoError(t, b.c.RevokeMessage(ctx, conv, other.ClientMsgID))
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(a.c.ReactMessage(ctx, conv, other.ClientMsgID, "👍", true)), "revoked")
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(a.c.ReactMessage(ctx, conv, m.ClientMsgID, "a b", true)))
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(a.c.ReactMessage(ctx, conv, m.ClientMsgID, "", true)))
	mal := e.device("mallory", deviceOpt{})
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(mal.c.ReactMessage(ctx, conv, m.ClientMsgID, "👍", true)))

	want := map[string][]string{"👍": {"bob"}, "🎉": {"alice"}}
	c.dial.down.Store(false)
	c.waitFor("caught up", func() bool {
		cv, err := c.store.Conversation(ctx, conv)
		return err == nil && cv.ChangesVersion == cv.MessageVersion && cv.MessageVersion >= 6
	})
	for _, d := range []*device{a, a2, b, c} {
		d.waitFor("the final reactions", func() bool {
			ms, err := d.store.Messages(ctx, []string{m.ClientMsgID})
			return err == nil && len(ms) == 1 && len(ms[0].Reactions) == 2
		})
		assert.Equal(t, want, reactionsOf(t, d, m.ClientMsgID), d.userID)
		revoked := storedMessage(t, d, other.ClientMsgID)
		assert.Equal(t, protocol.ContentRevoked, revoked.ContentType)
		assert.Empty(t, revoked.Reactions, "%s: a revoke takes the reactions", d.userID)
	}
	// carl, away meanwhile, was told of each changed message once.
	ch := c.changedMessages()
	ids := map[string]int{}
	for _, x := range ch {
		ids[x.ClientMsgID]++
	}
	assert.Equal(t, 2, ids[m.ClientMsgID], "carl: the first reaction live, then the final state once")
	assert.Equal(t, 1, ids[other.ClientMsgID])
}
