package core

import (
	"context"

	"parley/protocol"
)

// loadStored reads back, into l, the stored copies among incoming messages
// that may be stored already, so fold neither stores nor announces a
// message twice; l.Convs must be loaded. Reading every incoming message
// back cost a catch-up most of its time in the browser (one IndexedDB get
// each), and most cannot be stored: a message from another user is stored
// only through fold, which raises its conversation's MaxSeq to it in the
// same batch, and MaxSeq never falls. So a message from someone else above
// its conversation's stored MaxSeq (or in a conversation not stored) is
// new. The user's own messages are stored before they have a seq (the
// outbox) and are always read back.
func (s *session) loadStored(ctx context.Context, l *localState, msgs []protocol.Message) error {
	var ids []string
	for i := range msgs {
		m := &msgs[i]
		id := m.ClientMsgID
		if id == "" {
			id = m.ServerMsgID
		}
		if s.outbox.has(id) {
			l.Outbox[id] = true
		}
		if mayBeStored(l, m, l.Outbox[id]) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	ms, err := s.store.Messages(ctx, ids)
	if err != nil {
		return err
	}
	for _, m := range ms {
		l.Msgs[m.ClientMsgID] = m
	}
	return nil
}

// mayBeStored reports whether m may be stored already, given the stored
// conversations in l (see loadStored).
func mayBeStored(l *localState, m *protocol.Message, inOutbox bool) bool {
	if inOutbox || m.SendID == "" || m.SendID == l.Self {
		return true
	}
	c := l.Convs[m.ConversationID]
	return c != nil && m.Seq <= c.MaxSeq
}
