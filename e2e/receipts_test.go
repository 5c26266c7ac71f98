package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// TestGroupReadReceipts: members' reads raise readCount on the sender's
// devices live (messagesChanged), a sender's device that was offline has
// the right counts after its catch-up, and getMessageReadInfo lists the
// readers; the other members' messages carry no count.
func TestGroupReadReceipts(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carl", "dave"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	c := e.device("carl", deviceOpt{})
	ctx := context.Background()
	g, err := a.c.CreateGroup(ctx, "Team", []string{"bob", "carl", "dave"})
	require.NoError(t, err)
	conv := protocol.GroupConversationID(g.GroupID)
	m1 := a.send("", g.GroupID, "one")
	m2 := a.send("", g.GroupID, "two")
	b.waitNew(2)
	c.waitNew(2)
	a2.waitNew(2)

	readCount := func(d *device, id string) int { return storedMessage(t, d, id).ReadCount }
	require.NoError(t, b.c.MarkConversationAsRead(ctx, conv))
	for _, d := range []*device{a, a2} {
		d.waitFor("bob's read counted", func() bool {
			ms, err := d.store.Messages(ctx, []string{m2.ClientMsgID})
			return err == nil && len(ms) == 1 && ms[0].ReadCount == 1
		})
		assert.Equal(t, 1, readCount(d, m1.ClientMsgID))
		// Announced after the write that the store already shows.
		d.waitFor("bob's read announced", func() bool {
			for _, ev := range d.events {
				if mc, ok := ev.(core.MessagesChanged); ok {
					for _, m := range mc.Messages {
						if m.ClientMsgID == m2.ClientMsgID && m.ReadCount == 1 {
							return true
						}
					}
				}
			}
			return false
		})
	}

	// alice's second device goes away; carl reads.
	a2.dial.down.Store(true)
	a2.dial.cut()
	a2.waitState(core.ConnDisconnected)
	require.NoError(t, c.c.MarkConversationAsRead(ctx, conv))
	a.waitFor("carl's read counted", func() bool {
		ms, err := a.store.Messages(ctx, []string{m2.ClientMsgID})
		return err == nil && len(ms) == 1 && ms[0].ReadCount == 2
	})
	info, err := a.c.MessageReadInfo(ctx, conv, m2.ClientMsgID)
	require.NoError(t, err)
	assert.Equal(t, 2, info.ReadCount)
	assert.Equal(t, 1, info.UnreadCount, "dave")
	require.Len(t, info.Readers, 2)
	assert.ElementsMatch(t, []string{"bob", "carl"}, []string{info.Readers[0].UserID, info.Readers[1].UserID})
	_, err = b.c.MessageReadInfo(ctx, conv, m2.ClientMsgID)
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(err), "only the sender")

	a2.dial.down.Store(false)
	a2.waitFor("counts after the catch-up", func() bool {
		ms, err := a2.store.Messages(ctx, []string{m1.ClientMsgID, m2.ClientMsgID})
		return err == nil && len(ms) == 2 && ms[0].ReadCount == 2 && ms[1].ReadCount == 2
	})
	// bob's copy of alice's message carries no count of his.
	assert.Zero(t, readCount(b, m2.ClientMsgID))
}
