package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server/store"
)

// testChangeMessage: a change rewrites the stored message with the
// conversation's next version, reports the conversation to every member's
// sync, and reads back by version.
func testChangeMessage(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	first := append1(t, s, single("a", "b", "c1", 10))
	append1(t, s, single("b", "a", "c2", 11))
	conv := first.Message.ConversationID
	before, err := s.User(ctx, "b")
	require.NoError(t, err)

	revoked := protocol.EncodeRevoked("a", 20)
	got, err := s.ChangeMessage(ctx, conv, "c1", func(m *protocol.Message) error {
		assert.Equal(t, first.Message.Content, m.Content, "change sees the stored content")
		m.ContentType, m.Content = protocol.ContentRevoked, revoked
		m.SendID = "forged" // not a field a change may move
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, int64(1), got.Message.Version)
	assert.Equal(t, "a", got.Message.SendID)
	assert.Equal(t, int64(1), got.Message.Seq)
	assert.Equal(t, protocol.ContentRevoked, got.Message.ContentType)
	assert.ElementsMatch(t, []string{"a", "b"}, got.Recipients)

	msgs, err := s.Messages(ctx, conv, 1, 1, 10, false)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, got.Message, msgs[0], "the stored row is the changed message: the old content is gone")

	after, err := s.User(ctx, "b")
	require.NoError(t, err)
	if after.ChangeVersion > 0 { // a store that reports versions
		assert.Greater(t, after.ChangeVersion, before.ChangeVersion)
	}
	states, err := s.ChangedConversations(ctx, "b", before.ChangeVersion, 10)
	require.NoError(t, err)
	require.Len(t, states, 1, "b's sync reports the conversation again")
	assert.Equal(t, int64(1), states[0].MessageVersion)
	assert.Equal(t, int64(2), states[0].MaxSeq)
	require.NotNil(t, states[0].LatestMessage)
	assert.Equal(t, "c2", states[0].LatestMessage.ClientMsgID)

	_, err = s.ChangeMessage(ctx, conv, "c2", func(m *protocol.Message) error {
		m.Content, m.EditTime = text("edited"), 30
		return nil
	})
	require.NoError(t, err)
	st, err := s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.MessageVersion)
	require.NotNil(t, st.LatestMessage)
	assert.Equal(t, int64(2), st.LatestMessage.Version)
	assert.Equal(t, int64(30), st.LatestMessage.EditTime)
	assert.JSONEq(t, `{"text":"edited"}`, string(st.LatestMessage.Content))

	changed, err := s.ChangedMessages(ctx, conv, 0, 1, 10)
	require.NoError(t, err)
	require.Len(t, changed, 2)
	assert.Equal(t, []int64{1, 2}, []int64{changed[0].Version, changed[1].Version})
	changed, err = s.ChangedMessages(ctx, conv, 1, 1, 10)
	require.NoError(t, err)
	require.Len(t, changed, 1)
	assert.Equal(t, "c2", changed[0].ClientMsgID)
	changed, err = s.ChangedMessages(ctx, conv, 0, 2, 10)
	require.NoError(t, err)
	assert.Len(t, changed, 1, "minSeq leaves out what the user may not read")
	changed, err = s.ChangedMessages(ctx, conv, 0, 1, 1)
	require.NoError(t, err)
	assert.Len(t, changed, 1, "limit")

	// A refusal changes nothing and comes back as it is.
	refusal := errors.New("refused")
	_, err = s.ChangeMessage(ctx, conv, "c2", func(m *protocol.Message) error {
		m.Content = text("never")
		return refusal
	})
	assert.Same(t, refusal, err)
	st, err = s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.MessageVersion)

	_, err = s.ChangeMessage(ctx, conv, "nope", func(*protocol.Message) error { return nil })
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.ChangeMessage(ctx, protocol.SingleConversationID("x", "y"), "c1", func(*protocol.Message) error { return nil })
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// testChangeMessageGroup: the members of a group are the recipients, a
// removed member is not, and concurrent changes each get their own version.
func testChangeMessageGroup(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "m1", "m2")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "o", MemberUserIDs: []string{"m1", "m2"}, CreateTime: 1})
	require.NoError(t, err)
	r := append1(t, s, group("m1", "g1", "c1", 10))
	require.NoError(t, r.Err)
	require.NoError(t, s.RemoveGroupMember(ctx, "g1", "m2"))
	removedBefore, err := s.Conversation(ctx, "m2", r.Message.ConversationID)
	require.NoError(t, err)

	const n = 8
	var wg sync.WaitGroup
	versions := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.ChangeMessage(ctx, r.Message.ConversationID, "c1", func(m *protocol.Message) error {
				m.EditTime++
				return nil
			})
			errs[i] = err
			if err == nil {
				versions[i] = got.Message.Version
				assert.ElementsMatch(t, []string{"o", "m1"}, got.Recipients)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	slices.Sort(versions)
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7, 8}, versions)
	msgs, err := s.Messages(ctx, r.Message.ConversationID, 1, 1, 1, false)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, int64(n), msgs[0].EditTime, "no change was lost")
	removedAfter, err := s.Conversation(ctx, "m2", r.Message.ConversationID)
	require.NoError(t, err)
	assert.Equal(t, removedBefore.Version, removedAfter.Version, "a removed member's state is left alone")
}

