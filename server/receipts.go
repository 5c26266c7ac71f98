package server

import (
	"context"
	"errors"
	"sort"

	"parley/protocol"
	"parley/server/store"
)

// Group read receipts. Each member's read position (their read seq and
// when it moved) is one row; a message's read count is the number of the
// members who could read it, the sender aside, whose read seq reached its
// seq. A read stamps and pushes counts to the senders of the messages it
// newly read (the newest protocol.MaxReadCounts of them), never to every
// member; a sender's device that was away sees their ReceiptVersion move
// in its sync and asks for the counts (ReqReadCounts).

// countReads counts, among pos, the members other than sender who could
// read the message at seq (they joined before it) and have read it.
func countReads(pos []store.ReadPosition, sender string, seq int64) (read, unread int) {
	for _, p := range pos {
		switch {
		case p.UserID == sender || p.JoinSeq > seq:
		case p.ReadSeq >= seq:
			read++
		default:
			unread++
		}
	}
	return read, unread
}

// readCounts are the read counts of msgs, all sent by sender.
func readCounts(conv string, pos []store.ReadPosition, msgs []store.SentMessage) protocol.ReadCounts {
	rc := protocol.ReadCounts{ConversationID: conv, Counts: make([]protocol.ReadCount, 0, len(msgs))}
	for _, m := range msgs {
		n, _ := countReads(pos, m.SendID, m.Seq)
		rc.Counts = append(rc.Counts, protocol.ReadCount{ClientMsgID: m.ClientMsgID, Seq: m.Seq, ReadCount: n})
	}
	return rc
}

// pushGroupRead tells the senders of the messages a group read moved over
// (fromSeq, toSeq] their new read counts, on every connection of theirs.
func (s *Server) pushGroupRead(ctx context.Context, c caller, conv string, fromSeq, toSeq int64) {
	msgs, versions, err := s.store.NoteGroupRead(ctx, conv, c.UserID, fromSeq, toSeq, protocol.MaxReadCounts)
	if err != nil || len(versions) == 0 {
		if err != nil {
			s.log.Warn("group read receipt: noting the read", "conversation", conv, "err", err)
		}
		return
	}
	pos, err := s.store.ReadPositions(ctx, conv)
	if err != nil {
		s.log.Warn("group read receipt: reading the positions", "conversation", conv, "err", err)
		return
	}
	bySender := map[string][]store.SentMessage{}
	for _, m := range msgs {
		bySender[m.SendID] = append(bySender[m.SendID], m)
	}
	senders := make([]string, 0, len(versions))
	for u := range versions {
		senders = append(senders, u)
	}
	sort.Strings(senders)
	for _, u := range senders {
		rc := readCounts(conv, pos, bySender[u])
		rc.ReceiptVersion = versions[u]
		s.pushTo(ctx, protocol.PushReadCounts, &rc, "", u)
	}
}

// groupReadAccess checks that the caller may read a group conversation
// and returns the lowest seq they may read.
func (s *Server) groupReadAccess(ctx context.Context, c caller, conv string) (int64, error) {
	ra, err := s.readAccess(ctx, c.UserID, conv)
	if err != nil {
		return 0, err
	}
	if st, _, _, _ := protocol.ParseConversationID(conv); st != protocol.SessionGroup {
		return 0, protocol.Errorf(protocol.CodeInvalidArgument, "read counts are for group conversations (one-to-one: peerReadSeq)")
	}
	return ra.minSeq, nil
}

// readCountsOf answers the read counts of the caller's own messages in a
// range of a group conversation, with their state's ReceiptVersion as
// read before counting (a read after it moves it again).
func (s *Server) readCountsOf(ctx context.Context, c caller, req *protocol.ReadCountsReq) (*protocol.ReadCounts, error) {
	minSeq, err := s.groupReadAccess(ctx, c, req.ConversationID)
	if err != nil {
		return nil, err
	}
	if req.FromSeq < 0 || req.ToSeq < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "negative fromSeq or toSeq")
	}
	st, err := s.store.Conversation(ctx, c.UserID, req.ConversationID)
	if err != nil {
		return nil, err
	}
	msgs, err := s.store.SentMessages(ctx, req.ConversationID, c.UserID, max(req.FromSeq, minSeq), req.ToSeq, protocol.MaxReadCounts)
	if err != nil {
		return nil, err
	}
	pos, err := s.store.ReadPositions(ctx, req.ConversationID)
	if err != nil {
		return nil, err
	}
	rc := readCounts(req.ConversationID, pos, msgs)
	rc.ReceiptVersion = st.ReceiptVersion
	return &rc, nil
}

// readInfo tells the sender of a group message who has read it.
func (s *Server) readInfo(ctx context.Context, c caller, req *protocol.MessageRefReq) (*protocol.ReadInfo, error) {
	minSeq, err := s.groupReadAccess(ctx, c, req.ConversationID)
	if err != nil {
		return nil, err
	}
	m, err := s.store.SentMessage(ctx, req.ConversationID, req.ClientMsgID)
	if errors.Is(err, store.ErrNotFound) || err == nil && m.Seq < minSeq {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no message %q in this conversation", req.ClientMsgID)
	}
	if err != nil {
		return nil, err
	}
	if m.SendID != c.UserID {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "only the sender sees who read a message")
	}
	pos, err := s.store.ReadPositions(ctx, req.ConversationID)
	if err != nil {
		return nil, err
	}
	info := &protocol.ReadInfo{Readers: []protocol.Reader{}}
	info.ReadCount, info.UnreadCount = countReads(pos, m.SendID, m.Seq)
	for _, p := range pos {
		if p.UserID != m.SendID && p.JoinSeq <= m.Seq && p.ReadSeq >= m.Seq {
			info.Readers = append(info.Readers, protocol.Reader{UserID: p.UserID, ReadTime: p.ReadTime})
		}
	}
	// Latest readers first, as a reader list shows them.
	sort.Slice(info.Readers, func(i, j int) bool {
		a, b := info.Readers[i], info.Readers[j]
		return a.ReadTime > b.ReadTime || a.ReadTime == b.ReadTime && a.UserID < b.UserID
	})
	return info, nil
}
