package core

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// revokedPM is pm(conv, seq, from) revoked by revoker at version v.
func revokedPM(conv string, seq int64, from, revoker string, v int64) protocol.Message {
	m := pm(conv, seq, from)
	m.ContentType, m.Content, m.Version = protocol.ContentRevoked, protocol.EncodeRevoked(revoker, 5000+v), v
	return m
}

// editedPM is pm(conv, seq, from) with a new text at version v.
func editedPM(conv string, seq int64, from, text string, v int64) protocol.Message {
	m := pm(conv, seq, from)
	m.Content, m.Version, m.EditTime = json.RawMessage(`{"text":"`+text+`"}`), v, 6000+v
	return m
}

// pinnedPM is pm(conv, seq, from) pinned by alice at version v.
func pinnedPM(conv string, seq int64, from string, v int64) protocol.Message {
	m := pm(conv, seq, from)
	m.IsPinned, m.PinnedBy, m.PinTime, m.Version = true, "alice", 7000+v, v
	return m
}

func stored(p protocol.Message) Message { return messageFromProto(&p, "") }

func TestFoldChanged(t *testing.T) {
	conv := func(localMax, changes int64) *Conversation {
		c := &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1,
			MaxSeq: localMax, LocalMaxSeq: localMax, ReadSeq: localMax, ServerReadSeq: localMax,
			ChangesVersion: changes, MessageVersion: changes}
		if localMax > 0 {
			last := stored(pm(convAB, localMax, "bob"))
			c.LatestMessage = &last
			c.UpdatedAt = last.SendTime
		}
		return c
	}
	held := func(ms ...protocol.Message) map[string]Message {
		out := map[string]Message{}
		for _, m := range ms {
			out[m.ClientMsgID] = stored(m)
		}
		return out
	}
	cases := []struct {
		name    string
		conv    *Conversation
		msgs    map[string]Message
		in      foldInput
		wantMsg []Message // written
		wantNew []Message
		wantUpd []Message
		// the conversation after, when it is written
		wantChanges, wantMsgVersion int64
		wantLatest                  *Message
	}{
		{
			name: "a revoke replaces the held message and is announced as changed",
			conv: conv(3, 0), msgs: held(pm(convAB, 2, "bob")),
			in:          foldInput{Changed: []protocol.Message{revokedPM(convAB, 2, "bob", "bob", 1)}},
			wantMsg:     []Message{stored(revokedPM(convAB, 2, "bob", "bob", 1))},
			wantUpd:     []Message{stored(revokedPM(convAB, 2, "bob", "bob", 1))},
			wantChanges: 1, wantMsgVersion: 1,
		},
		{
			name: "the same change again changes nothing",
			conv: conv(3, 1), msgs: held(revokedPM(convAB, 2, "bob", "bob", 1)),
			in:          foldInput{Changed: []protocol.Message{revokedPM(convAB, 2, "bob", "bob", 1)}},
			wantChanges: 1, wantMsgVersion: 1,
		},
		{
			name: "the message as sent, after its revoke, changes nothing",
			conv: conv(3, 1), msgs: held(revokedPM(convAB, 3, "bob", "bob", 1)),
			in:          foldInput{Messages: []protocol.Message{pm(convAB, 3, "bob")}},
			wantChanges: 1, wantMsgVersion: 1,
		},
		{
			name: "an edit older than the stored revoke does not bring the text back",
			conv: conv(3, 0), msgs: held(revokedPM(convAB, 2, "bob", "bob", 2)),
			in: foldInput{Changed: []protocol.Message{editedPM(convAB, 2, "bob", "back", 1)}},
			// The run reaches 1: which versions above it are applied is
			// not kept, so the next sync pulls 2 again (changing nothing).
			wantChanges: 1, wantMsgVersion: 1,
		},
		{
			name: "a revoke that arrives before its message is stored revoked, as news",
			conv: conv(3, 0), msgs: held(),
			in:          foldInput{Changed: []protocol.Message{revokedPM(convAB, 4, "bob", "bob", 1)}},
			wantMsg:     []Message{stored(revokedPM(convAB, 4, "bob", "bob", 1))},
			wantNew:     []Message{stored(revokedPM(convAB, 4, "bob", "bob", 1))},
			wantChanges: 1, wantMsgVersion: 1,
			wantLatest: ptr(stored(revokedPM(convAB, 4, "bob", "bob", 1))),
		},
		{
			name: "a message and its change in one batch are announced once, as new, in the latest state",
			conv: conv(3, 0), msgs: held(),
			in: foldInput{Messages: []protocol.Message{pm(convAB, 4, "bob")},
				Changed: []protocol.Message{editedPM(convAB, 4, "bob", "fixed", 1)}},
			wantMsg:     []Message{stored(editedPM(convAB, 4, "bob", "fixed", 1))},
			wantNew:     []Message{stored(editedPM(convAB, 4, "bob", "fixed", 1))},
			wantChanges: 1, wantMsgVersion: 1,
			wantLatest: ptr(stored(editedPM(convAB, 4, "bob", "fixed", 1))),
		},
		{
			name: "a change in the part not fetched is left to history",
			conv: conv(30, 0), msgs: held(),
			in:          foldInput{Changed: []protocol.Message{editedPM(convAB, 5, "bob", "x", 1)}},
			wantChanges: 1, wantMsgVersion: 1,
		},
		{
			name: "a change of the latest message changes the conversation's latest message",
			conv: conv(3, 0), msgs: held(pm(convAB, 3, "bob")),
			in:          foldInput{Changed: []protocol.Message{editedPM(convAB, 3, "bob", "new words", 1)}},
			wantMsg:     []Message{stored(editedPM(convAB, 3, "bob", "new words", 1))},
			wantUpd:     []Message{stored(editedPM(convAB, 3, "bob", "new words", 1))},
			wantChanges: 1, wantMsgVersion: 1,
			wantLatest: ptr(stored(editedPM(convAB, 3, "bob", "new words", 1))),
		},
		{
			name: "a gap in the versions stops the applied run; the server's number is kept",
			conv: conv(3, 0), msgs: held(pm(convAB, 1, "bob")),
			in:          foldInput{Changed: []protocol.Message{editedPM(convAB, 1, "bob", "x", 3)}},
			wantMsg:     []Message{stored(editedPM(convAB, 1, "bob", "x", 3))},
			wantUpd:     []Message{stored(editedPM(convAB, 1, "bob", "x", 3))},
			wantChanges: 0, wantMsgVersion: 3,
		},
		{
			name: "a pull by version moves the applied run to where it reached",
			conv: conv(3, 0), msgs: held(pm(convAB, 1, "bob")),
			in: foldInput{Changed: []protocol.Message{editedPM(convAB, 1, "bob", "x", 3)},
				ChangesThrough: map[string]int64{convAB: 4}},
			wantMsg:     []Message{stored(editedPM(convAB, 1, "bob", "x", 3))},
			wantUpd:     []Message{stored(editedPM(convAB, 1, "bob", "x", 3))},
			wantChanges: 4, wantMsgVersion: 4,
		},
		{
			name: "a pin is a change like any other: the held message is replaced and announced",
			conv: conv(3, 0), msgs: held(pm(convAB, 2, "bob")),
			in:          foldInput{Changed: []protocol.Message{pinnedPM(convAB, 2, "bob", 1)}},
			wantMsg:     []Message{stored(pinnedPM(convAB, 2, "bob", 1))},
			wantUpd:     []Message{stored(pinnedPM(convAB, 2, "bob", 1))},
			wantChanges: 1, wantMsgVersion: 1,
		},
		{
			name: "a pulled message newer than the held one replaces it",
			conv: conv(3, 0), msgs: held(pm(convAB, 2, "bob")),
			in:      foldInput{Messages: []protocol.Message{editedPM(convAB, 2, "bob", "y", 2)}},
			wantMsg: []Message{stored(editedPM(convAB, 2, "bob", "y", 2))},
			wantUpd: []Message{stored(editedPM(convAB, 2, "bob", "y", 2))},
			// a pull by seq says nothing about the run of changes
			wantChanges: 0, wantMsgVersion: 0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := localState{Self: "alice", Convs: map[string]*Conversation{convAB: c.conv}, Msgs: c.msgs, Outbox: map[string]bool{}}
			before := *c.conv
			res := fold(l, c.in)
			assert.Equal(t, c.wantMsg, res.Changes.Messages, "written")
			assert.Equal(t, c.wantNew, res.New, "newMessages")
			assert.Equal(t, c.wantUpd, res.Updated, "messagesChanged")
			assert.Empty(t, res.Sent)
			after := before
			if len(res.Changes.Conversations) == 1 {
				after = res.Changes.Conversations[0]
			} else {
				require.Empty(t, res.Changes.Conversations)
			}
			assert.Equal(t, c.wantChanges, after.ChangesVersion, "ChangesVersion")
			assert.Equal(t, c.wantMsgVersion, after.MessageVersion, "MessageVersion")
			if c.wantLatest != nil {
				assert.Equal(t, c.wantLatest, after.LatestMessage)
				assert.Contains(t, res.Changed, after, "the conversation is announced")
			}
			// Folding the result again changes nothing (the step is
			// idempotent).
			l2 := localState{Self: "alice", Convs: map[string]*Conversation{convAB: &after}, Msgs: map[string]Message{}, Outbox: map[string]bool{}}
			for k, v := range c.msgs {
				l2.Msgs[k] = v
			}
			for _, m := range res.Changes.Messages {
				l2.Msgs[m.ClientMsgID] = m
			}
			again := fold(l2, c.in)
			assert.Empty(t, again.Changes.Messages, "second fold writes no message")
			assert.Empty(t, again.New)
			assert.Empty(t, again.Updated)
		})
	}
}

