package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// changedMessages is every message announced with messagesChanged.
func (d *device) changedMessages() []core.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []core.Message
	for _, ev := range d.events {
		if mc, ok := ev.(core.MessagesChanged); ok {
			out = append(out, mc.Messages...)
		}
	}
	return out
}

func (d *device) waitChanged(n int) {
	d.t.Helper()
	d.waitFor("messagesChanged", func() bool {
		k := 0
		for _, ev := range d.events {
			if mc, ok := ev.(core.MessagesChanged); ok {
				k += len(mc.Messages)
			}
		}
		return k >= n
	})
}

func storedMessage(t *testing.T, d *device, clientMsgID string) core.Message {
	t.Helper()
	ms, err := d.store.Messages(context.Background(), []string{clientMsgID})
	require.NoError(t, err)
	require.Len(t, ms, 1, "%s holds %s", d.userID, clientMsgID)
	return ms[0]
}

// TestRevokeAndEditLive: an edit and a revoke reach the peer and the
// sender's other device live, each announced once with messagesChanged;
// the revoked text is gone from every store.
func TestRevokeAndEditLive(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	conv := protocol.SingleConversationID("alice", "bob")
	ctx := context.Background()

	m1 := a.send("bob", "", "a secret")
	m2 := a.send("bob", "", "a typo")
	b.waitNew(2)
	a2.waitNew(2)

	edited, err := a.c.EditMessage(ctx, conv, m2.ClientMsgID, "no typo")
	require.NoError(t, err)
	assert.Equal(t, "no typo", edited.Text)
	assert.NotZero(t, edited.EditTime)
	assert.Equal(t, int64(1), edited.Version)
	require.NoError(t, a.c.RevokeMessage(ctx, conv, m1.ClientMsgID))

	for _, d := range []*device{b, a2} {
		d.waitChanged(2)
		ch := d.changedMessages()
		require.Len(t, ch, 2, "%s: each change once", d.userID)
		assert.Equal(t, "no typo", ch[0].Text)
		assert.Equal(t, protocol.ContentRevoked, ch[1].ContentType)
		got := storedMessage(t, d, m1.ClientMsgID)
		assert.Equal(t, protocol.ContentRevoked, got.ContentType)
		assert.Equal(t, "", got.Text)
		var rc protocol.RevokedContent
		require.NoError(t, json.Unmarshal(got.Content, &rc))
		assert.Equal(t, "alice", rc.RevokerUserID)
		cv := conversation(t, d, conv)
		require.NotNil(t, cv.LatestMessage)
		assert.Equal(t, "no typo", cv.LatestMessage.Text, "%s: the latest message shows the edit", d.userID)
		assert.Len(t, d.newMessages(), 2, "%s: changes are not new messages", d.userID)
	}
	assert.Equal(t, "no typo", storedMessage(t, a, m2.ClientMsgID).Text)
	assert.Equal(t, protocol.ContentRevoked, storedMessage(t, a, m1.ClientMsgID).ContentType)
	// The device that made the changes announces them too, once each: an
	// app draws every change from the one event.
	a.waitChanged(2)
	assert.Len(t, a.changedMessages(), 2)

	// Refusals come back coded.
	_, err = b.c.EditMessage(ctx, conv, m2.ClientMsgID, "bob's words")
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(err))
	_, err = a.c.EditMessage(ctx, conv, m1.ClientMsgID, "bring it back")
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
	_, err = a.c.EditMessage(ctx, conv, m2.ClientMsgID, "   ")
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(b.c.RevokeMessage(ctx, conv, m2.ClientMsgID)))
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(a.c.RevokeMessage(ctx, conv, "no-such-message")))
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(a.c.RevokeMessage(ctx, "nonsense", m1.ClientMsgID)))
}

