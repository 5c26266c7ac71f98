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

// Group read receipts: the server counts, for each of the user's own group
// messages, the other members who have read it, and sends the counts to
// the sender alone (a push after a read, an answer when a sync shows a
// newer ReceiptVersion). Message.ReadCount only grows, so counts arriving
// in any order end at the latest.

// foldReadCounts raises the read counts in.ReadCounts gives of the user's
// own messages held here or written by this batch, announcing each
// message once, and moves each conversation's ReceiptVersion.
func foldReadCounts(l localState, in foldInput, res *stepResult, work map[string]*Conversation, get func(string) *Conversation) {
	written := make(map[string]int, len(res.Changes.Messages))
	for i, m := range res.Changes.Messages {
		written[m.ClientMsgID] = i
	}
	for _, rc := range in.ReadCounts {
		for _, n := range rc.Counts {
			m, ok := l.Msgs[n.ClientMsgID]
			i, w := written[n.ClientMsgID]
			if w {
				m, ok = res.Changes.Messages[i], true
			}
			if !ok || m.SendID != l.Self || m.Deleted || m.ConversationID != rc.ConversationID || n.ReadCount <= m.ReadCount {
				continue
			}
			m.ReadCount = n.ReadCount
			if w {
				res.Changes.Messages[i] = m
			} else {
				written[m.ClientMsgID] = len(res.Changes.Messages)
				res.Changes.Messages = append(res.Changes.Messages, m)
			}
			if !replaceIn(res.New, m) && !replaceIn(res.Sent, m) && !replaceIn(res.Updated, m) {
				res.Updated = append(res.Updated, m)
			}
		}
		if _, touched := work[rc.ConversationID]; touched || l.Convs[rc.ConversationID] != nil {
			if c := get(rc.ConversationID); rc.ReceiptVersion > c.ReceiptVersion {
				c.ReceiptVersion = rc.ReceiptVersion
			}
		}
	}
}

// pullReadCounts asks, for each group conversation of a sync page whose
// ReceiptVersion moved past the one applied here, the read counts of the
// user's own messages in it (the newest protocol.MaxReadCounts).
func (s *session) pullReadCounts(ctx context.Context, w *wire, l localState, states []protocol.ConversationState) ([]protocol.ReadCounts, error) {
	var out []protocol.ReadCounts
	for _, st := range states {
		var applied int64
		if c := l.Convs[st.ConversationID]; c != nil {
			applied = c.ReceiptVersion
		}
		if st.SessionType != protocol.SessionGroup || st.Removed || st.ReceiptVersion <= applied {
			continue
		}
		var rc protocol.ReadCounts
		if err := w.call(ctx, protocol.ReqReadCounts, protocol.ReadCountsReq{ConversationID: st.ConversationID, FromSeq: st.MinSeq}, &rc); err != nil {
			return nil, err
		}
		out = append(out, rc)
	}
	return out, nil
}

// MessageReadInfo tells who has read one of the user's own group
// messages; the count is stored with the message here too.
func (c *Client) MessageReadInfo(ctx context.Context, conversationID, clientMsgID string) (protocol.ReadInfo, error) {
	s, err := c.session()
	if err != nil {
		return protocol.ReadInfo{}, err
	}
	if clientMsgID == "" || len(clientMsgID) > protocol.MaxClientMsgIDLen {
		return protocol.ReadInfo{}, errInvalid("invalid clientMsgID")
	}
	var info protocol.ReadInfo
	if err := s.call(ctx, protocol.ReqReadInfo, protocol.MessageRefReq{ConversationID: conversationID, ClientMsgID: clientMsgID}, &info); err != nil {
		return protocol.ReadInfo{}, err
	}
	_, err = s.apply(ctx, foldInput{ReadCounts: []protocol.ReadCounts{{ConversationID: conversationID,
		Counts: []protocol.ReadCount{{ClientMsgID: clientMsgID, ReadCount: info.ReadCount}}}}})
	return info, withCode(err)
}