// TestFoldChangedOrder: whatever order a revoke, an edit before it and the
// message itself arrive in, the device ends with the revoked message, and
// each state it showed was announced once.
func TestFoldChangedOrder(t *testing.T) {
	sent := pm(convAB, 1, "bob")
	edit := editedPM(convAB, 1, "bob", "edited", 1)
	revoke := revokedPM(convAB, 1, "bob", "bob", 2)
	inputs := map[string]foldInput{
		"message": {Messages: []protocol.Message{sent}},
		"edit":    {Changed: []protocol.Message{edit}},
		"revoke":  {Changed: []protocol.Message{revoke}},
	}
	orders := [][]string{
		{"message", "edit", "revoke"}, {"message", "revoke", "edit"}, {"edit", "message", "revoke"},
		{"edit", "revoke", "message"}, {"revoke", "message", "edit"}, {"revoke", "edit", "message"},
	}
	for _, order := range orders {
		t.Run(order[0]+","+order[1]+","+order[2], func(t *testing.T) {
			c := &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1}
			msgs := map[string]Message{}
			announced := 0
			for _, name := range order {
				res := fold(localState{Self: "alice", Convs: map[string]*Conversation{convAB: c}, Msgs: msgs, Outbox: map[string]bool{}}, inputs[name])
				for _, m := range res.Changes.Messages {
					msgs[m.ClientMsgID] = m
				}
				if len(res.Changes.Conversations) == 1 {
					cv := res.Changes.Conversations[0]
					c = &cv
				}
				announced += len(res.New)
				for _, m := range res.Updated {
					assert.Greater(t, m.Version, int64(0))
				}
			}
			assert.Equal(t, 1, announced, "newMessages once")
			got := msgs[sent.ClientMsgID]
			assert.Equal(t, protocol.ContentRevoked, got.ContentType)
			assert.Equal(t, "", got.Text)
			assert.NotContains(t, string(got.Content), "edited")
			// The run of applied changes reaches 2 unless the revoke came
			// before the edit (then 1: the next sync pulls 2 again).
			assert.GreaterOrEqual(t, c.ChangesVersion, int64(1))
			assert.Equal(t, int64(2), c.LatestMessage.Version)
		})
	}
}