// TestChangesWhileAway: a device that was offline while messages were
// edited and revoked (and one logged out with its store kept) ends with
// the same messages as the others after it reconnects, each change
// announced once.
func TestChangesWhileAway(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	conv := protocol.SingleConversationID("alice", "bob")
	ctx := context.Background()

	var sent []core.Message
	for _, txt := range []string{"one", "two", "three", "four"} {
		sent = append(sent, a.send("bob", "", txt))
	}
	b.waitNew(4)

	// bob's device goes away.
	b.dial.down.Store(true)
	b.dial.cut()
	b.waitState(core.ConnDisconnected)

	_, err := a.c.EditMessage(ctx, conv, sent[1].ClientMsgID, "two, edited")
	require.NoError(t, err)
	_, err = a.c.EditMessage(ctx, conv, sent[1].ClientMsgID, "two, edited twice")
	require.NoError(t, err)
	_, err = a.c.EditMessage(ctx, conv, sent[2].ClientMsgID, "three, edited")
	require.NoError(t, err)
	require.NoError(t, a.c.RevokeMessage(ctx, conv, sent[2].ClientMsgID))
	late := a.send("bob", "", "five")
	require.NoError(t, a.c.RevokeMessage(ctx, conv, late.ClientMsgID))

	b.dial.down.Store(false)
	b.waitNew(5)
	b.waitChanged(2)
	b.waitFor("caught up", func() bool {
		cv, err := b.store.Conversation(ctx, conv)
		return err == nil && cv.ChangesVersion == 5
	})
	ch := b.changedMessages()
	require.Len(t, ch, 2, "two held messages changed, each announced once in its final state")
	assert.Equal(t, "two, edited twice", ch[0].Text)
	assert.Equal(t, protocol.ContentRevoked, ch[1].ContentType)
	news := b.newMessages()
	assert.Equal(t, protocol.ContentRevoked, news[4].ContentType, "a message revoked before it arrived arrives revoked")

	want := a.history(conv)
	got := b.history(conv)
	require.Len(t, got, 5)
	for i := range want {
		assert.Equal(t, want[i].ContentType, got[i].ContentType)
		assert.Equal(t, want[i].Text, got[i].Text)
		assert.Equal(t, want[i].Version, got[i].Version)
	}
	assert.Equal(t, "", got[2].Text)

	// A fresh device sees the final state at once, and no changes.
	b2 := e.device("bob", deviceOpt{platform: protocol.PlatformDesktop})
	assert.Empty(t, b2.changedMessages())
	h := b2.history(conv)
	require.Len(t, h, 5)
	assert.Equal(t, "two, edited twice", h[1].Text)
	assert.Equal(t, protocol.ContentRevoked, h[2].ContentType)
	cv := conversation(t, b2, conv)
	assert.Equal(t, int64(5), cv.ChangesVersion)

	// bob logs out; alice edits; bob logs in again on the same store.
	b.logout()
	_, err = a.c.EditMessage(ctx, conv, sent[0].ClientMsgID, "one, at last")
	require.NoError(t, err)
	b3 := e.device("bob", deviceOpt{store: b.store})
	b3.waitChanged(1)
	assert.Equal(t, "one, at last", b3.changedMessages()[0].Text)
	assert.Equal(t, "one, at last", storedMessage(t, b3, sent[0].ClientMsgID).Text)
}

// TestGroupModeratorRevoke: a group's owner revokes a member's message;
// every member sees it revoked by the owner.
func TestGroupModeratorRevoke(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carl"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	c := e.device("carl", deviceOpt{})
	ctx := context.Background()
	g, err := a.c.CreateGroup(ctx, "Team", []string{"bob", "carl"})
	require.NoError(t, err)
	conv := protocol.GroupConversationID(g.GroupID)
	m := b.send("", g.GroupID, "off topic")
	c.waitNew(1)
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(c.c.RevokeMessage(ctx, conv, m.ClientMsgID)))
	require.NoError(t, a.c.RevokeMessage(ctx, conv, m.ClientMsgID))
	for _, d := range []*device{b, c} {
		d.waitChanged(1)
		got := storedMessage(t, d, m.ClientMsgID)
		var rc protocol.RevokedContent
		require.NoError(t, json.Unmarshal(got.Content, &rc))
		assert.Equal(t, "alice", rc.RevokerUserID)
		assert.Equal(t, "bob", got.SendID)
	}
}

