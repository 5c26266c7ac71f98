package core

import (
	"context"
	"errors"
	"sync"
	"time"

	"parley/protocol"
)

// outbox is the session's sender: it sends stored outbox entries one at a
// time, in order, whenever connected, and resolves SendMessage calls.
// The entries themselves live in the store, so a reload resumes them.
type outbox struct {
	s   *session
	sig chan struct{}

	mu        sync.Mutex
	ids       map[string]bool              // ClientMsgIDs in the outbox
	deadlines map[string]time.Time         // when each gives up
	waiters   map[string][]chan sendResult // SendMessage calls waiting
	lastOrder int64
}

type sendResult struct {
	msg Message
	err error
}

func (o *outbox) init(s *session, entries []OutboxEntry) {
	o.s = s
	o.sig = make(chan struct{}, 1)
	o.ids = make(map[string]bool)
	o.deadlines = make(map[string]time.Time)
	o.waiters = make(map[string][]chan sendResult)
	for _, e := range entries {
		o.ids[e.ClientMsgID] = true
		if e.Order > o.lastOrder {
			o.lastOrder = e.Order
		}
	}
}

func (o *outbox) wake() {
	select {
	case o.sig <- struct{}{}:
	default:
	}
}

func (o *outbox) has(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ids[id]
}

// add registers a new entry and a waiter for it; the caller stores the entry.
func (o *outbox) add(m Message, recvID, groupID string, now time.Time) (OutboxEntry, chan sendResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	order := now.UnixMilli()
	if order <= o.lastOrder {
		order = o.lastOrder + 1
	}
	o.lastOrder = order
	o.ids[m.ClientMsgID] = true
	o.deadlines[m.ClientMsgID] = now.Add(o.s.cfg.SendTimeout)
	ch := make(chan sendResult, 1)
	o.waiters[m.ClientMsgID] = append(o.waiters[m.ClientMsgID], ch)
	return OutboxEntry{
		ClientMsgID:    m.ClientMsgID,
		ConversationID: m.ConversationID,
		RecvID:         recvID,
		GroupID:        groupID,
		Order:          order,
		EnqueuedAt:     now.UnixMilli(),
	}, ch
}

// wait registers a waiter for a message already in the outbox.
func (o *outbox) wait(id string) chan sendResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	ch := make(chan sendResult, 1)
	o.waiters[id] = append(o.waiters[id], ch)
	return ch
}

// resolve ends a message's stay in the outbox and answers its waiters.
func (o *outbox) resolve(id string, m Message, err error) {
	o.mu.Lock()
	ws := o.waiters[id]
	delete(o.waiters, id)
	delete(o.ids, id)
	delete(o.deadlines, id)
	o.mu.Unlock()
	for _, ch := range ws {
		ch <- sendResult{msg: m, err: err}
	}
}

// cancel drops an entry that was never stored.
func (o *outbox) cancel(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.ids, id)
	delete(o.deadlines, id)
	delete(o.waiters, id)
}

// deadline is when id gives up; entries found in storage at login get a
// full send timeout from then.
func (o *outbox) deadline(id string) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	d, ok := o.deadlines[id]
	if !ok {
		d = o.s.cfg.Now().Add(o.s.cfg.SendTimeout)
		o.deadlines[id] = d
	}
	return d
}

// maxWindow bounds the sends in flight, at most one per conversation. The
// server commits the sends of one connection in the order it reads them,
// but it may refuse one (rate_limited) and accept the next: two sends of
// one conversation in flight could swap, so a conversation's messages go
// one at a time, while different conversations share the window.
const maxWindow = 32

// pendingSend is one outbox entry ready to go.
type pendingSend struct {
	msg      Message
	req      protocol.SendReq
	deadline time.Time
}

// run sends until the session ends: a window of entries at a time, in
// order, one per conversation. The window shrinks to one after
// back-pressure and grows back while sends succeed.
func (o *outbox) run() {
	s := o.s
	defer s.wg.Done()
	window, pace := 1, 0
	for s.ctx.Err() == nil {
		entries, err := s.store.Outbox(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil {
				s.cfg.Logger.Error("reading outbox", "err", err)
				s.sleep(time.Second)
			}
			continue
		}
		if len(entries) == 0 {
			select {
			case <-o.sig:
			case <-s.ctx.Done():
			}
			continue
		}
		batch, err := o.prepare(entries, window)
		if err != nil && s.ctx.Err() == nil {
			s.cfg.Logger.Error("reading outbox messages", "err", err)
			s.sleep(time.Second)
		}
		if len(batch) == 0 {
			continue
		}
		earliest := batch[0].deadline
		for _, p := range batch {
			if p.deadline.Before(earliest) {
				earliest = p.deadline
			}
		}
		ctx, cancel := context.WithDeadline(s.ctx, earliest)
		w, err := s.waitWire(ctx)
		cancel()
		if err != nil {
			// Offline (or stopped reconnecting): wait for a change or the
			// first deadline, which prepare then enforces.
			o.waitChange(earliest)
			continue
		}
		var temporary, network bool
		for i, err := range o.sendBatch(w, batch) {
			if err == nil {
				continue
			}
			var pe *Error
			switch code := protocol.CodeOf(err); {
			case code == protocol.CodeNetwork:
				network = true
			case code == protocol.CodeTimeout || code == protocol.CodeCanceled:
				// The deadline passed; prepare fails it next round.
			case code == protocol.CodeTokenExpired || code == protocol.CodeUnauthenticated:
				network = true
			case errors.As(err, &pe) && pe.Temporary():
				// Back-pressure: pace and retry, never fail for it.
				s.cfg.Logger.Debug("send paced", "code", code, "clientMsgID", batch[i].msg.ClientMsgID)
				temporary = true
			default:
				o.fail(batch[i].msg, code)
			}
		}
		switch {
		case temporary:
			window = 1
			if !s.sleep(backoff(pace, 100*time.Millisecond, 5*time.Second)) {
				return
			}
			pace++
		case network:
			window = 1
			o.waitChange(earliest)
		default:
			pace = 0
			window = min(window*2, maxWindow)
		}
	}
}