func TestChangedPlan(t *testing.T) {
	st := func(v int64, removed bool) *protocol.ConversationState {
		return &protocol.ConversationState{ConversationID: convAB, MessageVersion: v, Removed: removed}
	}
	cases := []struct {
		name     string
		local    *Conversation
		st       *protocol.ConversationState
		from, to int64
		ok       bool
	}{
		{"new here: pulled as it is now", nil, st(5, false), 0, 0, false},
		{"up to date", &Conversation{ChangesVersion: 5}, st(5, false), 0, 0, false},
		{"behind", &Conversation{ChangesVersion: 2}, st(5, false), 2, 5, true},
		{"removed", &Conversation{ChangesVersion: 2}, st(5, true), 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, to, ok := changedPlan(c.local, c.st)
			assert.Equal(t, []any{c.from, c.to, c.ok}, []any{from, to, ok})
		})
	}
}

func TestFoldStateChangesVersion(t *testing.T) {
	st := protocol.ConversationState{ConversationID: convAB, SessionType: protocol.SessionSingle, PeerUserID: "bob", MinSeq: 1, MessageVersion: 7}
	res := fold(localState{Self: "alice", Convs: map[string]*Conversation{}, Msgs: map[string]Message{}, Outbox: map[string]bool{}},
		foldInput{States: []protocol.ConversationState{st}})
	require.Len(t, res.Changes.Conversations, 1)
	assert.Equal(t, int64(7), res.Changes.Conversations[0].ChangesVersion, "a conversation new here is pulled as it is now")

	known := &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1, ChangesVersion: 2, MessageVersion: 2}
	res = fold(localState{Self: "alice", Convs: map[string]*Conversation{convAB: known}, Msgs: map[string]Message{}, Outbox: map[string]bool{}},
		foldInput{States: []protocol.ConversationState{st}})
	require.Len(t, res.Changes.Conversations, 1)
	assert.Equal(t, int64(2), res.Changes.Conversations[0].ChangesVersion, "a known one pulls the changes")
	assert.Equal(t, int64(7), res.Changes.Conversations[0].MessageVersion)
}

