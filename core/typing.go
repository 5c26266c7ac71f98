package core

import (
	"context"
	"sort"
	"sync"
	"time"

	"parley/protocol"
)

// Typing indicators: ephemeral, never stored. The decisions are pure
// (typingBoard, typingSent, table-tested); the session keeps them in
// memory and runs one goroutine, only while an entry stands, that lapses
// entries when their time comes.

// typingBoard is who types where: conversationID -> userID -> the time
// the entry lapses, Unix ms.
type typingBoard map[string]map[string]int64

// apply folds one indicator received at now and reports whether the
// conversation's list of typers changed (a renewal does not).
func (b typingBoard) apply(t protocol.Typing, now, lapse int64) bool {
	users := b[t.ConversationID]
	_, was := users[t.UserID]
	if !t.Typing {
		if !was {
			return false
		}
		delete(users, t.UserID)
		if len(users) == 0 {
			delete(b, t.ConversationID)
		}
		return true
	}
	if users == nil {
		users = make(map[string]int64)
		b[t.ConversationID] = users
	}
	users[t.UserID] = now + lapse
	return !was
}

// expire drops the entries lapsed at now and returns the conversations
// whose list changed, sorted.
func (b typingBoard) expire(now int64) []string {
	var out []string
	for conv, users := range b {
		n := len(users)
		for u, at := range users {
			if at <= now {
				delete(users, u)
			}
		}
		if len(users) != n {
			out = append(out, conv)
		}
		if len(users) == 0 {
			delete(b, conv)
		}
	}
	sort.Strings(out)
	return out
}

// users returns the typers of a conversation, sorted (never nil).
func (b typingBoard) users(conv string) []string {
	out := make([]string, 0, len(b[conv]))
	for u := range b[conv] {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// next returns the earliest lapse time, 0 when nothing stands.
func (b typingBoard) next() int64 {
	var n int64
	for _, users := range b {
		for _, at := range users {
			if n == 0 || at < n {
				n = at
			}
		}
	}
	return n
}

// typingSent is what this device told the server: conversationID -> when
// it last said "typing", Unix ms.
type typingSent map[string]int64

// decide says whether an app's setTyping at now goes to the server: a
// start, and a renewal once protocol.TypingRenewMs passed (an app may
// call it on every keystroke); a stop only after a start.
func (ts typingSent) decide(conv string, typing bool, now int64) bool {
	last, told := ts[conv]
	if !typing {
		delete(ts, conv)
		return told
	}
	if told && now-last < protocol.TypingRenewMs {
		return false
	}
	ts[conv] = now
	return true
}

// typingState is the session's typing memory.
type typingState struct {
	mu      sync.Mutex
	board   typingBoard
	sent    typingSent
	running bool          // the lapse goroutine runs
	wake    chan struct{} // tells it the earliest lapse may have moved
}

// onTyping applies a push.typing.
func (s *session) onTyping(t protocol.Typing) {
	if t.ConversationID == "" || t.UserID == "" || t.UserID == s.userID {
		return
	}
	ts := &s.typing
	ts.mu.Lock()
	if ts.board == nil {
		ts.board, ts.wake = typingBoard{}, make(chan struct{}, 1)
	}
	changed := ts.board.apply(t, s.now(), s.cfg.TypingLapse.Milliseconds())
	users := ts.board.users(t.ConversationID)
	start := !ts.running && ts.board.next() != 0
	if start {
		ts.running = true
	}
	ts.mu.Unlock()
	select {
	case ts.wake <- struct{}{}:
	default:
	}
	if start {
		s.goBackground(s.lapseTyping)
	}
	if changed {
		s.c.events.emit(TypingChanged{ConversationID: t.ConversationID, UserIDs: users})
	}
}

// lapseTyping drops entries as they lapse and announces it, until none
// stands.
func (s *session) lapseTyping() {
	ts := &s.typing
	for {
		ts.mu.Lock()
		next := ts.board.next()
		if next == 0 {
			ts.running = false
			ts.mu.Unlock()
			return
		}
		ts.mu.Unlock()
		timer := time.NewTimer(time.Duration(next-s.now()) * time.Millisecond)
		select {
		case <-s.ctx.Done():
			timer.Stop()
			return
		case <-ts.wake:
			timer.Stop()
			continue
		case <-timer.C:
		}
		ts.mu.Lock()
		convs := ts.board.expire(s.now())
		evs := make([]Event, 0, len(convs))
		for _, c := range convs {
			evs = append(evs, TypingChanged{ConversationID: c, UserIDs: ts.board.users(c)})
		}
		ts.mu.Unlock()
		s.c.events.emit(evs...)
	}
}

// SetTyping tells the other members of a conversation that the user is
// typing there (or stopped). It may be called on every keystroke: a start
// goes out, then a renewal every few seconds at most, and a stop only
// after a start. Ephemeral: with no connection it rejects with network
// and nothing is kept for later.
func (c *Client) SetTyping(ctx context.Context, conversationID string, typing bool) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return errInvalid("invalid conversationID")
	}
	w := s.liveWire()
	ts := &s.typing
	ts.mu.Lock()
	if ts.sent == nil {
		ts.sent = typingSent{}
	}
	send := ts.sent.decide(conversationID, typing, s.now())
	if send && w == nil {
		// Not told after all: the next call tries again.
		delete(ts.sent, conversationID)
	}
	ts.mu.Unlock()
	if !send {
		return nil
	}
	if w == nil {
		return errNetwork(nil)
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	err = w.call(cctx, protocol.ReqSetTyping, protocol.TypingReq{ConversationID: conversationID, Typing: typing}, nil)
	if err != nil && typing {
		ts.mu.Lock()
		delete(ts.sent, conversationID) // not told: the next call tries again
		ts.mu.Unlock()
	}
	return err
}
