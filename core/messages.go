package core

// The messages module: creating, sending and reading messages.

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"slices"

	"parley/protocol"
)

// newClientMsgID returns a random 128-bit ID. math/rand/v2's generator is
// seeded from the system's randomness; an idempotency key needs no more,
// and crypto/rand would add its whole FIPS module to the wasm.
func newClientMsgID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// CreateTextMessage returns a local text message, status created, with a
// fresh ClientMsgID. Nothing is stored until SendMessage.
func (c *Client) CreateTextMessage(text string) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	m := Message{
		ClientMsgID: newClientMsgID(),
		SendID:      s.userID,
		ContentType: protocol.ContentText,
		Text:        text,
		CreateTime:  s.createTime(),
		Status:      StatusCreated,
	}
	if _, err := m.wireContent(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// SendMessage sends msg to exactly one of recvID (a user) or groupID. The
// message is stored as sending before it goes on the wire; the call returns
// the message as stored once the server acknowledged it (status sent). While
// disconnected it waits for the connection; the message fails only when the
// server refuses it or no ack came within Config.SendTimeout. If ctx ends
// first the call returns, and the message stays in the outbox. A failed
// message may be sent again with the same ClientMsgID.
func (c *Client) SendMessage(ctx context.Context, msg Message, recvID, groupID string) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	if (recvID == "") == (groupID == "") {
		return Message{}, errInvalid("exactly one of recvID and groupID is required")
	}
	if msg.ClientMsgID == "" || len(msg.ClientMsgID) > protocol.MaxClientMsgIDLen {
		return Message{}, errInvalid("clientMsgID is missing or too long")
	}
	if msg.ContentType == "" {
		msg.ContentType = protocol.ContentText
	}
	if err := msg.checkContent(); err != nil {
		// Never acceptable: refused before anything is stored.
		return Message{}, err
	}
	chunks, err := s.sendChunks(ctx, &msg)
	if err != nil {
		return Message{}, err
	}
	m := msg
	m.SendID = s.userID
	m.Seq, m.ServerMsgID, m.SendTime, m.ErrorCode = 0, "", 0, ""
	m.Status = StatusSending
	if recvID != "" {
		if !protocol.ValidID(recvID) {
			return Message{}, errInvalid("invalid recvID")
		}
		m.RecvID, m.GroupID = recvID, ""
		m.SessionType = protocol.SessionSingle
		m.ConversationID = protocol.SingleConversationID(s.userID, recvID)
	} else {
		if !protocol.ValidID(groupID) {
			return Message{}, errInvalid("invalid groupID")
		}
		m.RecvID, m.GroupID = "", groupID
		m.SessionType = protocol.SessionGroup
		m.ConversationID = protocol.GroupConversationID(groupID)
		if err := s.checkGroupSend(ctx, groupID); err != nil {
			return Message{}, err
		}
	}
	if m.CreateTime == 0 {
		m.CreateTime = s.createTime()
	}

	if err := ctx.Err(); err != nil {
		return Message{}, withCode(err)
	}
	// Once started, storing is not cut short by ctx: ctx only bounds the wait.
	sctx := context.WithoutCancel(ctx)
	// The waiter is registered before the write, so that no answer can
	// come between them.
	wait := s.outbox.wait(m.ClientMsgID)
	entry := s.outbox.newEntry(m, recvID, groupID, c.cfg.Now())
	res, err := s.apply(sctx, sendInput{Msg: m, Entry: entry, Chunks: chunks})
	if err != nil {
		s.outbox.unwait(m.ClientMsgID, wait)
		return Message{}, withCode(err)
	}
	if chunks != nil {
		c.detach(m.ClientMsgID)
	}
	if old, ok := res.Value.(Message); ok {
		s.outbox.unwait(m.ClientMsgID, wait)
		return old, nil
	}
	defer s.outbox.unwait(m.ClientMsgID, wait)

	select {
	case r := <-wait:
		return r.msg, r.err
	case <-ctx.Done():
		return Message{}, withCode(ctx.Err())
	case <-s.ctx.Done():
		return Message{}, errNotLoggedIn()
	}
}

// HistoryMessages returns up to count messages of a conversation with seq
// below beforeSeq (0: the latest), ascending and without gaps. It reads
// local data and pulls from the server what is missing; offline it returns
// the newest gap-free part it holds.
//
// Messages the user deleted for themselves are left out, so a page may
// hold fewer than count.
func (c *Client) HistoryMessages(ctx context.Context, conversationID string, beforeSeq int64, count int) (History, error) {
	h, err := c.historyMessages(ctx, conversationID, beforeSeq, count)
	if err != nil {
		return h, err
	}
	h.Messages = slices.DeleteFunc(h.Messages, func(m Message) bool { return m.Deleted })
	return h, nil
}