func ptr[T any](v T) *T { return &v }

func TestFoldClear(t *testing.T) {
	last := stored(pm(convAB, 3, "bob"))
	c := &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1,
		MaxSeq: 3, LocalMaxSeq: 3, ReadSeq: 1, ServerReadSeq: 1, UnreadCount: 2, LatestMessage: &last, Version: 5}
	l := localState{Self: "alice", Convs: map[string]*Conversation{convAB: c}, Msgs: map[string]Message{}, Outbox: map[string]bool{},
		Cleared: map[string][]string{convAB: {"m1", "m2", "m3"}}}
	st := protocol.ConversationState{ConversationID: convAB, SessionType: protocol.SessionSingle, PeerUserID: "bob",
		MinSeq: 4, MaxSeq: 3, ReadSeq: 1, Version: 6}
	res := fold(l, foldInput{States: []protocol.ConversationState{st}, Messages: []protocol.Message{pm(convAB, 2, "bob")}})
	assert.Equal(t, []string{"m1", "m2", "m3"}, res.Changes.RemovedMessages)
	assert.Empty(t, res.Changes.Messages, "a late copy of a cleared message is not stored again")
	assert.Empty(t, res.New)
	require.Len(t, res.Changes.Conversations, 1)
	got := res.Changes.Conversations[0]
	assert.Nil(t, got.LatestMessage)
	assert.Equal(t, int64(4), got.MinSeq)
	assert.Equal(t, int64(0), got.UnreadCount)
	assert.Equal(t, []Conversation{got}, res.Changed)

	// An older state does not bring MinSeq back.
	l = localState{Self: "alice", Convs: map[string]*Conversation{convAB: &got}, Msgs: map[string]Message{}, Outbox: map[string]bool{}}
	old := st
	old.MinSeq, old.Version = 1, 5
	res = fold(l, foldInput{States: []protocol.ConversationState{old}})
	assert.Empty(t, res.Changes.Conversations)
}