// TestClearConversation: a clear removes the messages so far from every
// device of the user (one of them offline meanwhile), and leaves the
// peer's; later messages arrive as usual.
func TestClearConversation(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	b2 := e.device("bob", deviceOpt{platform: protocol.PlatformDesktop})
	conv := protocol.SingleConversationID("alice", "bob")
	ctx := context.Background()
	for _, txt := range []string{"one", "two", "three"} {
		a.send("bob", "", txt)
	}
	b.waitNew(3)
	b2.waitNew(3)
	b2.dial.down.Store(true)
	b2.dial.cut()
	b2.waitState(core.ConnDisconnected)

	require.NoError(t, b.c.ClearConversationMessages(ctx, conv))
	assert.Empty(t, b.history(conv))
	ms, err := b.store.MessagesBySeq(ctx, conv, 1, 10)
	require.NoError(t, err)
	assert.Empty(t, ms, "removed from the store, not only hidden")
	cv := conversation(t, b, conv)
	assert.Nil(t, cv.LatestMessage)
	assert.Zero(t, cv.UnreadCount)
	assert.Len(t, a.history(conv), 3, "the peer keeps them")

	b2.dial.down.Store(false)
	b2.waitFor("cleared after the outage", func() bool {
		cv, err := b2.store.Conversation(ctx, conv)
		return err == nil && cv.MinSeq == 4
	})
	assert.Empty(t, b2.history(conv))
	ms, err = b2.store.MessagesBySeq(ctx, conv, 1, 10)
	require.NoError(t, err)
	assert.Empty(t, ms)

	a.send("bob", "", "four")
	b.waitNew(4)
	checkTexts(t, "bob", b.history(conv), []string{"four"})
	// A fresh device of bob's starts after the clear.
	b3 := e.device("bob", deviceOpt{platform: protocol.PlatformAndroid})
	checkTexts(t, "bob's new device", b3.history(conv), []string{"four"})
}

// TestDeleteForMe: a message deleted on one of bob's devices leaves every
// device of his (one offline meanwhile, one fresh), content and all; alice
// keeps hers, and her later edit does not bring it back to bob.
func TestDeleteForMe(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	b2 := e.device("bob", deviceOpt{platform: protocol.PlatformDesktop})
	b3 := e.device("bob", deviceOpt{platform: protocol.PlatformAndroid})
	conv := protocol.SingleConversationID("alice", "bob")
	ctx := context.Background()
	a.send("bob", "", "keep me")
	gone := a.send("bob", "", "delete me")
	a.send("bob", "", "keep me too")
	for _, d := range []*device{b, b2, b3} {
		d.waitNew(3)
	}
	b3.dial.down.Store(true)
	b3.dial.cut()
	b3.waitState(core.ConnDisconnected)

	require.NoError(t, b.c.DeleteMessage(ctx, conv, gone.ClientMsgID))
	for _, d := range []*device{b, b2} {
		d.waitFor("the deletion", func() bool {
			ms, _ := d.store.Messages(ctx, []string{gone.ClientMsgID})
			return len(ms) == 1 && ms[0].Deleted
		})
		checkTexts(t, d.userID, d.history(conv), []string{"keep me", "keep me too"})
		assert.NotContains(t, storedMessage(t, d, gone.ClientMsgID).Text, "delete")
	}
	b2.waitChanged(1)
	ch := b2.changedMessages()
	require.Len(t, ch, 1)
	assert.True(t, ch[0].Deleted)
	checkTexts(t, "alice", a.history(conv), []string{"keep me", "delete me", "keep me too"})

	// alice edits it meanwhile; bob's offline device then catches up.
	_, err := a.c.EditMessage(ctx, conv, gone.ClientMsgID, "delete me, edited")
	require.NoError(t, err)
	b3.dial.down.Store(false)
	b3.waitFor("the deletion after the outage", func() bool {
		ms, _ := b3.store.Messages(ctx, []string{gone.ClientMsgID})
		return len(ms) == 1 && ms[0].Deleted
	})
	checkTexts(t, "bob offline", b3.history(conv), []string{"keep me", "keep me too"})
	for _, d := range []*device{b, b2, b3} {
		got := storedMessage(t, d, gone.ClientMsgID)
		assert.True(t, got.Deleted, d.userID)
		assert.Empty(t, got.Text)
		assert.Empty(t, got.Content)
	}
	// A fresh device of bob's never holds it.
	b4 := e.device("bob", deviceOpt{platform: protocol.PlatformIOS})
	checkTexts(t, "bob fresh", b4.history(conv), []string{"keep me", "keep me too"})
	assert.True(t, storedMessage(t, b4, gone.ClientMsgID).Deleted)
	assert.Empty(t, b4.changedMessages())
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(b.c.DeleteMessage(ctx, conv, "no-such-message")))
}

