package core

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// reactedPM is pm(conv, seq, from) at version v with reactions rs.
func reactedPM(conv string, seq int64, from string, v int64, rs ...protocol.Reaction) protocol.Message {
	m := pm(conv, seq, from)
	m.Version, m.Reactions = v, rs
	return m
}

// TestMessageReactionsAsSeen: the user sees each emoji's count, its first
// ten users and whether they are one of all of them.
func TestMessageReactionsAsSeen(t *testing.T) {
	var many []string
	for i := range 12 {
		many = append(many, fmt.Sprint("u", i))
	}
	many = append(many, "alice")
	p := reactedPM(convAB, 1, "bob", 3, protocol.Reaction{Emoji: "👍", UserIDs: many}, protocol.Reaction{Emoji: "🎉", UserIDs: []string{"bob"}})
	m := messageFromProto(&p, "alice")
	require.Len(t, m.Reactions, 2)
	assert.Equal(t, Reaction{Emoji: "👍", Count: 13, UserIDs: many[:10], ReactedByMe: true}, m.Reactions[0])
	assert.Equal(t, Reaction{Emoji: "🎉", Count: 1, UserIDs: []string{"bob"}}, m.Reactions[1])
	assert.Empty(t, messageFromProto(&protocol.Message{ConversationID: convAB, Seq: 1, ClientMsgID: "x", Deleted: true,
		Reactions: p.Reactions}, "alice").Reactions, "a deleted message keeps none")
}

// TestFoldReactions: a reaction travels as the message in its new state,
// so fold keeps whichever state is newest whatever the order.
func TestFoldReactions(t *testing.T) {
	seen := func(p protocol.Message) Message { return messageFromProto(&p, "alice") }
	thumbs := protocol.Reaction{Emoji: "👍", UserIDs: []string{"bob", "alice"}}
	conv := func() *Conversation {
		return &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1,
			MaxSeq: 3, LocalMaxSeq: 3, ReadSeq: 3, ServerReadSeq: 3}
	}
	cases := []struct {
		name    string
		held    []protocol.Message
		in      foldInput
		wantMsg []Message // written
		wantNew []Message
		wantUpd []Message
	}{
		{
			name:    "a reaction replaces the held message and is announced as changed",
			held:    []protocol.Message{pm(convAB, 2, "bob")},
			in:      foldInput{Changed: []protocol.Message{reactedPM(convAB, 2, "bob", 1, thumbs)}},
			wantMsg: []Message{seen(reactedPM(convAB, 2, "bob", 1, thumbs))},
			wantUpd: []Message{seen(reactedPM(convAB, 2, "bob", 1, thumbs))},
		},
		{
			name: "the same reaction again (a duplicate push) changes nothing",
			held: []protocol.Message{reactedPM(convAB, 2, "bob", 1, thumbs)},
			in:   foldInput{Changed: []protocol.Message{reactedPM(convAB, 2, "bob", 1, thumbs)}},
		},
		{
			name: "an older state after a removal does not bring the reaction back",
			held: []protocol.Message{reactedPM(convAB, 2, "bob", 2)},
			in:   foldInput{Changed: []protocol.Message{reactedPM(convAB, 2, "bob", 1, thumbs)}},
		},
		{
			name:    "a reaction that arrives before its message is stored with it, as news",
			in:      foldInput{Changed: []protocol.Message{reactedPM(convAB, 4, "bob", 1, thumbs)}},
			wantMsg: []Message{seen(reactedPM(convAB, 4, "bob", 1, thumbs))},
			wantNew: []Message{seen(reactedPM(convAB, 4, "bob", 1, thumbs))},
		},
		{
			name: "the message as sent, after its reaction, changes nothing",
			held: []protocol.Message{reactedPM(convAB, 3, "bob", 1, thumbs)},
			in:   foldInput{Messages: []protocol.Message{pm(convAB, 3, "bob")}},
		},
		{
			name: "a reaction older than the stored revoke leaves the message revoked",
			held: []protocol.Message{revokedPM(convAB, 2, "bob", "bob", 2)},
			in:   foldInput{Changed: []protocol.Message{reactedPM(convAB, 2, "bob", 1, thumbs)}},
		},
		{
			name:    "a revoke after a reaction takes the reactions with the content",
			held:    []protocol.Message{reactedPM(convAB, 2, "bob", 1, thumbs)},
			in:      foldInput{Changed: []protocol.Message{revokedPM(convAB, 2, "bob", "bob", 2)}},
			wantMsg: []Message{seen(revokedPM(convAB, 2, "bob", "bob", 2))},
			wantUpd: []Message{seen(revokedPM(convAB, 2, "bob", "bob", 2))},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msgs := map[string]Message{}
			for _, p := range c.held {
				msgs[p.ClientMsgID] = seen(p)
			}
			res := fold(localState{Self: "alice", Convs: map[string]*Conversation{convAB: conv()}, Msgs: msgs, Outbox: map[string]bool{}}, c.in)
			assert.Equal(t, c.wantMsg, res.Changes.Messages, "written")
			assert.Equal(t, c.wantNew, res.New, "newMessages")
			assert.Equal(t, c.wantUpd, res.Updated, "messagesChanged")
			for _, m := range res.Changes.Messages {
				if m.ContentType == protocol.ContentRevoked {
					assert.Empty(t, m.Reactions)
				}
			}
		})
	}
}