// prepare picks up to n entries to send: it clears entries whose message
// is gone or already resolved and fails those past their deadline.
func (o *outbox) prepare(entries []OutboxEntry, n int) ([]pendingSend, error) {
	s := o.s
	var out []pendingSend
	busy := make(map[string]bool) // conversations with a send in this batch
	for _, e := range entries {
		if len(out) == n || s.ctx.Err() != nil {
			break
		}
		if busy[e.ConversationID] {
			continue
		}
		ms, err := s.store.Messages(s.ctx, []string{e.ClientMsgID})
		if err != nil {
			return out, err
		}
		if len(ms) == 0 || ms[0].Status == StatusSent || ms[0].Status == StatusFailed {
			// Nothing left to send: clear the entry.
			if err := s.store.Apply(s.ctx, &Changes{RemovedOutbox: []string{e.ClientMsgID}}); err == nil && len(ms) > 0 {
				o.resolve(e.ClientMsgID, ms[0], nil)
			}
			continue
		}
		m := ms[0]
		if !o.has(m.ClientMsgID) {
			o.mu.Lock()
			o.ids[m.ClientMsgID] = true // stored by an earlier session
			o.mu.Unlock()
		}
		deadline := o.deadline(m.ClientMsgID)
		if !s.cfg.Now().Before(deadline) {
			o.fail(m, protocol.CodeTimeout)
			continue
		}
		content, err := m.wireContent()
		if err != nil {
			o.fail(m, protocol.CodeInvalidArgument)
			continue
		}
		busy[e.ConversationID] = true
		out = append(out, pendingSend{msg: m, deadline: deadline, req: protocol.SendReq{
			ClientMsgID: m.ClientMsgID, RecvID: e.RecvID, GroupID: e.GroupID,
			ContentType: m.ContentType, Content: content, CreateTime: m.CreateTime}})
	}
	return out, nil
}

// sendBatch writes the batch's sends in order, then applies each ack; it
// returns each send's error.
func (o *outbox) sendBatch(w *wire, batch []pendingSend) []error {
	errs := make([]error, len(batch))
	reqs := make([]request, 0, len(batch))
	for i, p := range batch {
		r, err := w.start(protocol.ReqSend, p.req)
		if err != nil {
			for j := i; j < len(batch); j++ {
				errs[j] = err
			}
			break
		}
		reqs = append(reqs, r)
	}
	for i, r := range reqs {
		ctx, cancel := context.WithDeadline(o.s.ctx, batch[i].deadline)
		var ack protocol.SendResp
		err := w.await(ctx, r, &ack)
		cancel()
		if err == nil {
			err = o.applyAck(w, batch[i].msg, ack)
		}
		errs[i] = err
	}
	return errs
}

// waitChange waits for the connection state to change, the deadline or
// logout; it returns at once when connected.
func (o *outbox) waitChange(deadline time.Time) {
	s := o.s
	s.mu.Lock()
	ch := s.changed
	live := s.wire != nil && s.wire.ctx.Err() == nil
	s.mu.Unlock()
	if live {
		return
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-s.ctx.Done():
	}
}

// applyAck stores an ack and resolves the message's waiters.
func (o *outbox) applyAck(w *wire, m Message, ack protocol.SendResp) error {
	s := o.s
	pm, err := ackMessage(m, ack)
	if err != nil {
		return err
	}
	res, err := s.applyFold(s.ctx, foldInput{Messages: []protocol.Message{pm}})
	if err != nil {
		s.cfg.Logger.Error("storing ack", "err", err)
		return withCode(err)
	}
	for _, c := range res.Changes.Conversations {
		if c.ConversationID == pm.ConversationID && c.LocalMaxSeq < pm.Seq-1 {
			// Acked beyond messages not here: see fillGaps.
			s.goBackground(func() { s.fillGaps(w, pm) })
		}
	}
	if len(res.Sent) == 0 {
		// Already resolved (a pull found it first): answer any waiter.
		o.resolve(m.ClientMsgID, messageFromProto(&pm), nil)
	}
	return nil
}

// fail marks a message failed and answers its waiters.
func (o *outbox) fail(m Message, code protocol.Code) {
	s := o.s
	s.applyMu.Lock()
	if cur, err := s.store.Messages(s.ctx, []string{m.ClientMsgID}); err == nil && len(cur) == 1 && cur[0].Status == StatusSent {
		// Found on the server meanwhile: not a failure after all.
		s.applyMu.Unlock()
		o.resolve(m.ClientMsgID, cur[0], nil)
		return
	}
	ch := failMessage(m, code)
	err := s.store.Apply(s.ctx, &ch)
	if err == nil {
		s.c.events.emit(MessageStatusChanged{Message: ch.Messages[0]})
	}
	s.applyMu.Unlock()
	if err != nil {
		s.cfg.Logger.Error("storing failed message", "err", err)
		return
	}
	o.resolve(m.ClientMsgID, ch.Messages[0], &Error{Code: code, Message: "message not sent"})
}
