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

	mu sync.Mutex
	// ids mirrors the ClientMsgIDs of the stored outbox: the writer
	// updates it after every write (noteWritten).
	ids       map[string]bool
	waiters   map[string][]chan sendResult // SendMessage calls waiting
	lastOrder int64
	// up runs the uploads of messages with files.
	up uploads
	// wired are the entries whose send frame was written and whose answer
	// has not come: the server may hold them, so they can no longer be
	// canceled. canceling are those a DeleteUnsentMessage is removing:
	// they are not written. Together they give a cancel racing a send
	// one outcome (claim, cancelClaim).
	wired, canceling map[string]bool
	// announced are the entries whose sending this session announced:
	// an entry resumed from an earlier session is announced when the
	// sender first takes it up, so that every attempt starts with one.
	announced map[string]bool
}

type sendResult struct {
	msg Message
	err error
}

func (o *outbox) init(s *session, entries []OutboxEntry) {
	o.s = s
	o.sig = make(chan struct{}, 1)
	o.ids = make(map[string]bool)
	o.announced = make(map[string]bool)
	o.wired, o.canceling = make(map[string]bool), make(map[string]bool)
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

// noteWritten updates ids after the writer stored ch.
func (o *outbox) noteWritten(ch *Changes) {
	if len(ch.Outbox) == 0 && len(ch.RemovedOutbox) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range ch.Outbox {
		o.ids[e.ClientMsgID] = true
	}
	for _, id := range ch.RemovedOutbox {
		delete(o.ids, id)
		delete(o.announced, id)
		delete(o.wired, id)
	}
}

// claim reports whether the send of id may be written now, and marks it
// written: false when the entry is gone or being canceled.
func (o *outbox) claim(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.ids[id] || o.canceling[id] {
		return false
	}
	o.wired[id] = true
	return true
}

// answered ends the claim of id once its send got an answer.
func (o *outbox) answered(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.wired, id)
}

// cancelClaim marks id as being canceled, so that its send is not
// written, until uncancel; false when it was written already.
func (o *outbox) cancelClaim(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.wired[id] {
		return false
	}
	o.canceling[id] = true
	return true
}

func (o *outbox) uncancel(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.canceling, id)
}

// announce marks that m's sending was announced, and reports whether it
// was not before.
func (o *outbox) announce(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.announced[id] {
		return false
	}
	o.announced[id] = true
	return true
}

// newEntry makes the outbox entry of a send: after every other entry in
// the send order, due to give up a send timeout from now.
func (o *outbox) newEntry(m Message, recvID, groupID string, now time.Time) OutboxEntry {
	o.mu.Lock()
	defer o.mu.Unlock()
	order := now.UnixMilli()
	if order <= o.lastOrder {
		order = o.lastOrder + 1
	}
	o.lastOrder = order
	return OutboxEntry{
		ClientMsgID:    m.ClientMsgID,
		ConversationID: m.ConversationID,
		RecvID:         recvID,
		GroupID:        groupID,
		Order:          order,
		EnqueuedAt:     now.UnixMilli(),
		Deadline:       now.Add(o.s.cfg.SendTimeout).UnixMilli(),
	}
}

// wait registers a waiter for a message's send.
func (o *outbox) wait(id string) chan sendResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	ch := make(chan sendResult, 1)
	o.waiters[id] = append(o.waiters[id], ch)
	return ch
}

