package core

import (
	"log/slog"
	"sync"
)

// Event is something a Client announces to the handlers registered with On.
// The concrete types below are the events; switch on them, or use
// EventName and EventPayload, which give the JS event name and the exact
// value its handler receives (contract section 3).
type Event interface {
	EventName() string
	EventPayload() any
}

// ConnectionStateChanged: the connection moved to State.
type ConnectionStateChanged struct {
	State ConnState `json:"state"`
}

// NewMessages: messages that arrived from others or from the user's other
// devices, each announced once, ascending by seq within a conversation.
type NewMessages struct {
	Messages []Message
}

// MessagesChanged: stored messages whose content or state changed
// (revoked, edited, reacted to, pinned, read), each change announced
// once, in their new state.
type MessagesChanged struct {
	Messages []Message
}

// TypingChanged: who is typing in a conversation now changed (an entry
// came, was stopped, or lapsed). UserIDs is sorted, empty when nobody is.
type TypingChanged struct {
	ConversationID string   `json:"conversationID"`
	UserIDs        []string `json:"userIDs"`
}

// ConversationsChanged: conversations whose content changed.
type ConversationsChanged struct {
	Conversations []Conversation
}

// TotalUnreadCountChanged: the sum of the unread counts changed.
type TotalUnreadCountChanged struct {
	Count int64
}

// Sync phases.
const (
	SyncStart    = "start"
	SyncProgress = "progress"
	SyncFinish   = "finish"
)

// SyncProgressed reports the catch-up after every connect: one start, a
// progress per applied sync page that changed something, one finish (also
// when the catch-up is cut short, with Err set). Messages that arrive
// before finish on a store's very first sync are history, not news: they
// are stored but not announced with newMessages.
type SyncProgressed struct {
	Phase string `json:"phase"`
	// Conversations and Messages count what was applied so far.
	Conversations int `json:"conversations"`
	Messages      int `json:"messages"`
	// Err is the error code that cut the catch-up short, on finish.
	Err string `json:"error,omitempty"`
}

// FriendRequestReceived: someone asked the user to be friends.
type FriendRequestReceived struct {
	Request FriendRequest
}

// FriendAdded: a friendship was made (on either side's acceptance).
type FriendAdded struct {
	User User
}

// GroupChanged: the user joined a group or one of its groups changed.
type GroupChanged struct {
	Group Group
}

// MessageStatusChanged: a message sent from this device changed status
// (sending, sent or failed): one sending when SendMessage stores it, then
// exactly one sent or failed for that attempt (contract §4.1, §10), so an
// app needs no outbox of its own.
type MessageStatusChanged struct {
	Message Message
}

// UsersInfoChanged: profiles the SDK stored anew (fetched for a
// conversation, asked for while offline, or the user's own changed).
type UsersInfoChanged struct {
	Users []User
}

// SelfInfoUpdated: the user's own profile changed.
type SelfInfoUpdated struct {
	User User
}

// EventName implements Event.
func (ConnectionStateChanged) EventName() string { return "connectionStateChanged" }

// EventPayload implements Event: {state}.
func (e ConnectionStateChanged) EventPayload() any { return e }

// EventName implements Event.
func (NewMessages) EventName() string { return "newMessages" }

// EventPayload implements Event: Message[].
func (e NewMessages) EventPayload() any { return e.Messages }

// EventName implements Event.
func (TypingChanged) EventName() string { return "typingChanged" }

// EventPayload implements Event: {conversationID, userIDs}.
func (e TypingChanged) EventPayload() any { return e }

// EventName implements Event.
func (MessagesChanged) EventName() string { return "messagesChanged" }

// EventPayload implements Event: Message[].
func (e MessagesChanged) EventPayload() any { return e.Messages }

// EventName implements Event.
func (ConversationsChanged) EventName() string { return "conversationsChanged" }

// EventPayload implements Event: Conversation[].
func (e ConversationsChanged) EventPayload() any { return e.Conversations }

// EventName implements Event.
func (TotalUnreadCountChanged) EventName() string { return "totalUnreadCountChanged" }

// EventPayload implements Event: number.
func (e TotalUnreadCountChanged) EventPayload() any { return e.Count }

// EventName implements Event.
func (SyncProgressed) EventName() string { return "syncProgress" }

// EventPayload implements Event: {phase, conversations, messages, error?}.
func (e SyncProgressed) EventPayload() any { return e }

// EventName implements Event.
func (FriendRequestReceived) EventName() string { return "friendRequestReceived" }

// EventPayload implements Event: FriendRequest.
func (e FriendRequestReceived) EventPayload() any { return e.Request }

// EventName implements Event.
func (FriendAdded) EventName() string { return "friendAdded" }

// EventPayload implements Event: User.
func (e FriendAdded) EventPayload() any { return e.User }

// EventName implements Event.
func (GroupChanged) EventName() string { return "groupChanged" }

// EventPayload implements Event: Group.
func (e GroupChanged) EventPayload() any { return e.Group }

