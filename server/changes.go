package server

import (
	"context"
	"errors"
	"slices"

	"parley/protocol"
	"parley/server/store"
)

// Changes to stored messages: revoke and edit. Each is checked against who
// asks, stored as the message in its new state with the conversation's next
// message version (store.ChangeMessage), and pushed to every member's
// connections; a device that was away finds the conversation's new
// MessageVersion in its sync and pulls the changes (pullChanges).

// defaultRevokeWindow is how long after sending a sender may revoke.
const defaultRevokeWindow = 24 * 60 * 60 * 1000 // ms

// errUnchanged stops a change that would change nothing (a second revoke).
var errUnchanged = errors.New("unchanged")

// changeMessage applies change to a message of a conversation the caller
// may read and pushes the result to the members' other connections.
func (s *Server) changeMessage(ctx context.Context, c caller, convID, clientMsgID string, change func(m *protocol.Message) error) (*protocol.Message, error) {
	if clientMsgID == "" || len(clientMsgID) > protocol.MaxClientMsgIDLen {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "clientMsgID must be 1 to %d bytes", protocol.MaxClientMsgIDLen)
	}
	minSeq, err := s.access(ctx, c.UserID, convID)
	if err != nil {
		return nil, err
	}
	return s.applyChange(ctx, c, convID, clientMsgID, minSeq, change)
}

// applyChange is changeMessage once the caller may change messages of the
// conversation from minSeq on (the admin API: any, with an empty caller, its
// arguments checked by httpapi.AdminRevokeMessage).
func (s *Server) applyChange(ctx context.Context, c caller, convID, clientMsgID string, minSeq int64, change func(m *protocol.Message) error) (*protocol.Message, error) {
	notFound := protocol.Errorf(protocol.CodeNotFound, "no message %q in this conversation", clientMsgID)
	var current protocol.Message
	res, err := s.store.ChangeMessage(ctx, convID, clientMsgID, func(m *protocol.Message) error {
		if m.Seq < minSeq {
			return notFound // before the caller joined: not theirs to see
		}
		current = *m
		return change(m)
	})
	switch {
	case errors.Is(err, errUnchanged):
		s.deliverable(&current)
		return &current, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound
	case err != nil:
		return nil, err
	}
	m := res.Message
	s.deliverable(&m)
	// Who deleted the message for themselves does not get it back.
	deleted, err := s.store.DeletedBy(ctx, convID, m.Seq)
	if err != nil {
		return nil, err
	}
	recipients := slices.DeleteFunc(res.Recipients, func(u string) bool { return slices.Contains(deleted, u) })
	s.pushTo(ctx, protocol.PushMessageChanged, &m, c.ConnID, recipients...)
	if slices.Contains(deleted, c.UserID) {
		maskMessage(&m)
	}
	return &m, nil
}

// revokeMessage replaces a message's content by a RevokedContent: the
// sender may revoke within the revoke window, a group's owner and admins
// any message of the group.
func (s *Server) revokeMessage(ctx context.Context, c caller, req *protocol.MessageRefReq) (*protocol.Message, error) {
	moderator := false
	if st, groupID, _, ok := protocol.ParseConversationID(req.ConversationID); ok && st == protocol.SessionGroup {
		if gm, err := s.store.GroupMember(ctx, groupID, c.UserID); err == nil {
			moderator = gm.Role == protocol.RoleOwner || gm.Role == protocol.RoleAdmin
		} else if !errors.Is(err, store.ErrNotMember) {
			return nil, err
		} // a non-member is refused by access
	}
	now := s.nowMs()
	return s.changeMessage(ctx, c, req.ConversationID, req.ClientMsgID, func(m *protocol.Message) error {
		if m.ContentType == protocol.ContentRevoked {
			return errUnchanged
		}
		if !moderator {
			if m.SendID != c.UserID {
				return protocol.Errorf(protocol.CodePermissionDenied, "only the sender or a group's owner and admins may revoke a message")
			}
			if now-m.SendTime > s.cfg.RevokeWindow.Milliseconds() {
				return protocol.Errorf(protocol.CodePermissionDenied, "the message is older than the revoke window of %s", s.cfg.RevokeWindow)
			}
		}
		revoke(m, c.UserID, now)
		return nil
	})
}

// revoke turns m into a revoked message: its content gone, unpinned.
func revoke(m *protocol.Message, revoker string, now int64) {
	m.ContentType = protocol.ContentRevoked
	m.Content = protocol.EncodeRevoked(revoker, now)
	m.IsPinned, m.PinnedBy, m.PinTime = false, "", 0 // nothing left to pin
	m.Reactions = nil                                // nor to react to
}

// editMessage replaces the text of one of the caller's text messages.
func (s *Server) editMessage(ctx context.Context, c caller, req *protocol.EditMessageReq) (*protocol.Message, error) {
	content, err := protocol.EncodeContent(&protocol.TextContent{Text: req.Text})
	if err != nil {
		return nil, err
	}
	now := s.nowMs()
	return s.changeMessage(ctx, c, req.ConversationID, req.ClientMsgID, func(m *protocol.Message) error {
		if m.SendID != c.UserID {
			return protocol.Errorf(protocol.CodePermissionDenied, "only the sender may edit a message")
		}
		if !protocol.Editable(m.ContentType) {
			return protocol.Errorf(protocol.CodeInvalidArgument, "a %q message cannot be edited", m.ContentType)
		}
		m.Content, m.EditTime = content, now
		return nil
	})
}