func TestFoldDeletions(t *testing.T) {
	conv := func() *Conversation {
		last := stored(pm(convAB, 3, "bob"))
		return &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1,
			MaxSeq: 3, LocalMaxSeq: 3, ReadSeq: 3, ServerReadSeq: 3, LatestMessage: &last, DeletesVersion: 10}
	}
	del := func(seq int64, v int64) protocol.Deletion {
		return protocol.Deletion{ConversationID: convAB, Seq: seq, ClientMsgID: pm(convAB, seq, "bob").ClientMsgID, Version: v}
	}
	held := map[string]Message{}
	for seq := int64(1); seq <= 3; seq++ {
		m := stored(pm(convAB, seq, "bob"))
		held[m.ClientMsgID] = m
	}
	l := func(msgs map[string]Message) localState {
		return localState{Self: "alice", Convs: map[string]*Conversation{convAB: conv()}, Msgs: msgs, Outbox: map[string]bool{}}
	}

	t.Run("a held message becomes a tombstone, announced as changed", func(t *testing.T) {
		res := fold(l(held), foldInput{Deletions: []protocol.Deletion{del(3, 12)}, DeletionsThrough: map[string]int64{convAB: 12}})
		require.Len(t, res.Changes.Messages, 1)
		ts := res.Changes.Messages[0]
		assert.True(t, ts.Deleted)
		assert.Empty(t, ts.Text)
		assert.Nil(t, ts.Content)
		assert.Equal(t, int64(3), ts.Seq)
		assert.Equal(t, []Message{ts}, res.Updated)
		require.Len(t, res.Changes.Conversations, 1)
		assert.Nil(t, res.Changes.Conversations[0].LatestMessage, "no preview of a deleted message")
		assert.Equal(t, int64(12), res.Changes.Conversations[0].DeletesVersion)
	})
	t.Run("a tombstone stays whatever copy comes", func(t *testing.T) {
		msgs := map[string]Message{}
		for k, v := range held {
			msgs[k] = v
		}
		ts := tombstone(held[pm(convAB, 2, "bob").ClientMsgID])
		msgs[ts.ClientMsgID] = ts
		res := fold(l(msgs), foldInput{Messages: []protocol.Message{pm(convAB, 2, "bob")},
			Changed: []protocol.Message{editedPM(convAB, 2, "bob", "back", 4)}})
		assert.Empty(t, res.Changes.Messages)
		assert.Empty(t, res.New)
		assert.Empty(t, res.Updated)
	})
	t.Run("deleted before it arrived: its place is kept and its copy changes nothing", func(t *testing.T) {
		res := fold(l(held), foldInput{Deletions: []protocol.Deletion{del(4, 13)}})
		require.Len(t, res.Changes.Messages, 1)
		assert.True(t, res.Changes.Messages[0].Deleted)
		assert.Empty(t, res.Updated)
		require.Len(t, res.Changes.Conversations, 1)
		assert.Equal(t, int64(4), res.Changes.Conversations[0].LocalMaxSeq)
	})
	t.Run("a masked copy from the server is stored as a tombstone, not announced", func(t *testing.T) {
		m := pm(convAB, 4, "bob")
		m.Deleted, m.Content = true, json.RawMessage(`{}`)
		res := fold(l(held), foldInput{Messages: []protocol.Message{m}})
		require.Len(t, res.Changes.Messages, 1)
		assert.True(t, res.Changes.Messages[0].Deleted)
		assert.Empty(t, res.New)
		assert.Equal(t, "si_alice_bob-3", res.Changes.Conversations[0].LatestMessage.ClientMsgID)
	})
	t.Run("a message and its deletion in one batch: stored as a tombstone, never announced", func(t *testing.T) {
		res := fold(l(held), foldInput{Messages: []protocol.Message{pm(convAB, 4, "bob")}, Deletions: []protocol.Deletion{del(4, 14)}})
		require.Len(t, res.Changes.Messages, 1)
		assert.True(t, res.Changes.Messages[0].Deleted)
		assert.Empty(t, res.New)
		assert.Empty(t, res.Updated)
	})
	t.Run("deleted again changes nothing", func(t *testing.T) {
		msgs := map[string]Message{}
		ts := tombstone(held[pm(convAB, 3, "bob").ClientMsgID])
		msgs[ts.ClientMsgID] = ts
		res := fold(l(msgs), foldInput{Deletions: []protocol.Deletion{del(3, 10)}})
		assert.Empty(t, res.Changes.Messages)
		assert.Empty(t, res.Updated)
	})
}

func TestDeletionsPlan(t *testing.T) {
	st := &protocol.ConversationState{ConversationID: convAB, DeleteVersion: 9}
	_, ok := deletionsPlan(nil, st)
	assert.False(t, ok, "new here: pulled masked")
	_, ok = deletionsPlan(&Conversation{DeletesVersion: 9}, st)
	assert.False(t, ok)
	after, ok := deletionsPlan(&Conversation{DeletesVersion: 4}, st)
	assert.True(t, ok)
	assert.Equal(t, int64(4), after)
}