// EventName implements Event.
func (MessageStatusChanged) EventName() string { return "messageStatusChanged" }

// EventPayload implements Event: Message.
func (e MessageStatusChanged) EventPayload() any { return e.Message }

// EventName implements Event.
func (UsersInfoChanged) EventName() string { return "usersInfoChanged" }

// EventPayload implements Event: User[].
func (e UsersInfoChanged) EventPayload() any { return e.Users }

// EventName implements Event.
func (SelfInfoUpdated) EventName() string { return "selfInfoUpdated" }

// EventPayload implements Event: User.
func (e SelfInfoUpdated) EventPayload() any { return e.User }

// emitter delivers events in order on one goroutine that exists only while
// events are pending, so emitting never blocks and never runs a handler
// under the emitter's caller's locks.
type emitter struct {
	log      *slog.Logger
	mu       sync.Mutex
	handlers []*handler
	queue    []Event
	running  bool
	closed   bool
	idle     *sync.Cond
	// emitted counts the events queued so far and delivered those whose
	// handlers returned, so that a caller can wait for the events queued
	// before a point (waitDelivered) without waiting for later ones.
	emitted, delivered uint64
}

type handler struct{ fn func(Event) }

func newEmitter(log *slog.Logger) *emitter {
	e := &emitter{log: log}
	e.idle = sync.NewCond(&e.mu)
	return e
}

// on registers fn and returns the function that removes it.
func (e *emitter) on(fn func(Event)) func() {
	h := &handler{fn: fn}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return func() {}
	}
	e.handlers = append(e.handlers, h)
	e.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			for i, x := range e.handlers {
				if x == h {
					e.handlers = append(e.handlers[:i:i], e.handlers[i+1:]...)
					return
				}
			}
		})
	}
}

func (e *emitter) emit(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.queue = append(e.queue, evs...)
	e.emitted += uint64(len(evs))
	if !e.running {
		e.running = true
		go e.drain()
	}
	e.mu.Unlock()
}

func (e *emitter) drain() {
	for {
		e.mu.Lock()
		if len(e.queue) == 0 {
			e.running = false
			e.idle.Broadcast()
			e.mu.Unlock()
			return
		}
		ev := e.queue[0]
		e.queue[0] = nil
		e.queue = e.queue[1:]
		hs := e.handlers
		e.mu.Unlock()
		for _, h := range hs {
			e.call(h, ev)
		}
		e.mu.Lock()
		e.delivered++
		e.idle.Broadcast()
		e.mu.Unlock()
	}
}

func (e *emitter) call(h *handler, ev Event) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("event handler panicked", "event", ev.EventName(), "panic", r)
		}
	}()
	h.fn(ev)
}

// close drops every handler and every event not yet delivered; later
// emits and registrations do nothing. A handler already running finishes.
func (e *emitter) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	e.handlers = nil
	e.queue = nil
	e.idle.Broadcast()
}

// mark returns the number of events queued so far, for waitDelivered.
func (e *emitter) mark() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.emitted
}

// waitDelivered blocks until the first n events queued were delivered (or
// dropped by close), however many were queued since. Calling it from a
// handler deadlocks.
func (e *emitter) waitDelivered(n uint64) {
	e.mu.Lock()
	for e.delivered < n && !e.closed {
		e.idle.Wait()
	}
	e.mu.Unlock()
}

// wait blocks until every event emitted so far was delivered.
func (e *emitter) wait() {
	e.mu.Lock()
	for e.running {
		e.idle.Wait()
	}
	e.mu.Unlock()
}

// FriendRequestRefused: a request the user made was refused by UserID.
type FriendRequestRefused struct {
	UserID string `json:"userID"`
}

// FriendDeleted: the friendship with UserID ended (either side ended it).
type FriendDeleted struct {
	UserID string `json:"userID"`
}

// FriendInfoChanged: a friend's entry on the friend list changed (the
// user's remark for them).
type FriendInfoChanged struct {
	User User
}

// EventName implements Event.
func (FriendRequestRefused) EventName() string { return "friendRequestRefused" }

// EventPayload implements Event: {userID}.
func (e FriendRequestRefused) EventPayload() any { return e }

// EventName implements Event.
func (FriendDeleted) EventName() string { return "friendDeleted" }

// EventPayload implements Event: {userID}.
func (e FriendDeleted) EventPayload() any { return e }

// EventName implements Event.
func (FriendInfoChanged) EventName() string { return "friendInfoChanged" }

// EventPayload implements Event: User.
func (e FriendInfoChanged) EventPayload() any { return e.User }

// BlackListChanged: the users the user blocks changed (on any of their
// devices); Users is the whole list, ordered by UserID.
type BlackListChanged struct {
	Users []User
}

// EventName implements Event.
func (BlackListChanged) EventName() string { return "blackListChanged" }

// EventPayload implements Event: User[].
func (e BlackListChanged) EventPayload() any { return e.Users }
