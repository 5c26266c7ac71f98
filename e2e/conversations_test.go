package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// listed reports whether conv is on d's conversation list.
func listed(t *testing.T, d *device, conv string) bool {
	t.Helper()
	cs, err := d.c.ConversationList(context.Background(), 0, 0)
	require.NoError(t, err)
	return slices.ContainsFunc(cs, func(c core.Conversation) bool { return c.ConversationID == conv })
}

// storedHidden reads d's stored conversation's IsHidden (in waitFor's cond).
func storedHidden(d *device, conv string) bool {
	cv, err := d.store.Conversation(context.Background(), conv)
	return err == nil && cv.IsHidden
}

// aliceAndBob starts a server where alice sent "one" and "two" to bob,
// who has two devices (b and b2) holding them.
func aliceAndBob(t *testing.T) (e *env, a, b, b2 *device, conv string) {
	e = newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a = e.device("alice", deviceOpt{})
	b = e.device("bob", deviceOpt{})
	b2 = e.device("bob", deviceOpt{platform: protocol.PlatformDesktop})
	conv = protocol.SingleConversationID("alice", "bob")
	a.send("bob", "", "one")
	a.send("bob", "", "two")
	b.waitNew(2)
	b2.waitNew(2)
	return e, a, b, b2, conv
}

// TestHideAndDeleteConversation: bob hides a conversation on one device;
// his other device, offline meanwhile, hides it on its catch-up; the next
// message brings it back on both. Then he deletes it with both online: the
// other device follows live, history empty, messages gone; alice keeps
// hers, and her next message is all bob sees.
func TestHideAndDeleteConversation(t *testing.T) {
	_, a, b, b2, conv := aliceAndBob(t)
	ctx := context.Background()

	b2.dial.down.Store(true)
	b2.dial.cut()
	b2.waitState(core.ConnDisconnected)
	require.NoError(t, b.c.HideConversation(ctx, conv))
	assert.False(t, listed(t, b, conv), "hidden on the device that hid it")
	total, err := b.c.TotalUnreadCount(ctx)
	require.NoError(t, err)
	assert.Zero(t, total, "a hidden conversation is out of the total")
	checkTexts(t, "bob", b.history(conv), []string{"one", "two"})
	assert.True(t, listed(t, b2, conv), "the offline device has not heard yet")

	b2.dial.down.Store(false)
	b2.waitFor("hidden after the outage", func() bool { return storedHidden(b2, conv) })
	assert.False(t, listed(t, b2, conv))

	a.send("bob", "", "three")
	b.waitNew(3)
	b2.waitNew(3)
	assert.True(t, listed(t, b, conv), "its next message brings it back")
	assert.True(t, listed(t, b2, conv))

	require.NoError(t, b.c.DeleteConversation(ctx, conv))
	assert.False(t, listed(t, b, conv))
	h, err := b.c.HistoryMessages(ctx, conv, 0, 20)
	require.NoError(t, err)
	assert.Equal(t, core.History{Messages: []core.Message{}, IsEnd: true}, h)
	b2.waitFor("deleted live", func() bool { return storedHidden(b2, conv) })
	h, err = b2.c.HistoryMessages(ctx, conv, 0, 20)
	require.NoError(t, err)
	assert.Equal(t, core.History{Messages: []core.Message{}, IsEnd: true}, h)
	ms, err := b2.store.MessagesBySeq(ctx, conv, 1, 10)
	require.NoError(t, err)
	assert.Empty(t, ms, "removed from the store, not only hidden")
	assert.Len(t, a.history(conv), 3, "alice keeps hers")
	assert.True(t, listed(t, a, conv))

	a.send("bob", "", "four")
	b.waitNew(4)
	assert.True(t, listed(t, b, conv))
	checkTexts(t, "bob", b.history(conv), []string{"four"})
}

// TestOfflineDraftAndReadMark: with the server down, setConversationDraft
// and markConversationAsRead resolve from local data; once the server is
// back the device sends both, and bob's other device gets them.
func TestOfflineDraftAndReadMark(t *testing.T) {
	e, _, b, b2, conv := aliceAndBob(t)

	e.stop()
	b.waitState(core.ConnDisconnected)
	// The bound catches a hang: offline, both must answer from local data.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, b.c.SetConversationDraft(ctx, conv, "written offline"))
	require.NoError(t, b.c.MarkConversationAsRead(ctx, conv))
	cv := conversation(t, b, conv)
	assert.Equal(t, "written offline", cv.DraftText)
	assert.True(t, cv.DraftPending)
	assert.Zero(t, cv.UnreadCount)

	e.restart(nil)
	b2.waitFor("the draft and the read mark from bob's other device", func() bool {
		cv, err := b2.store.Conversation(context.Background(), conv)
		return err == nil && cv.DraftText == "written offline" && cv.ReadSeq == 2
	})
	st, err := e.st.Conversation(context.Background(), "bob", conv)
	require.NoError(t, err)
	assert.Equal(t, "written offline", st.DraftText)
	assert.Equal(t, int64(2), st.ReadSeq)
	b.waitFor("the draft no longer pending", func() bool {
		cv, err := b.store.Conversation(context.Background(), conv)
		return err == nil && !cv.DraftPending
	})
}
