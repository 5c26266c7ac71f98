package server

import (
	"errors"
	"net/http"

	"parley/protocol"
	"parley/server/httpapi"
	"parley/server/store"
)

// AdminCreateGroupReq is POST /api/v1/admin/groups.
type AdminCreateGroupReq = httpapi.AdminCreateGroupReq

// AdminFriendsReq is POST /api/v1/admin/friends.
type AdminFriendsReq = httpapi.AdminFriendsReq

func (s *Server) handleAdminCreateGroup(w http.ResponseWriter, r *http.Request) {
	var req AdminCreateGroupReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if _, err := httpapi.AdminGroup(&req, s.cfg.MaxGroupSize-1); err != nil {
		s.writeError(w, err)
		return
	}
	g, err := s.createGroup(r.Context(), caller{UserID: req.OwnerUserID}, &protocol.CreateGroupReq{
		Name: req.Name, FaceURL: req.FaceURL, MemberUserIDs: req.MemberUserIDs,
	})
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) handleAdminFriends(w http.ResponseWriter, r *http.Request) {
	var req AdminFriendsReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if err := httpapi.AdminFriends(&req); err != nil {
		s.writeError(w, err)
		return
	}
	ctx := r.Context()
	for _, id := range []string{req.UserID, req.FriendUserID} {
		if _, err := s.profile(ctx, id); err != nil {
			s.writeError(w, err)
			return
		}
	}
	err := s.store.PutFriendRequest(ctx, store.FriendRequest{FromUserID: req.UserID, ToUserID: req.FriendUserID, CreateTime: s.nowMs()})
	if err == nil {
		_, err = s.acceptFriend(ctx, caller{UserID: req.FriendUserID}, &protocol.UserIDReq{UserID: req.UserID})
	}
	if err != nil {
		if errors.Is(err, store.ErrExists) {
			err = protocol.Errorf(protocol.CodeAlreadyExists, "already friends")
		}
		s.writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
