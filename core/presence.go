package core

import (
	"context"
	"slices"
	"sync"

	"parley/protocol"
)

// Presence (contract §5): the users this session watches and their last
// known status. The server forgets a connection's subscriptions when it
// closes, so each new connection subscribes them again.

// UserStatus is whether a user is online, and on which platforms.
type UserStatus = protocol.UserStatus

// UserStatusChanged: a watched user's status changed.
type UserStatusChanged struct{ Status UserStatus }

// EventName implements Event.
func (UserStatusChanged) EventName() string { return "userStatusChanged" }

// EventPayload implements Event: {userID, online, platforms}.
func (e UserStatusChanged) EventPayload() any { return e.Status }

// statusWatch maps each watched user to their last known status (zero
// until the server answered).
type statusWatch struct {
	mu   sync.Mutex
	subs map[string]UserStatus
}

// SubscribeUsersStatus watches users' status: it answers their status now
// and announces every change with UserStatusChanged, across reconnects,
// until UnsubscribeUsersStatus. It waits for the connection; a rejected
// call subscribes nobody (the server checks the IDs and the limits).
func (c *Client) SubscribeUsersStatus(ctx context.Context, userIDs []string) ([]UserStatus, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	p := &s.presence
	p.mu.Lock()
	if p.subs == nil {
		p.subs = map[string]UserStatus{}
	}
	var added []string
	for _, u := range userIDs {
		if _, ok := p.subs[u]; !ok {
			p.subs[u] = UserStatus{}
			added = append(added, u)
		}
	}
	p.mu.Unlock()
	var resp protocol.UserStatusesResp
	if err := s.call(ctx, protocol.ReqSubscribeStatus, protocol.GetUsersReq{UserIDs: userIDs}, &resp); err != nil {
		p.mu.Lock()
		for _, u := range added {
			delete(p.subs, u)
		}
		p.mu.Unlock()
		return nil, err
	}
	s.statusesKnown(resp.Statuses, false)
	return resp.Statuses, nil
}

// UnsubscribeUsersStatus stops watching users.
func (c *Client) UnsubscribeUsersStatus(ctx context.Context, userIDs []string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	p := &s.presence
	p.mu.Lock()
	for _, u := range userIDs {
		delete(p.subs, u)
	}
	p.mu.Unlock()
	// Without a connection the server holds no subscription.
	if w := s.liveWire(); w != nil {
		return w.call(ctx, protocol.ReqUnsubscribeStatus, protocol.GetUsersReq{UserIDs: userIDs}, nil)
	}
	return nil
}

// statusesKnown records statuses of watched users and, with announce,
// announces those that changed.
func (s *session) statusesKnown(sts []UserStatus, announce bool) {
	p := &s.presence
	var evs []Event
	p.mu.Lock()
	for _, st := range sts {
		last, ok := p.subs[st.UserID]
		if !ok || (last.UserID != "" && last.Online == st.Online && slices.Equal(last.Platforms, st.Platforms)) {
			continue
		}
		p.subs[st.UserID] = st
		if announce {
			evs = append(evs, UserStatusChanged{Status: st})
		}
	}
	p.mu.Unlock()
	s.c.events.emit(evs...)
}

// resubscribe subscribes the watched users on a new connection and
// announces what changed while it was away.
func (s *session) resubscribe(w *wire) {
	p := &s.presence
	p.mu.Lock()
	ids := make([]string, 0, len(p.subs))
	for u := range p.subs {
		ids = append(ids, u)
	}
	p.mu.Unlock()
	for len(ids) > 0 {
		n := min(len(ids), protocol.MaxGetUsers)
		var resp protocol.UserStatusesResp
		if err := w.call(w.ctx, protocol.ReqSubscribeStatus, protocol.GetUsersReq{UserIDs: ids[:n]}, &resp); err != nil {
			return // the connection went; the next one subscribes again
		}
		s.statusesKnown(resp.Statuses, true)
		ids = ids[n:]
	}
}
