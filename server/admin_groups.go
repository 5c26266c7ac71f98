package server

import (
	"net/http"

	"parley/protocol"
)

// Admin routes for groups (contract §5): an app's backend changes a group
// with the checks a member's request gets, but not its role rules. The
// notifications they leave name no operator (the server did it) and go
// out as the owner's.

// AdminUpdateGroupReq is POST /api/v1/admin/groups/update: the fields
// that are set change; OwnerUserID hands the group to that member.
type AdminUpdateGroupReq struct {
	protocol.SetGroupInfoReq
	OwnerUserID *string `json:"ownerUserID,omitempty"`
}

// AdminGroupMembersReq is POST /api/v1/admin/groups/members/add and
// /remove.
type AdminGroupMembersReq = protocol.GroupUsersReq

// AdminGroupBanReq is POST /api/v1/admin/groups/ban: Banned removes the
// user (when a member) and keeps them out until a ban with Banned false.
type AdminGroupBanReq struct {
	GroupID string `json:"groupID"`
	UserID  string `json:"userID"`
	Banned  bool   `json:"banned"`
}

// adminGroupOwner returns the owner of a live group, not_found otherwise.
func (s *Server) adminGroupOwner(r *http.Request, groupID string) (string, error) {
	if !protocol.ValidID(groupID) {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
	}
	g, err := s.store.Group(r.Context(), groupID)
	if err != nil {
		return "", err
	}
	if g.Dismissed {
		return "", protocol.Errorf(protocol.CodeNotFound, "the group was dismissed")
	}
	return g.OwnerUserID, nil
}

func (s *Server) handleAdminUpdateGroup(w http.ResponseWriter, r *http.Request) {
	var req AdminUpdateGroupReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	ctx := r.Context()
	owner, err := s.adminGroupOwner(r, req.GroupID)
	if err == nil && req.OwnerUserID != nil && *req.OwnerUserID != owner {
		err = s.transferOwner(ctx, &protocol.TransferGroupOwnerReq{GroupID: req.GroupID, NewOwnerUserID: *req.OwnerUserID}, "", owner)
		owner = *req.OwnerUserID
	}
	info := req.SetGroupInfoReq
	if err == nil && (info.Name != nil || info.FaceURL != nil || info.Introduction != nil || info.Notification != nil || info.JoinPolicy != nil) {
		_, err = s.changeGroupInfo(ctx, &info, "", owner, "")
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	g, err := s.store.Group(ctx, req.GroupID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) handleAdminAddGroupMembers(w http.ResponseWriter, r *http.Request) {
	var req AdminGroupMembersReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	owner, err := s.adminGroupOwner(r, req.GroupID)
	if err == nil && (len(req.UserIDs) == 0 || len(req.UserIDs) > protocol.MaxGroupInvite) {
		err = protocol.Errorf(protocol.CodeInvalidArgument, "userIDs must list 1 to %d users", protocol.MaxGroupInvite)
	}
	for _, id := range req.UserIDs {
		if err == nil && !protocol.ValidID(id) {
			err = protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
		}
		if err == nil {
			err = s.mayEnter(r.Context(), req.GroupID, id, "")
		}
	}
	if err == nil {
		err = s.addMembers(r.Context(), req.GroupID, req.UserIDs, "", owner)
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleAdminRemoveGroupMembers(w http.ResponseWriter, r *http.Request) {
	var req AdminGroupMembersReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	owner, err := s.adminGroupOwner(r, req.GroupID)
	for _, id := range req.UserIDs {
		if err == nil {
			err = s.adminRemove(r, req.GroupID, owner, id)
		}
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// adminRemove removes one member (not the owner: the group would have
// none; transfer it first).
func (s *Server) adminRemove(r *http.Request, groupID, owner, userID string) error {
	if !protocol.ValidID(userID) {
		return protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if userID == owner {
		return protocol.Errorf(protocol.CodeInvalidArgument, "the owner cannot be removed; transfer the group first")
	}
	return s.removeMember(r.Context(), groupID, userID, owner, protocol.RemovedKicked)
}

func (s *Server) handleAdminBanGroupUser(w http.ResponseWriter, r *http.Request) {
	var req AdminGroupBanReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	ctx := r.Context()
	owner, err := s.adminGroupOwner(r, req.GroupID)
	if err == nil && !protocol.ValidID(req.UserID) {
		err = protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if err == nil && !req.Banned {
		err = s.store.UnbanGroupUser(ctx, req.GroupID, req.UserID)
	}
	if err == nil && req.Banned {
		if err = s.userExists(ctx, req.UserID); err == nil {
			err = s.store.BanGroupUser(ctx, req.GroupID, req.UserID, s.nowMs())
		}
		if _, merr := s.store.GroupMember(ctx, req.GroupID, req.UserID); err == nil && merr == nil {
			err = s.adminRemove(r, req.GroupID, owner, req.UserID)
		}
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
