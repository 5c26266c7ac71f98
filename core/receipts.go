package core

import (
	"context"
	"sort"

	"parley/protocol"
)

// Read receipts of one-to-one conversations: the peer's read seq
// (Conversation.PeerReadSeq) comes with their state (a push when they
// read, sync after being away) and with their messages (a send moves the
// sender's read seq). The user's own messages up to it are IsRead, stored
// so, and announced with messagesChanged when they become so.

// foldPeerRead marks read the user's own messages that the peers' read
// seqs now cover: those written by this batch, and the stored ones load
// found (l.PeerRead).
func foldPeerRead(l localState, res *stepResult, work, before map[string]*Conversation) {
	written := make(map[string]int, len(res.Changes.Messages))
	for i := range res.Changes.Messages {
		m := &res.Changes.Messages[i]
		written[m.ClientMsgID] = i
		if c := work[m.ConversationID]; c != nil && readByPeer(l.Self, c, m) {
			m.IsRead = true
			replaceIn(res.Sent, *m)
			replaceIn(res.Updated, *m)
		}
	}
	for _, id := range sortedKeys(l.PeerRead) {
		c := work[id]
		if c == nil || (before[id] != nil && c.PeerReadSeq <= before[id].PeerReadSeq) {
			continue
		}
		for _, m := range l.PeerRead[id] {
			if _, done := written[m.ClientMsgID]; done || !readByPeer(l.Self, c, &m) {
				continue
			}
			m.IsRead = true
			written[m.ClientMsgID] = len(res.Changes.Messages)
			res.Changes.Messages = append(res.Changes.Messages, m)
			res.Updated = append(res.Updated, m)
		}
	}
}

// readByPeer reports whether m is an own message of a one-to-one
// conversation the peer has read, not yet marked so.
func readByPeer(self string, c *Conversation, m *Message) bool {
	return !m.IsRead && !m.Deleted && m.SendID == self && m.Seq > 0 && m.Seq <= c.PeerReadSeq &&
		c.SessionType == protocol.SessionSingle && c.UserID != self
}

// loadPeerRead fills l.PeerRead: for each stored one-to-one conversation
// whose peer read seq the input moves up, the user's own messages between
// the stored one and the new one (a read of what is newly read, no more).
func (s *session) loadPeerRead(ctx context.Context, l *localState, in foldInput) error {
	top := map[string]int64{}
	for _, st := range in.States {
		top[st.ConversationID] = max(top[st.ConversationID], st.PeerReadSeq)
	}
	for _, m := range in.Messages {
		if m.SendID != s.userID && m.SessionType == protocol.SessionSingle {
			top[m.ConversationID] = max(top[m.ConversationID], m.Seq)
		}
	}
	ids := make([]string, 0, len(top))
	for id := range top {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := l.Convs[id]
		if c == nil || c.SessionType != protocol.SessionSingle || top[id] <= c.PeerReadSeq {
			continue
		}
		ms, err := s.store.MessagesBySeq(ctx, id, c.PeerReadSeq+1, top[id])
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.SendID == s.userID && !m.IsRead && !m.Deleted {
				if l.PeerRead == nil {
					l.PeerRead = make(map[string][]Message)
				}
				l.PeerRead[id] = append(l.PeerRead[id], m)
			}
		}
	}
	return nil
}
