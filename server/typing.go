package server

import (
	"context"
	"slices"

	"golang.org/x/time/rate"

	"parley/protocol"
)

// Typing indicators: ephemeral. The server checks who asks, relays the
// indicator to the other members' connections that are online now and
// forgets it; nothing is stored or synced.

// A client renews an indicator every protocol.TypingRenewMs at most; the
// limit leaves room for a few conversations at once and a stop after each
// start, and refuses a client that sends one per keystroke.
const (
	typingRate  = rate.Limit(2) // per second, per connection
	typingBurst = 6
)

func (s *Server) setTyping(ctx context.Context, c caller, req *protocol.TypingReq) (*empty, error) {
	if c.typing != nil && !c.typing.Allow() {
		return nil, protocol.Errorf(protocol.CodeRateLimited, "typing indicators at most %v per second", float64(typingRate))
	}
	typ, a, b, ok := protocol.ParseConversationID(req.ConversationID)
	if !ok {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "malformed conversationID %q", req.ConversationID)
	}
	if _, err := s.access(ctx, c.UserID, req.ConversationID); err != nil {
		return nil, err
	}
	var to []string
	if typ == protocol.SessionSingle {
		to = []string{a, b}
	} else {
		ms, err := s.store.GroupMembers(ctx, a)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			to = append(to, m.UserID)
		}
	}
	// The typer's own devices know; a self conversation has nobody to tell.
	to = slices.DeleteFunc(to, func(u string) bool { return u == c.UserID })
	if len(to) > 0 {
		s.pushTo(ctx, protocol.PushTyping, protocol.Typing{ConversationID: req.ConversationID, UserID: c.UserID, Typing: req.Typing}, "", to...)
	}
	return &empty{}, nil
}