func TestFoldPeerRead(t *testing.T) {
	own := func(seq int64) Message { return stored(pm(convAB, seq, "alice")) }
	conv := &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1,
		MaxSeq: 3, LocalMaxSeq: 3, ReadSeq: 3, ServerReadSeq: 3, PeerReadSeq: 0, Version: 4}
	l := localState{Self: "alice", Convs: map[string]*Conversation{convAB: conv}, Msgs: map[string]Message{}, Outbox: map[string]bool{},
		PeerRead: map[string][]Message{convAB: {own(1), own(2)}}}

	t.Run("the peer's read state marks the own messages it covers, announced once", func(t *testing.T) {
		st := protocol.ConversationState{ConversationID: convAB, SessionType: protocol.SessionSingle, PeerUserID: "bob",
			MinSeq: 1, MaxSeq: 3, ReadSeq: 3, PeerReadSeq: 2, Version: 5}
		res := fold(l, foldInput{States: []protocol.ConversationState{st}})
		require.Len(t, res.Changes.Messages, 2)
		for _, m := range res.Changes.Messages {
			assert.True(t, m.IsRead)
		}
		assert.Equal(t, res.Changes.Messages, res.Updated)
		require.Len(t, res.Changes.Conversations, 1)
		assert.Equal(t, int64(2), res.Changes.Conversations[0].PeerReadSeq)
	})
	t.Run("the peer's message says they read up to it", func(t *testing.T) {
		res := fold(l, foldInput{Messages: []protocol.Message{pm(convAB, 4, "bob")}})
		assert.Len(t, res.Updated, 2)
		assert.Equal(t, int64(4), res.Changes.Conversations[0].PeerReadSeq)
		assert.Len(t, res.New, 1)
	})
	t.Run("an own message pulled after the peer read it is stored read", func(t *testing.T) {
		c := *conv
		c.PeerReadSeq = 3
		l2 := localState{Self: "alice", Convs: map[string]*Conversation{convAB: &c}, Msgs: map[string]Message{}, Outbox: map[string]bool{}}
		res := fold(l2, foldInput{Messages: []protocol.Message{pm(convAB, 2, "alice")}, Quiet: true})
		require.Len(t, res.Changes.Messages, 1)
		assert.True(t, res.Changes.Messages[0].IsRead)
	})
	t.Run("groups have no peer read seq", func(t *testing.T) {
		st := protocol.ConversationState{ConversationID: convG, SessionType: protocol.SessionGroup, GroupID: "team", MinSeq: 1, PeerReadSeq: 9}
		res := fold(localState{Self: "alice", Convs: map[string]*Conversation{}, Msgs: map[string]Message{}, Outbox: map[string]bool{}},
			foldInput{States: []protocol.ConversationState{st}})
		assert.Zero(t, res.Changes.Conversations[0].PeerReadSeq)
	})
}

func TestFoldMuted(t *testing.T) {
	c := &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1, MaxSeq: 2, LocalMaxSeq: 2, UnreadCount: 2, Version: 3}
	st := protocol.ConversationState{ConversationID: convAB, SessionType: protocol.SessionSingle, PeerUserID: "bob", MinSeq: 1, MaxSeq: 2, IsMuted: true, Version: 4}
	res := fold(localState{Self: "alice", Convs: map[string]*Conversation{convAB: c}, Msgs: map[string]Message{}, Outbox: map[string]bool{}},
		foldInput{States: []protocol.ConversationState{st}})
	require.Len(t, res.Changed, 1, "muting is announced")
	got := res.Changed[0]
	assert.True(t, got.IsMuted)
	assert.Equal(t, int64(2), got.UnreadCount, "the count is kept")
	assert.Zero(t, got.totalShare(), "but left out of the total")
	// An older state does not unmute.
	old := st
	old.IsMuted, old.Version = false, 3
	res = fold(localState{Self: "alice", Convs: map[string]*Conversation{convAB: &got}, Msgs: map[string]Message{}, Outbox: map[string]bool{}},
		foldInput{States: []protocol.ConversationState{old}})
	assert.Empty(t, res.Changes.Conversations)
}