// testClearConversation: a clear moves the user's MinSeq past the
// conversation's MaxSeq (never back), leaves no latest message, reaches
// the user's sync, and leaves the other side alone; later messages are
// the user's again.
func testClearConversation(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	conv := protocol.SingleConversationID("a", "b")
	for i := range 3 {
		append1(t, s, single("a", "b", fmt.Sprint("c", i), int64(10+i)))
	}
	before, err := s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	zero := int64(0)
	st, changed, err := s.UpdateConversation(ctx, "b", conv, store.ConversationChange{ClearSeq: &zero}, 50)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, int64(4), st.MinSeq)
	assert.Nil(t, st.LatestMessage)
	assert.Greater(t, st.Version, before.Version)
	got, err := s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	assert.Equal(t, int64(4), got.MinSeq)
	assert.Nil(t, got.LatestMessage, "a cleared conversation has no latest message")
	states, err := s.ChangedConversations(ctx, "b", before.Version, 10)
	require.NoError(t, err)
	require.Len(t, states, 1)
	assert.Equal(t, int64(4), states[0].MinSeq)

	one := int64(1)
	_, changed, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{ClearSeq: &one}, 51)
	require.NoError(t, err)
	assert.False(t, changed, "MinSeq never moves back")
	other, err := s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	assert.Equal(t, int64(1), other.MinSeq, "the other side keeps its messages")

	append1(t, s, single("a", "b", "after", 60))
	got, err = s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	require.NotNil(t, got.LatestMessage)
	assert.Equal(t, "after", got.LatestMessage.ClientMsgID)
	assert.Equal(t, int64(4), got.MinSeq)
}

