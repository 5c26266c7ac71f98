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

// run sends until the session ends.
func (o *outbox) run() {
	s := o.s
	defer s.wg.Done()
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
		for _, e := range entries {
			o.sendOne(e)
			if s.ctx.Err() != nil {
				return
			}
		}
	}
}

// sendOne sends one entry until it is sent, failed or the session ends.
func (o *outbox) sendOne(e OutboxEntry) {
	s := o.s
	ms, err := s.store.Messages(s.ctx, []string{e.ClientMsgID})
	if err != nil {
		return
	}
	if len(ms) == 0 || ms[0].Status == StatusSent || ms[0].Status == StatusFailed {
		// Nothing left to send: clear the entry.
		if err := s.store.Apply(s.ctx, &Changes{RemovedOutbox: []string{e.ClientMsgID}}); err == nil && len(ms) > 0 {
			o.resolve(e.ClientMsgID, ms[0], nil)
		}
		return
	}
	m := ms[0]
	content, err := m.wireContent()
	if err != nil {
		o.fail(m, protocol.CodeInvalidArgument)
		return
	}
	req := protocol.SendReq{ClientMsgID: m.ClientMsgID, RecvID: e.RecvID, GroupID: e.GroupID,
		ContentType: m.ContentType, Content: content, CreateTime: m.CreateTime}
	deadline := o.deadline(m.ClientMsgID)
	pace := 0
	for s.ctx.Err() == nil {
		if !o.has(m.ClientMsgID) {
			return // a pull found it on the server and resolved it
		}
		if !s.cfg.Now().Before(deadline) {
			o.fail(m, protocol.CodeTimeout)
			return
		}
		ctx, cancel := context.WithDeadline(s.ctx, deadline)
		err := o.attempt(ctx, m, req)
		cancel()
		if err == nil {
			return
		}
		var pe *Error
		code := protocol.CodeOf(err)
		switch {
		case code == protocol.CodeNetwork || code == protocol.CodeTimeout || code == protocol.CodeCanceled:
			// Disconnects are not failures; the deadline check above decides.
			if errors.As(err, &pe) && pe.Code == protocol.CodeNetwork && s.liveWire() == nil {
				o.waitChange(deadline)
			}
		case code == protocol.CodeTokenExpired || code == protocol.CodeUnauthenticated:
			// The session stopped reconnecting: wait out the deadline.
			o.waitChange(deadline)
		case errors.As(err, &pe) && pe.Temporary():
			// Back-pressure: pace and retry, never fail for it.
			s.cfg.Logger.Debug("send paced", "code", code, "clientMsgID", m.ClientMsgID)
			if !s.sleep(backoff(pace, 100*time.Millisecond, 5*time.Second)) {
				return
			}
			pace++
		default:
			o.fail(m, code)
			return
		}
	}
}

// waitChange waits for the connection state to change, the deadline or
// logout.
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

// attempt sends once and applies the ack.
func (o *outbox) attempt(ctx context.Context, m Message, req protocol.SendReq) error {
	s := o.s
	w, err := s.waitWire(ctx)
	if err != nil {
		return err
	}
	var ack protocol.SendResp
	if err := w.call(ctx, protocol.ReqSend, req, &ack); err != nil {
		return err
	}
	pm, err := ackMessage(m, ack)
	if err != nil {
		return err
	}
	res, err := s.applyFold(s.ctx, foldInput{Messages: []protocol.Message{pm}})
	if err != nil {
		s.cfg.Logger.Error("storing ack", "err", err)
		return err
	}
	if len(res.Sent) == 0 {
		// Already resolved (e.g. a pull found it first): answer any waiter.
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
	s.applyMu.Unlock()
	if err != nil {
		s.cfg.Logger.Error("storing failed message", "err", err)
		return
	}
	o.resolve(m.ClientMsgID, ch.Messages[0], &Error{Code: code, Message: "message not sent"})
}