// pullChanges returns a conversation's messages changed after a version,
// to a caller who may read it, from the seq they may read on.
func (s *Server) pullChanges(ctx context.Context, c caller, req *protocol.PullChangesReq) (*protocol.PullChangesResp, error) {
	if req.AfterVersion < 0 || req.Limit < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "negative afterVersion or limit")
	}
	ra, err := s.readAccess(ctx, c.UserID, req.ConversationID)
	if err != nil {
		return nil, err
	}
	minSeq := ra.minSeq
	limit := req.Limit
	if limit == 0 {
		limit = defaultPullLimit
	}
	limit = min(limit, s.cfg.MaxPullPage)
	msgs, err := s.store.ChangedMessages(ctx, req.ConversationID, req.AfterVersion, minSeq, limit+1)
	if err != nil {
		return nil, err
	}
	resp := &protocol.PullChangesResp{Messages: []protocol.Message{}}
	if len(msgs) > limit {
		msgs, resp.HasMore = msgs[:limit], true
	}
	budget := maxPullBytes
	for i := range msgs {
		s.deliverable(&msgs[i])
		if budget -= len(msgs[i].Content); budget < 0 && i > 0 {
			// The rest in the next page: the client asks again after the
			// last Version it got.
			msgs, resp.HasMore = msgs[:i], true
			break
		}
	}
	if err := s.maskDeleted(ctx, c.UserID, ra.deleteVersion, msgs); err != nil {
		return nil, err
	}
	resp.Messages = append(resp.Messages, msgs...)
	return resp, nil
}

// clearConversation clears a conversation for the caller alone: its MinSeq
// moves past its MaxSeq, so pulls, sync and the caller's other devices
// (push.conversation) no longer give them its messages so far.
func (s *Server) clearConversation(ctx context.Context, c caller, req *protocol.ConversationIDReq) (*protocol.ConversationState, error) {
	upTo := int64(0) // the conversation's MaxSeq
	return s.updateConversation(ctx, c, req.ConversationID, store.ConversationChange{ClearSeq: &upTo})
}

// hideConversation takes a conversation off the caller's list until its
// next message (HiddenUntilSeq); their other devices follow by push and
// sync.
func (s *Server) hideConversation(ctx context.Context, c caller, req *protocol.ConversationIDReq) (*protocol.ConversationState, error) {
	return s.updateConversation(ctx, c, req.ConversationID, store.ConversationChange{Hide: true})
}

// deleteConversation hides a conversation and clears it for the caller,
// in one change: off the list and empty until its next message.
func (s *Server) deleteConversation(ctx context.Context, c caller, req *protocol.ConversationIDReq) (*protocol.ConversationState, error) {
	upTo := int64(0) // the conversation's MaxSeq
	return s.updateConversation(ctx, c, req.ConversationID, store.ConversationChange{Hide: true, ClearSeq: &upTo})
}

// maxPinnedMessages bounds a conversation's pinned messages.
const maxPinnedMessages = 100

// pinMessage pins or unpins a message for every member; any member may.
func (s *Server) pinMessage(ctx context.Context, c caller, req *protocol.PinMessageReq) (*protocol.Message, error) {
	if req.IsPinned {
		ra, err := s.readAccess(ctx, c.UserID, req.ConversationID)
		if err != nil {
			return nil, err
		}
		pinned, err := s.store.PinnedMessages(ctx, req.ConversationID, ra.minSeq, maxPinnedMessages+1)
		if err != nil {
			return nil, err
		}
		if len(pinned) >= maxPinnedMessages && !slices.ContainsFunc(pinned, func(m protocol.Message) bool { return m.ClientMsgID == req.ClientMsgID }) {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "a conversation holds at most %d pinned messages", maxPinnedMessages)
		}
	}
	now := s.nowMs()
	return s.changeMessage(ctx, c, req.ConversationID, req.ClientMsgID, func(m *protocol.Message) error {
		if m.ContentType == protocol.ContentRevoked && req.IsPinned {
			return protocol.Errorf(protocol.CodeInvalidArgument, "a revoked message cannot be pinned")
		}
		if m.IsPinned == req.IsPinned {
			return errUnchanged
		}
		m.IsPinned, m.PinnedBy, m.PinTime = req.IsPinned, c.UserID, now
		if !req.IsPinned {
			m.PinnedBy, m.PinTime = "", 0
		}
		return nil
	})
}

// pinnedMessages lists a conversation's pinned messages to a member.
func (s *Server) pinnedMessages(ctx context.Context, c caller, req *protocol.ConversationIDReq) (*protocol.MessagesResp, error) {
	ra, err := s.readAccess(ctx, c.UserID, req.ConversationID)
	if err != nil {
		return nil, err
	}
	msgs, err := s.store.PinnedMessages(ctx, req.ConversationID, ra.minSeq, maxPinnedMessages)
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		s.deliverable(&msgs[i])
	}
	if err := s.maskDeleted(ctx, c.UserID, ra.deleteVersion, msgs); err != nil {
		return nil, err
	}
	return &protocol.MessagesResp{Messages: append([]protocol.Message{}, msgs...)}, nil
}

// setMuted mutes or unmutes a conversation for the caller.
func (s *Server) setMuted(ctx context.Context, c caller, req *protocol.SetMutedReq) (*protocol.ConversationState, error) {
	return s.updateConversation(ctx, c, req.ConversationID, store.ConversationChange{IsMuted: &req.IsMuted})
}