// testDeleteForUser: a deletion is the user's alone, recorded once, stamped
// on their state as DeleteVersion, and read back by version, by seq range
// and by message.
func testDeleteForUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "x")
	conv := protocol.SingleConversationID("a", "b")
	for i := range 3 {
		append1(t, s, single("a", "b", fmt.Sprint("c", i), int64(10+i)))
	}
	before, err := s.Conversation(ctx, "b", conv)
	require.NoError(t, err)

	st, d, changed, err := s.DeleteMessageForUser(ctx, "b", conv, "c1")
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, int64(2), d.Seq)
	assert.Equal(t, "c1", d.ClientMsgID)
	assert.Greater(t, d.Version, before.Version)
	assert.Equal(t, d.Version, st.Version)
	assert.Equal(t, d.Version, st.DeleteVersion)
	require.NotNil(t, st.LatestMessage)

	_, again, changed, err := s.DeleteMessageForUser(ctx, "b", conv, "c1")
	require.NoError(t, err)
	assert.False(t, changed, "deleting twice changes nothing")
	assert.Equal(t, d.Version, again.Version)

	states, err := s.ChangedConversations(ctx, "b", before.Version, 10)
	require.NoError(t, err)
	require.Len(t, states, 1)
	assert.Equal(t, d.Version, states[0].DeleteVersion)
	other, err := s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	assert.Zero(t, other.DeleteVersion, "the other side is unaffected")

	_, d2, _, err := s.DeleteMessageForUser(ctx, "b", conv, "c2")
	require.NoError(t, err)
	ds, err := s.DeletedMessages(ctx, "b", conv, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []protocol.Deletion{*d, *d2}, ds)
	ds, err = s.DeletedMessages(ctx, "b", conv, d.Version, 10)
	require.NoError(t, err)
	assert.Equal(t, []protocol.Deletion{*d2}, ds)
	ds, err = s.DeletedMessages(ctx, "a", conv, 0, 10)
	require.NoError(t, err)
	assert.Empty(t, ds)

	seqs, err := s.DeletedSeqs(ctx, "b", conv, 1, 3)
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 3}, seqs)
	seqs, err = s.DeletedSeqs(ctx, "b", conv, 3, 3)
	require.NoError(t, err)
	assert.Equal(t, []int64{3}, seqs)
	seqs, err = s.DeletedSeqs(ctx, "a", conv, 1, 3)
	require.NoError(t, err)
	assert.Empty(t, seqs)
	by, err := s.DeletedBy(ctx, conv, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, by)
	by, err = s.DeletedBy(ctx, conv, 1)
	require.NoError(t, err)
	assert.Empty(t, by)

	_, _, _, err = s.DeleteMessageForUser(ctx, "b", conv, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, _, _, err = s.DeleteMessageForUser(ctx, "x", conv, "c0")
	assert.ErrorIs(t, err, store.ErrNotMember)
	// Cleared messages are no longer the user's to delete.
	zero := int64(0)
	_, _, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{ClearSeq: &zero}, 99)
	require.NoError(t, err)
	_, _, _, err = s.DeleteMessageForUser(ctx, "b", conv, "c0")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// testPinnedMessages: a pin is a change of the message (its version moves)
// and the pinned messages are listed by seq.
func testPinnedMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	conv := protocol.SingleConversationID("a", "b")
	for i := range 4 {
		append1(t, s, single("a", "b", fmt.Sprint("c", i), int64(10+i)))
	}
	pin := func(id string, on bool) protocol.Message {
		t.Helper()
		got, err := s.ChangeMessage(ctx, conv, id, func(m *protocol.Message) error {
			m.IsPinned, m.PinnedBy, m.PinTime = on, "b", 77
			return nil
		})
		require.NoError(t, err)
		return got.Message
	}
	p := pin("c2", true)
	assert.True(t, p.IsPinned)
	assert.Equal(t, "b", p.PinnedBy)
	assert.Equal(t, int64(77), p.PinTime)
	assert.Equal(t, int64(1), p.Version)
	pin("c0", true)
	got, err := s.PinnedMessages(ctx, conv, 1, 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{"c0", "c2"}, []string{got[0].ClientMsgID, got[1].ClientMsgID})
	assert.Equal(t, p, got[1])
	got, err = s.PinnedMessages(ctx, conv, 2, 10)
	require.NoError(t, err)
	assert.Len(t, got, 1, "minSeq")
	got, err = s.PinnedMessages(ctx, conv, 1, 1)
	require.NoError(t, err)
	assert.Len(t, got, 1, "limit")
	pin("c0", false)
	got, err = s.PinnedMessages(ctx, conv, 1, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "c2", got[0].ClientMsgID)
	st, err := s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	assert.Equal(t, int64(3), st.MessageVersion)
}