func (c *Client) historyMessages(ctx context.Context, conversationID string, beforeSeq int64, count int) (History, error) {
	s, err := c.session()
	if err != nil {
		return History{}, err
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return History{}, errInvalid("invalid conversationID")
	}
	if count <= 0 || beforeSeq < 0 {
		return History{}, errInvalid("count must be positive and beforeSeq not negative")
	}
	if count > protocol.MaxPullLimit {
		count = protocol.MaxPullLimit
	}
	cv, err := s.store.Conversation(ctx, conversationID)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return History{}, withCode(err)
	}
	minSeq := cv.MinSeq
	if minSeq < 1 {
		minSeq = 1
	}
	top := beforeSeq - 1
	if beforeSeq == 0 {
		top = max(cv.MaxSeq, cv.LocalMaxSeq)
	}
	if !known && beforeSeq == 0 {
		// Never seen here: ask the server for its latest page.
		if s.liveWire() == nil {
			return History{}, errNetwork(nil)
		}
		var resp protocol.PullResp
		req := protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conversationID, FromSeq: 1, Limit: count, Latest: true}}}
		if err := s.call(ctx, protocol.ReqPull, req, &resp); err != nil {
			return History{}, err
		}
		if len(resp.Messages) == 0 {
			return History{Messages: []Message{}, IsEnd: true}, nil
		}
		if _, err := s.apply(ctx, foldInput{Messages: resp.Messages, Quiet: true, Tails: map[string]int64{conversationID: resp.Messages[0].Seq}}); err != nil {
			return History{}, withCode(err)
		}
		out := make([]Message, len(resp.Messages))
		for i := range resp.Messages {
			out[i] = messageFromProto(&resp.Messages[i], s.userID)
		}
		return History{Messages: contiguousTail(out), IsEnd: out[0].Seq <= 1}, nil
	}
	if top < minSeq {
		return History{Messages: []Message{}, IsEnd: true}, nil
	}
	from := max(top-int64(count)+1, minSeq)
	local, whole, err := s.messageRange(ctx, conversationID, from, top)
	if err != nil {
		return History{}, err
	}
	if whole {
		return History{Messages: local, IsEnd: from == minSeq}, nil
	}
	out := contiguousTail(local)
	if beforeSeq > 0 && len(out) > 0 && out[len(out)-1].Seq != top {
		// The page must join the previous one at beforeSeq: without its
		// newest part there is nothing continuous to give.
		out = []Message{}
	}
	return History{Messages: out, IsEnd: false}, nil
}

// messageRange returns the conversation's messages from..top held here,
// pulling from the server what is missing while connected; whole says
// none is missing.
func (s *session) messageRange(ctx context.Context, conversationID string, from, top int64) ([]Message, bool, error) {
	local, err := s.store.MessagesBySeq(ctx, conversationID, from, top)
	if err != nil {
		return nil, false, withCode(err)
	}
	if int64(len(local)) == top-from+1 {
		return local, true, nil
	}
	w := s.liveWire()
	if w == nil {
		return local, false, nil
	}
	pctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	msgs, err := s.pull(pctx, w, []protocol.SeqRange{{ConversationID: conversationID, FromSeq: from, ToSeq: top, Limit: int(top - from + 1)}})
	cancel()
	if err != nil && protocol.CodeOf(err) != protocol.CodeNetwork {
		return nil, false, err
	}
	if err == nil && len(msgs) > 0 {
		if _, err := s.apply(ctx, foldInput{Messages: msgs, Quiet: true}); err != nil {
			return nil, false, withCode(err)
		}
		if local, err = s.store.MessagesBySeq(ctx, conversationID, from, top); err != nil {
			return nil, false, withCode(err)
		}
	}
	return local, err == nil && int64(len(local)) == top-from+1, nil
}

// HistoryMessagesAfter returns up to count messages of a conversation
// with seq above afterSeq, the oldest of them, ascending and without gaps:
// the page that opens a search hit in place (afterSeq its seq - 1), read
// and pulled as HistoryMessages does. IsEnd says the page reaches the
// newest message. Offline it returns the gap-free part from afterSeq+1
// it holds.
func (c *Client) HistoryMessagesAfter(ctx context.Context, conversationID string, afterSeq int64, count int) (History, error) {
	s, err := c.session()
	if err != nil {
		return History{}, err
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return History{}, errInvalid("invalid conversationID")
	}
	if count <= 0 || afterSeq < 0 {
		return History{}, errInvalid("count must be positive and afterSeq not negative")
	}
	count = min(count, protocol.MaxPullLimit)
	cv, err := s.store.Conversation(ctx, conversationID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return History{}, withCode(err)
	}
	from, last := max(afterSeq+1, cv.MinSeq, 1), max(cv.MaxSeq, cv.LocalMaxSeq)
	if from > last {
		return History{Messages: []Message{}, IsEnd: true}, nil
	}
	top := min(from+int64(count)-1, last)
	local, whole, err := s.messageRange(ctx, conversationID, from, top)
	if err != nil {
		return History{}, err
	}
	h := History{Messages: local, IsEnd: whole && top == last}
	if !whole {
		// The page must start at from: only the run from there joins.
		n := 0
		for n < len(local) && local[n].Seq == from+int64(n) {
			n++
		}
		h.Messages = local[:n]
	}
	h.Messages = slices.DeleteFunc(h.Messages, func(m Message) bool { return m.Deleted })
	return h, nil
}

// UnsentMessages returns the conversation's messages that have no seq yet:
// waiting in the outbox (sending) or given up on (failed), oldest first.
// Apps show them after the history, e.g. after a reload.
func (c *Client) UnsentMessages(ctx context.Context, conversationID string) ([]Message, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	ms, err := s.store.UnsentMessages(ctx, conversationID)
	if err != nil {
		return nil, withCode(err)
	}
	if ms == nil {
		ms = []Message{}
	}
	return ms, nil
}

// contiguousTail returns the longest gap-free run ending at the last message.
func contiguousTail(ms []Message) []Message {
	if len(ms) == 0 {
		return []Message{}
	}
	i := len(ms) - 1
	for i > 0 && ms[i-1].Seq == ms[i].Seq-1 {
		i--
	}
	return ms[i:]
}