// unwait removes a waiter that no longer waits.
func (o *outbox) unwait(id string, ch chan sendResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ws := o.waiters[id]
	for i, w := range ws {
		if w == ch {
			o.waiters[id] = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(o.waiters[id]) == 0 {
		delete(o.waiters, id)
	}
}

// resolve answers a message's waiters.
func (o *outbox) resolve(id string, m Message, err error) {
	o.mu.Lock()
	ws := o.waiters[id]
	delete(o.waiters, id)
	o.mu.Unlock()
	for _, ch := range ws {
		ch <- sendResult{msg: m, err: err}
	}
}

// deadline is when e gives up: stored with it, so that a reload does not
// restart it. Entries stored before deadlines were give up a send timeout
// after they were enqueued.
func (o *outbox) deadline(e OutboxEntry) time.Time {
	if e.Deadline > 0 {
		return time.UnixMilli(e.Deadline)
	}
	return time.UnixMilli(e.EnqueuedAt).Add(o.s.cfg.SendTimeout)
}

// maxWindow bounds the sends in flight, at most one per conversation. The
// server commits the sends of one connection in the order it reads them,
// but it may refuse one (rate_limited) and accept the next: two sends of
// one conversation in flight could swap, so a conversation's messages go
// one at a time, while different conversations share the window.
const maxWindow = 32

// outboxRecheck bounds how long the sender waits offline before it looks
// at its deadlines again.
const outboxRecheck = time.Second

// pendingSend is one outbox entry ready to go.
type pendingSend struct {
	msg      Message
	req      protocol.SendReq
	deadline time.Time
}

// until is how long from now to t on the session's clock.
func (s *session) until(t time.Time) time.Duration { return t.Sub(s.cfg.Now()) }

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
			if o.up.busy() > 0 {
				// Waiting for uploads: each wakes the sender when it ends.
				select {
				case <-o.sig:
				case <-s.ctx.Done():
				}
			}
			continue
		}
		earliest := batch[0].deadline
		for _, p := range batch {
			if p.deadline.Before(earliest) {
				earliest = p.deadline
			}
		}
		// The wait is re-checked at least every outboxRecheck against the
		// clock: a deadline is wall-clock time, and timers stop while a
		// machine sleeps.
		ctx, cancel := context.WithTimeout(s.ctx, min(s.until(earliest), outboxRecheck))
		w, err := s.waitWire(ctx)
		cancel()
		if err != nil {
			if isTerminal(err) {
				// Logged out by the server: nothing will be sent in this
				// session, so every waiting send fails now with its code.
				for _, p := range batch {
					o.fail(p.msg, protocol.CodeOf(err))
				}
				continue
			}
			// Offline: wait for a change or the first deadline, which
			// prepare then enforces.
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
				o.attempt(batch[i].msg, code)
			case code == protocol.CodeTimeout || code == protocol.CodeCanceled:
				// The deadline passed; prepare fails it next round.
			case code == protocol.CodeTokenExpired || code == protocol.CodeUnauthenticated:
				network = true
			case errors.As(err, &pe) && pe.Temporary():
				// Back-pressure: pace and retry, never fail for it.
				s.cfg.Logger.Debug("send paced", "code", code, "clientMsgID", batch[i].msg.ClientMsgID)
				temporary = true
				o.attempt(batch[i].msg, code)
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
			if _, err := s.apply(s.ctx, clearInput{ClientMsgID: e.ClientMsgID}); err != nil {
				return out, err
			}
			continue
		}
		m := ms[0]
		if o.announce(m.ClientMsgID) {
			// Resumed from an earlier session: this attempt starts here.
			s.c.events.emit(MessageStatusChanged{Message: m})
		}
		if m.pendingUploads() {
			// Its files go first (uploads.go, which keeps its deadline);
			// the conversation's later messages wait behind it.
			busy[e.ConversationID] = true
			o.up.start(s, m.ClientMsgID)
			continue
		}
		deadline := o.deadline(e)
		if !s.cfg.Now().Before(deadline) {
			o.fail(m, protocol.CodeTimeout)
			continue
		}
		req := protocol.SendReq{ClientMsgID: m.ClientMsgID, RecvID: e.RecvID, GroupID: e.GroupID,
			ContentType: m.ContentType, CreateTime: m.CreateTime}
		content, err := m.wireContent()
		if err == nil {
			req.Content = content
			err = checkSendSize(req, s.cfg.MaxFrameBytes)
		}
		if err != nil {
			// Never acceptable: it fails alone, the entries behind it go on.
			o.fail(m, protocol.CodeOf(err))
			continue
		}
		busy[e.ConversationID] = true
		out = append(out, pendingSend{msg: m, deadline: deadline, req: req})
	}
	return out, nil
}

// sendBatch writes the batch's sends in order, then applies each ack; it
// returns each send's error.
func (o *outbox) sendBatch(w *wire, batch []pendingSend) []error {
	errs := make([]error, len(batch))
	reqs := make([]request, 0, len(batch))
	for i, p := range batch {
		if !o.claim(p.msg.ClientMsgID) {
			// Canceled since prepare read it: prepare clears it next.
			errs[i] = &Error{Code: protocol.CodeCanceled}
			reqs = append(reqs, request{})
			continue
		}
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
		if r.ch == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(o.s.ctx, o.s.until(batch[i].deadline))
		var ack protocol.SendResp
		err := w.await(ctx, r, &ack)
		cancel()
		if err == nil {
			err = o.applyAck(batch[i].msg, ack)
		}
		if code := protocol.CodeOf(err); code != protocol.CodeNetwork && code != protocol.CodeTimeout && code != protocol.CodeCanceled {
			// An answer came: the server holds it (sent) or refused it.
			// Without one the claim stays until the entry goes, and the
			// attempt recorded keeps the message from being canceled
			// after a reload too.
			o.answered(batch[i].msg.ClientMsgID)
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
	t := time.NewTimer(min(s.until(deadline), outboxRecheck))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-s.ctx.Done():
	}
}

// applyAck stores an ack; the writer resolves the message's waiters.
func (o *outbox) applyAck(m Message, ack protocol.SendResp) error {
	s := o.s
	pm, err := ackMessage(m, ack)
	if err != nil {
		return err
	}
	res, err := s.apply(s.ctx, foldInput{Messages: []protocol.Message{pm}, Ack: true})
	if err != nil {
		s.cfg.Logger.Error("storing ack", "err", err)
		return withCode(err)
	}
	if len(res.Sent) == 0 {
		// Already resolved (a pull found it first): answer any waiter.
		o.resolve(m.ClientMsgID, messageFromProto(&pm, s.userID), nil)
	}
	return nil
}

// fail gives up on a message; the writer answers its waiters.
func (o *outbox) fail(m Message, code protocol.Code) {
	if _, err := o.s.apply(o.s.ctx, failInput{ClientMsgID: m.ClientMsgID, Code: code}); err != nil {
		o.s.cfg.Logger.Error("storing failed message", "err", err)
	}
}

// attempt records a send that got no answer or a temporary refusal.
func (o *outbox) attempt(m Message, code protocol.Code) {
	if _, err := o.s.apply(o.s.ctx, attemptInput{ClientMsgID: m.ClientMsgID, Code: code}); err != nil {
		o.s.cfg.Logger.Warn("storing send attempt", "err", err)
	}
}

// checkSendSize refuses a send whose frame the server would never read:
// it fails at once with too_large instead of costing the connection.
func checkSendSize(req protocol.SendReq, limit int) error {
	b, err := protocol.EncodeFrame("0000000000", protocol.ReqSend, req)
	if err != nil {
		return &Error{Code: protocol.CodeInvalidArgument, Message: "message cannot be encoded: " + err.Error()}
	}
	if len(b) > limit {
		return &Error{Code: protocol.CodeTooLarge, Message: "message too large"}
	}
	return nil
}