// TestFoldReadCounts: read counts of the user's own group messages only
// grow, whatever order pushes and pulls bring them in; each raise is
// announced once; a pull's ReceiptVersion is kept; other people's messages
// and messages not held are left alone; a later change of the message
// keeps its count.
func TestFoldReadCounts(t *testing.T) {
	const g = "sg_team"
	gm := func(seq int64, from string) protocol.Message {
		m := pm(g, seq, from)
		m.SessionType, m.GroupID, m.RecvID = protocol.SessionGroup, "team", ""
		return m
	}
	seen := func(p protocol.Message, readCount int) Message {
		m := messageFromProto(&p, "alice")
		m.ReadCount = readCount
		return m
	}
	counts := func(rv int64, ns ...protocol.ReadCount) foldInput {
		return foldInput{ReadCounts: []protocol.ReadCounts{{ConversationID: g, ReceiptVersion: rv, Counts: ns}}}
	}
	rc := func(p protocol.Message, n int) protocol.ReadCount {
		return protocol.ReadCount{ClientMsgID: p.ClientMsgID, Seq: p.Seq, ReadCount: n}
	}
	mine, theirs := gm(1, "alice"), gm(2, "bob")
	cases := []struct {
		name    string
		held    []Message
		in      foldInput
		wantMsg []Message
		wantUpd []Message
		wantRV  int64
	}{
		{
			name: "a count raises the held message's and is announced as changed",
			held: []Message{seen(mine, 0)}, in: counts(0, rc(mine, 3)),
			wantMsg: []Message{seen(mine, 3)}, wantUpd: []Message{seen(mine, 3)},
		},
		{
			name: "an older, lower count after it changes nothing",
			held: []Message{seen(mine, 3)}, in: counts(0, rc(mine, 2)),
		},
		{
			name: "the same count again changes nothing",
			held: []Message{seen(mine, 3)}, in: counts(0, rc(mine, 3)),
		},
		{
			name: "another member's message is not the user's to count",
			held: []Message{seen(theirs, 0)}, in: counts(0, rc(theirs, 3)),
		},
		{
			name: "a count of a message not held waits for its message",
			in:   counts(0, rc(mine, 3)),
		},
		{
			name: "a pull's ReceiptVersion is kept with the counts",
			held: []Message{seen(mine, 1)}, in: counts(7, rc(mine, 2)),
			wantMsg: []Message{seen(mine, 2)}, wantUpd: []Message{seen(mine, 2)}, wantRV: 7,
		},
		{
			name: "a reaction after a count keeps the count",
			held: []Message{seen(mine, 4)},
			in: foldInput{Changed: []protocol.Message{func() protocol.Message {
				m := mine
				m.Version, m.Reactions = 1, []protocol.Reaction{{Emoji: "👍", UserIDs: []string{"bob"}}}
				return m
			}()}},
			wantMsg: []Message{func() Message {
				m := mine
				m.Version, m.Reactions = 1, []protocol.Reaction{{Emoji: "👍", UserIDs: []string{"bob"}}}
				return seen(m, 4)
			}()},
			wantUpd: []Message{func() Message {
				m := mine
				m.Version, m.Reactions = 1, []protocol.Reaction{{Emoji: "👍", UserIDs: []string{"bob"}}}
				return seen(m, 4)
			}()},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conv := &Conversation{ConversationID: g, SessionType: protocol.SessionGroup, GroupID: "team", MinSeq: 1,
				MaxSeq: 2, LocalMaxSeq: 2, ReadSeq: 2, ServerReadSeq: 2}
			msgs := map[string]Message{}
			for _, m := range c.held {
				msgs[m.ClientMsgID] = m
			}
			res := fold(localState{Self: "alice", Convs: map[string]*Conversation{g: conv}, Msgs: msgs, Outbox: map[string]bool{}}, c.in)
			assert.Equal(t, c.wantMsg, res.Changes.Messages, "written")
			assert.Equal(t, c.wantUpd, res.Updated, "messagesChanged")
			assert.Empty(t, res.New)
			rv := int64(0)
			for _, cv := range res.Changes.Conversations {
				rv = cv.ReceiptVersion
			}
			assert.Equal(t, c.wantRV, rv, "ReceiptVersion written")
		})
	}
}
