package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// noticeKind returns the kind of a notification message ("" for any other).
func noticeKind(m core.Message) string {
	var n protocol.NotificationContent
	if m.ContentType != protocol.ContentNotification || json.Unmarshal(m.Content, &n) != nil {
		return ""
	}
	return n.Kind
}

// announcedBefore returns the index in d's events of the newMessages that
// announced clientMsgID and of the first event ok accepts (-1: none).
func announcedBefore(d *device, clientMsgID string, ok func(core.Event) bool) (announced, event int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	announced, event = -1, -1
	for i, ev := range d.events {
		if nm, is := ev.(core.NewMessages); is && announced < 0 &&
			slices.ContainsFunc(nm.Messages, func(m core.Message) bool { return m.ClientMsgID == clientMsgID }) {
			announced = i
		}
		if event < 0 && ok(ev) {
			event = i
		}
	}
	return announced, event
}

// TestKickedWhileAwayTimeline: bob's device is away while the group talks
// on and he is kicked, and the group talks on after. Back, his device
// stores and announces what he missed up to the kick, its notification
// last, and then the removal; nothing said after the kick reaches him.
func TestKickedWhileAwayTimeline(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carl"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	c := e.device("carl", deviceOpt{})
	g, err := a.c.CreateGroup(ctx, "Three", []string{"bob", "carl"})
	require.NoError(t, err)
	conv := protocol.GroupConversationID(g.GroupID)
	a.send("", g.GroupID, "hello")
	b.waitFor("hello", func() bool {
		return slices.ContainsFunc(b.newMsgs, func(m core.Message) bool { return m.Text == "hello" })
	})

	back := b.away()
	a.send("", g.GroupID, "while away 1")
	c.send("", g.GroupID, "while away 2")
	require.NoError(t, a.c.KickGroupMember(ctx, g.GroupID, "bob"))
	a.send("", g.GroupID, "after the kick")
	back()

	removed := func(ev core.Event) bool {
		r, ok := ev.(core.GroupMemberRemoved)
		return ok && r.GroupID == g.GroupID && r.UserID == "bob"
	}
	b.waitEvents("bob's removal", 1, removed)
	b.c.WaitEvents()

	h := b.history(conv)
	require.NotEmpty(t, h)
	last := h[len(h)-1]
	assert.Equal(t, protocol.NotificationMemberRemoved, noticeKind(last), "the timeline ends with the kick: %+v", last)
	var texts []string
	for _, m := range h {
		if m.ContentType == protocol.ContentText {
			texts = append(texts, m.Text)
		}
	}
	assert.Equal(t, []string{"hello", "while away 1", "while away 2"}, texts, "what he missed, nothing after the kick")
	checkDense(t, "bob", h)
	for _, m := range b.newMessages() {
		assert.NotEqual(t, "after the kick", m.Text, "announced a message after the kick")
	}
	cv := conversation(t, b, conv)
	assert.True(t, cv.Removed)
	assert.Equal(t, last.Seq, cv.MaxSeq, "the conversation ends at the kick")

	// The missed messages and the kick's line came before the removal.
	announced, ev := announcedBefore(b, last.ClientMsgID, removed)
	require.GreaterOrEqual(t, announced, 0, "the kick's notification announced with newMessages")
	assert.Less(t, announced, ev, "newMessages with the kick before groupMemberRemoved")
	assert.Equal(t, 1, count(b, removed), "the removal announced once")
}

// TestDismissedWhileAwayTimeline: bob's device is away while the group
// talks and its owner dismisses it. Back, his device stores and announces
// what he missed, the dismissal's notification last, then groupDismissed.
func TestDismissedWhileAwayTimeline(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	g, err := a.c.CreateGroup(ctx, "Short-lived", []string{"bob"})
	require.NoError(t, err)
	conv := protocol.GroupConversationID(g.GroupID)
	a.send("", g.GroupID, "hello")
	b.waitFor("hello", func() bool {
		return slices.ContainsFunc(b.newMsgs, func(m core.Message) bool { return m.Text == "hello" })
	})

	back := b.away()
	a.send("", g.GroupID, "last words")
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqDismissGroup, protocol.GroupIDReq{GroupID: g.GroupID}))
	back()

	dismissedEv := func(ev core.Event) bool { d, ok := ev.(core.GroupDismissed); return ok && d.GroupID == g.GroupID }
	b.waitEvents("groupDismissed", 1, dismissedEv)
	b.c.WaitEvents()

	h := b.history(conv)
	require.NotEmpty(t, h)
	last := h[len(h)-1]
	assert.Equal(t, protocol.NotificationDismissed, noticeKind(last), "the timeline ends with the dismissal: %+v", last)
	require.GreaterOrEqual(t, len(h), 2)
	assert.Equal(t, "last words", h[len(h)-2].Text)
	checkDense(t, "bob", h)
	assert.Equal(t, last.Seq, conversation(t, b, conv).MaxSeq)

	announced, ev := announcedBefore(b, last.ClientMsgID, dismissedEv)
	require.GreaterOrEqual(t, announced, 0, "the dismissal's notification announced with newMessages")
	assert.Less(t, announced, ev, "newMessages with the dismissal before groupDismissed")
	assert.Equal(t, 1, count(b, dismissedEv))
}