// TestPinnedMessages: a pin made by one member reaches the others live and
// a device that was away; getPinnedMessages lists it online and offline.
func TestPinnedMessages(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carl"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	c := e.device("carl", deviceOpt{})
	ctx := context.Background()
	g, err := a.c.CreateGroup(ctx, "Team", []string{"bob", "carl"})
	require.NoError(t, err)
	conv := protocol.GroupConversationID(g.GroupID)
	rules := a.send("", g.GroupID, "house rules: be kind")
	a.send("", g.GroupID, "hello")
	b.waitNew(2)
	c.waitNew(2)
	c.dial.down.Store(true)
	c.dial.cut()
	c.waitState(core.ConnDisconnected)

	require.NoError(t, b.c.PinMessage(ctx, conv, rules.ClientMsgID, true))
	a.waitChanged(1)
	got := storedMessage(t, a, rules.ClientMsgID)
	assert.True(t, got.IsPinned)
	assert.Equal(t, "bob", got.PinnedBy)
	pinned, err := a.c.PinnedMessages(ctx, conv)
	require.NoError(t, err)
	require.Len(t, pinned, 1)
	assert.Equal(t, rules.ClientMsgID, pinned[0].ClientMsgID)

	c.dial.down.Store(false)
	c.waitChanged(1)
	assert.True(t, storedMessage(t, c, rules.ClientMsgID).IsPinned)
	// Offline, from local data.
	c.dial.down.Store(true)
	c.dial.cut()
	c.waitState(core.ConnDisconnected)
	pinned, err = c.c.PinnedMessages(ctx, conv)
	require.NoError(t, err)
	require.Len(t, pinned, 1)
	assert.Equal(t, "house rules: be kind", pinned[0].Text)

	require.NoError(t, a.c.PinMessage(ctx, conv, rules.ClientMsgID, false))
	b.waitChanged(2)
	assert.False(t, storedMessage(t, b, rules.ClientMsgID).IsPinned)
	pinned, err = b.c.PinnedMessages(ctx, conv)
	require.NoError(t, err)
	assert.Empty(t, pinned)
}

// typingOf is the last typingChanged list for conv.
func (d *device) typingOf(conv string) ([]string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.events) - 1; i >= 0; i-- {
		if tc, ok := d.events[i].(core.TypingChanged); ok && tc.ConversationID == conv {
			return tc.UserIDs, true
		}
	}
	return nil, false
}

// TestTyping: a typing indicator reaches the peer, is stopped at once by a
// stop, lapses without renewal, and never reaches the typer's own devices.
func TestTyping(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	short := func(c *core.Config) { c.TypingLapse = 300 * time.Millisecond }
	a := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{cfg: short})
	conv := protocol.SingleConversationID("alice", "bob")
	ctx := context.Background()
	typers := func(d *device, want []string) func() bool {
		return func() bool {
			for i := len(d.events) - 1; i >= 0; i-- {
				if tc, ok := d.events[i].(core.TypingChanged); ok && tc.ConversationID == conv {
					return slices.Equal(tc.UserIDs, want)
				}
			}
			return false
		}
	}

	require.NoError(t, a.c.SetTyping(ctx, conv, true))
	b.waitFor("alice typing", typers(b, []string{"alice"}))
	require.NoError(t, a.c.SetTyping(ctx, conv, false))
	b.waitFor("alice stopped", typers(b, []string{}))

	// Without renewal the entry lapses (300 ms here, 6 s by default).
	require.NoError(t, a.c.SetTyping(ctx, conv, true))
	b.waitFor("alice typing again", typers(b, []string{"alice"}))
	b.waitFor("the entry lapsed", typers(b, []string{}))

	// Nothing reached alice's other device, and nothing was stored.
	_, any := a2.typingOf(conv)
	assert.False(t, any)
	_, err := b.store.Conversation(ctx, conv)
	assert.ErrorIs(t, err, core.ErrNotFound, "typing stores nothing")

	// Offline it rejects at once with network.
	a.dial.down.Store(true)
	a.dial.cut()
	a.waitState(core.ConnDisconnected)
	assert.Equal(t, protocol.CodeNetwork, protocol.CodeOf(a.c.SetTyping(ctx, conv, false)), "the stop of the last start")
	require.NoError(t, a.c.SetTyping(ctx, conv, false), "a stop after a stop: nothing to send")
	assert.Equal(t, protocol.CodeNetwork, protocol.CodeOf(a.c.SetTyping(ctx, conv, true)))
}