// testPeerReadSeq: a one-to-one state carries the peer's read seq, and a
// read reports the conversation to the peer's sync.
func testPeerReadSeq(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	conv := protocol.SingleConversationID("a", "b")
	for i := range 3 {
		append1(t, s, single("a", "b", fmt.Sprint("c", i), int64(10+i)))
	}
	st, err := s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	assert.Zero(t, st.PeerReadSeq, "bob has read nothing")
	bob, err := s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	assert.Equal(t, int64(3), bob.PeerReadSeq, "alice's read seq moved with her sends")

	two := int64(2)
	_, changed, err := s.UpdateConversation(ctx, "b", conv, store.ConversationChange{ReadSeq: &two}, 50)
	require.NoError(t, err)
	require.True(t, changed)
	states, err := s.ChangedConversations(ctx, "a", st.Version, 10)
	require.NoError(t, err)
	require.Len(t, states, 1, "alice's sync reports bob's read")
	assert.Equal(t, int64(2), states[0].PeerReadSeq)

	// A pin changes nothing of the peer's.
	after, err := s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	pin := true
	_, _, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{IsPinned: &pin}, 51)
	require.NoError(t, err)
	states, err = s.ChangedConversations(ctx, "a", after.Version, 10)
	require.NoError(t, err)
	assert.Empty(t, states)
}

// testMuteConversation: mute is the user's state, changed and reported
// like a pin.
func testMuteConversation(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	conv := protocol.SingleConversationID("a", "b")
	append1(t, s, single("a", "b", "c0", 10))
	before, err := s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	assert.False(t, before.IsMuted)
	on := true
	st, changed, err := s.UpdateConversation(ctx, "b", conv, store.ConversationChange{IsMuted: &on}, 20)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.True(t, st.IsMuted)
	_, changed, err = s.UpdateConversation(ctx, "b", conv, store.ConversationChange{IsMuted: &on}, 21)
	require.NoError(t, err)
	assert.False(t, changed)
	states, err := s.ChangedConversations(ctx, "b", before.Version, 10)
	require.NoError(t, err)
	require.Len(t, states, 1)
	assert.True(t, states[0].IsMuted)
	other, err := s.Conversation(ctx, "a", conv)
	require.NoError(t, err)
	assert.False(t, other.IsMuted)
}

// testReactions: reactions are stored with the message by ChangeMessage
// and read back whole by every read of it: by seq, by version and as a
// conversation's latest message; a change that leaves them out keeps them.
func testReactions(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	conv := protocol.SingleConversationID("a", "b")
	append1(t, s, single("a", "b", "c0", 10))
	rs := []protocol.Reaction{{Emoji: "👍", UserIDs: []string{"b", "a"}}, {Emoji: "👨‍👩‍👧", UserIDs: []string{"a"}}}
	got, err := s.ChangeMessage(ctx, conv, "c0", func(m *protocol.Message) error {
		assert.Empty(t, m.Reactions, "none before")
		m.Reactions = rs
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, rs, got.Message.Reactions)
	msgs, err := s.Messages(ctx, conv, 1, 0, 10, false)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, rs, msgs[0].Reactions)
	changed, err := s.ChangedMessages(ctx, conv, 0, 1, 10)
	require.NoError(t, err)
	require.Len(t, changed, 1)
	assert.Equal(t, rs, changed[0].Reactions)
	st, err := s.Conversation(ctx, "b", conv)
	require.NoError(t, err)
	require.NotNil(t, st.LatestMessage)
	assert.Equal(t, rs, st.LatestMessage.Reactions)

	// A pin keeps them; taking the last away leaves none.
	got, err = s.ChangeMessage(ctx, conv, "c0", func(m *protocol.Message) error {
		assert.Equal(t, rs, m.Reactions, "change sees the stored reactions")
		m.IsPinned = true
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, rs, got.Message.Reactions)
	_, err = s.ChangeMessage(ctx, conv, "c0", func(m *protocol.Message) error {
		m.Reactions = nil
		return nil
	})
	require.NoError(t, err)
	msgs, err = s.Messages(ctx, conv, 1, 0, 10, false)
	require.NoError(t, err)
	assert.Empty(t, msgs[0].Reactions)
}
