package server

import (
	"context"
	"errors"

	"parley/protocol"
	"parley/server/store"
)

// Blocking users and removing group members.

// blockedBy reports whether owner blocks userID.
func (s *Server) blockedBy(ctx context.Context, owner, userID string) (bool, error) {
	if owner == userID {
		return false, nil
	}
	return s.store.Blocked(ctx, owner, userID)
}

func (s *Server) blockUser(ctx context.Context, c caller, req *protocol.UserIDReq) (*empty, error) {
	if err := s.checkBlockTarget(ctx, c, req); err != nil {
		return nil, err
	}
	if err := s.store.BlockUser(ctx, c.UserID, req.UserID, s.nowMs()); err != nil {
		return nil, err
	}
	return &empty{}, s.pushBlockChanged(ctx, c.UserID, req.UserID, true)
}

func (s *Server) unblockUser(ctx context.Context, c caller, req *protocol.UserIDReq) (*empty, error) {
	if err := s.checkBlockTarget(ctx, c, req); err != nil {
		return nil, err
	}
	if err := s.store.UnblockUser(ctx, c.UserID, req.UserID); err != nil {
		return nil, err
	}
	return &empty{}, s.pushBlockChanged(ctx, c.UserID, req.UserID, false)
}

func (s *Server) checkBlockTarget(ctx context.Context, c caller, req *protocol.UserIDReq) error {
	if !protocol.ValidID(req.UserID) {
		return protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if req.UserID == c.UserID {
		return protocol.Errorf(protocol.CodeInvalidArgument, "cannot block yourself")
	}
	_, err := s.profile(ctx, req.UserID)
	return err
}

// kickGroupMember removes a member: the owner may remove anyone but
// themselves, an admin only plain members. See removeMember for the pushes.
func (s *Server) kickGroupMember(ctx context.Context, c caller, req *protocol.GroupMemberReq) (*empty, error) {
	if !protocol.ValidID(req.GroupID) || !protocol.ValidID(req.UserID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID or userID")
	}
	// Non-members learn nothing, not even whether the group exists.
	me, err := s.groupMember(ctx, req.GroupID, c.UserID)
	if err != nil {
		return nil, err
	}
	if me.Role != protocol.RoleOwner && me.Role != protocol.RoleAdmin {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "only the owner or an admin may remove members")
	}
	if req.UserID == c.UserID {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "cannot remove yourself")
	}
	target, err := s.store.GroupMember(ctx, req.GroupID, req.UserID)
	if err != nil {
		if errors.Is(err, store.ErrNotMember) {
			err = protocol.Errorf(protocol.CodeNotFound, "no such member")
		}
		return nil, err
	}
	if target.Role == protocol.RoleOwner || (target.Role == protocol.RoleAdmin && me.Role != protocol.RoleOwner) {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "only the owner may remove an admin, and nobody the owner")
	}
	if err := s.removeMember(ctx, req.GroupID, req.UserID, c.UserID, protocol.RemovedKicked); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// quitGroup removes the caller from a group. The owner cannot leave (a
// group always has one): they transfer it first, or dismiss it.
func (s *Server) quitGroup(ctx context.Context, c caller, req *protocol.GroupIDReq) (*empty, error) {
	if !protocol.ValidID(req.GroupID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
	}
	me, err := s.groupMember(ctx, req.GroupID, c.UserID)
	if err != nil {
		return nil, err
	}
	if me.Role == protocol.RoleOwner {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "the owner cannot leave the group")
	}
	if err := s.removeMember(ctx, req.GroupID, c.UserID, c.UserID, protocol.RemovedQuit); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// removeMember removes userID from the group and pushes
// push.groupMemberRemoved, with the group's new member count, to the
// removed user's connections (so their devices stop treating the group as
// joined) and to every remaining member's. A device offline now learns of
// it from its next sync: the store marks the removed user's state Removed
// and stamps every member's state with a new GroupVersion.
//
// The memberRemoved notification is written first, as the operator's (a
// member until then), so the removed member's timeline ends with it too.
func (s *Server) removeMember(ctx context.Context, groupID, userID, operator, reason string) error {
	sendID := operator
	if sendID == "" {
		sendID = userID
	}
	if err := s.groupNotice(ctx, groupID, sendID, groupNoticeContent{Kind: protocol.NotificationMemberRemoved,
		OperatorUserID: operator, UserIDs: []string{userID}, Reason: reason}); err != nil {
		return err
	}
	if err := s.store.RemoveGroupMember(ctx, groupID, userID); err != nil {
		if errors.Is(err, store.ErrNotMember) {
			err = protocol.Errorf(protocol.CodeNotFound, "no such member")
		}
		return err
	}
	g, err := s.store.Group(ctx, groupID)
	if err != nil {
		return err
	}
	ms, err := s.store.GroupMembers(ctx, groupID)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(ms)+1)
	ids = append(ids, userID)
	for _, m := range ms {
		ids = append(ids, m.UserID)
	}
	s.pushTo(ctx, protocol.PushGroupMemberRemoved, protocol.GroupMemberRemoved{
		GroupID: groupID, UserID: userID, OperatorUserID: operator, Reason: reason, Group: *g,
	}, "", ids...)
	s.webhooks.send(ctx, EventGroupChanged, GroupChangedData{Kind: "memberRemoved", GroupID: groupID, OperatorUserID: operator, UserIDs: []string{userID}, Reason: reason, Group: g})
	return nil
}