// TestReadReceipts: when bob reads, alice's own messages become isRead on
// her devices (one offline meanwhile), announced once; a read up to a seq
// covers only that far.
func TestReadReceipts(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	conv := protocol.SingleConversationID("alice", "bob")
	ctx := context.Background()
	var sent []core.Message
	for _, txt := range []string{"one", "two", "three"} {
		sent = append(sent, a.send("bob", "", txt))
	}
	b.waitNew(3)
	a2.waitNew(3)
	a2.dial.down.Store(true)
	a2.dial.cut()
	a2.waitState(core.ConnDisconnected)

	require.NoError(t, b.c.MarkConversationAsReadUpTo(ctx, conv, 2))
	a.waitChanged(2)
	assert.True(t, storedMessage(t, a, sent[0].ClientMsgID).IsRead)
	assert.True(t, storedMessage(t, a, sent[1].ClientMsgID).IsRead)
	assert.False(t, storedMessage(t, a, sent[2].ClientMsgID).IsRead, "read up to 2 only")
	assert.Equal(t, int64(2), conversation(t, a, conv).PeerReadSeq)
	assert.Equal(t, int64(1), conversation(t, b, conv).UnreadCount)

	// bob answers: his send says he read everything before it.
	b.send("alice", "", "got it")
	a.waitChanged(3)
	assert.True(t, storedMessage(t, a, sent[2].ClientMsgID).IsRead)
	ch := a.changedMessages()
	require.Len(t, ch, 3, "each message announced read once")

	a2.dial.down.Store(false)
	a2.waitFor("read receipts after the outage", func() bool {
		cv, err := a2.store.Conversation(ctx, conv)
		return err == nil && cv.PeerReadSeq == 4
	})
	for _, m := range sent {
		assert.True(t, storedMessage(t, a2, m.ClientMsgID).IsRead)
	}
	assert.Len(t, a2.changedMessages(), 3)
	h := a2.history(conv)
	require.Len(t, h, 4)
	assert.True(t, h[0].IsRead)
	assert.False(t, h[3].IsRead, "bob's own message is not alice's to be read")
}

// TestMuteConversation: a muted conversation keeps its unread count but
// leaves the total, on every device of the user (one offline meanwhile).
func TestMuteConversation(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carl"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	c := e.device("carl", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	b2 := e.device("bob", deviceOpt{platform: protocol.PlatformDesktop})
	conv := protocol.SingleConversationID("alice", "bob")
	ctx := context.Background()
	a.send("bob", "", "one")
	a.send("bob", "", "two")
	c.send("bob", "", "from carl")
	b.waitNew(3)
	b2.waitNew(3)
	total := func(d *device) int64 {
		n, err := d.c.TotalUnreadCount(ctx)
		require.NoError(t, err)
		return n
	}
	require.Equal(t, int64(3), total(b))
	b2.dial.down.Store(true)
	b2.dial.cut()
	b2.waitState(core.ConnDisconnected)

	require.NoError(t, b.c.SetConversationMuted(ctx, conv, true))
	assert.Equal(t, int64(1), total(b), "alice's two are left out")
	cv := conversation(t, b, conv)
	assert.True(t, cv.IsMuted)
	assert.Equal(t, int64(2), cv.UnreadCount, "kept")
	b.waitFor("total announced", func() bool { return b.total == 1 })

	a.send("bob", "", "three")
	b.waitNew(4)
	assert.Equal(t, int64(1), total(b), "new messages of a muted conversation stay out of the total")

	b2.dial.down.Store(false)
	b2.waitFor("muted after the outage", func() bool {
		cv, err := b2.store.Conversation(ctx, conv)
		return err == nil && cv.IsMuted
	})
	b2.waitFor("the total without it", func() bool { return b2.total == 1 })

	require.NoError(t, b.c.SetConversationMuted(ctx, conv, false))
	assert.Equal(t, int64(4), total(b))
}
