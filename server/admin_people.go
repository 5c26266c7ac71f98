package server

import (
	"errors"
	"net/http"

	"parley/protocol"
	"parley/server/bus"
	"parley/server/store"
)

// Admin routes for an app's backend (contract §5): change a user's profile
// and end a user's sessions.

// AdminUpdateUserReq is POST /api/v1/admin/users/update: the fields that
// are set change, as user.setSelf would change them.
type AdminUpdateUserReq struct {
	UserID     string  `json:"userID"`
	Nickname   *string `json:"nickname,omitempty"`
	FaceURL    *string `json:"faceURL,omitempty"`
	Ex         *string `json:"ex,omitempty"`
	Searchable *bool   `json:"searchable,omitempty"`
}

// AdminUserIDReq names one user: POST /api/v1/admin/users/revoke.
type AdminUserIDReq struct {
	UserID string `json:"userID"`
}

// handleAdminUpdateUser changes a profile with user.setSelf's checks and
// pushes (the user's devices, friends, fellow members).
func (s *Server) handleAdminUpdateUser(w http.ResponseWriter, r *http.Request) {
	var req AdminUpdateUserReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if !protocol.ValidID(req.UserID) {
		s.writeError(w, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID"))
		return
	}
	if _, err := s.profile(r.Context(), req.UserID); err != nil {
		s.writeError(w, err)
		return
	}
	u, err := s.setSelf(r.Context(), caller{UserID: req.UserID}, &protocol.SetSelfReq{
		Nickname: req.Nickname, FaceURL: req.FaceURL, Ex: req.Ex, Searchable: req.Searchable,
	})
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// handleAdminRevokeUser invalidates every token of the user and closes
// their connections on every node, as their own revoke-all would.
func (s *Server) handleAdminRevokeUser(w http.ResponseWriter, r *http.Request) {
	var req AdminUserIDReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if !protocol.ValidID(req.UserID) {
		s.writeError(w, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID"))
		return
	}
	if _, err := s.profile(r.Context(), req.UserID); err != nil {
		s.writeError(w, err)
		return
	}
	gen, err := s.store.BumpTokenGeneration(r.Context(), req.UserID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	s.publish(r.Context(), bus.Event{
		UserIDs: []string{req.UserID}, Type: protocol.PushKicked, Frame: s.kickedFrame("token_revoked"),
		Kick: &bus.Kick{BelowGeneration: gen},
	})
	w.WriteHeader(http.StatusNoContent)
}

// errDisabled answers a disabled user's sign-in and every use of their
// tokens.
var errDisabled = protocol.Errorf(protocol.CodePermissionDenied, "this account is disabled")

// AdminDisableUserReq is POST /api/v1/admin/users/disable.
type AdminDisableUserReq struct {
	UserID   string `json:"userID"`
	Disabled bool   `json:"disabled"`
}

// handleAdminDisableUser disables (or enables) an account. Disabling ends
// every session at once, as users/revoke does; the account's tokens and
// sign-ins are refused until it is enabled again.
func (s *Server) handleAdminDisableUser(w http.ResponseWriter, r *http.Request) {
	var req AdminDisableUserReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if !protocol.ValidID(req.UserID) {
		s.writeError(w, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID"))
		return
	}
	if err := s.store.SetDisabled(r.Context(), req.UserID, req.Disabled); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "user %q not found", req.UserID)
		}
		s.writeError(w, err)
		return
	}
	if req.Disabled {
		gen, err := s.store.BumpTokenGeneration(r.Context(), req.UserID)
		if err != nil {
			s.writeError(w, err)
			return
		}
		s.publish(r.Context(), bus.Event{
			UserIDs: []string{req.UserID}, Type: protocol.PushKicked, Frame: s.kickedFrame("token_revoked"),
			Kick: &bus.Kick{BelowGeneration: gen},
		})
	}
	w.WriteHeader(http.StatusNoContent)
}

// AdminSendReq is POST /api/v1/admin/messages: a message sent as SendID,
// checked as that user's own send would be.
type AdminSendReq struct {
	SendID string `json:"sendID"`
	protocol.SendReq
}

// handleAdminSend stores a message as another user, through the committer
// like every send: the sender's devices and the recipients get it pushed,
// and a repeated clientMsgID (default: a fresh one) returns the original.
func (s *Server) handleAdminSend(w http.ResponseWriter, r *http.Request) {
	var req AdminSendReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if !protocol.ValidID(req.SendID) {
		s.writeError(w, protocol.Errorf(protocol.CodeInvalidArgument, "invalid sendID"))
		return
	}
	ctx := r.Context()
	if _, err := s.profile(ctx, req.SendID); err != nil {
		s.writeError(w, err)
		return
	}
	if req.ClientMsgID == "" {
		req.ClientMsgID = randomID("adm", 16)
	}
	nm, err := s.prepareSend(ctx, req.SendID, &req.SendReq)
	if err != nil {
		s.writeError(w, err)
		return
	}
	job := &sendJob{msg: nm, done: make(chan sendResult, 1)}
	if !s.commit.enqueue(job) {
		s.writeError(w, protocol.Errorf(protocol.CodeUnavailable, "server is shutting down"))
		return
	}
	res := s.commit.wait(job)
	if res.err != nil {
		s.writeError(w, res.err)
		return
	}
	m := &res.res.Message
	writeJSON(w, http.StatusOK, protocol.SendResp{ConversationID: m.ConversationID, ServerMsgID: m.ServerMsgID,
		Seq: m.Seq, SendTime: m.SendTime, Duplicate: res.res.Duplicate})
}
