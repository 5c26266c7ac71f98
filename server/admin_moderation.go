package server

import (
	"cmp"
	"net/http"

	"parley/protocol"
	"parley/server/httpapi"
	"parley/server/store"
)

// The admin API's listings for moderation (an app's backend, with the
// admin secret): users, conversations and messages, searched and paged.

// AdminUsersResp answers GET /api/v1/admin/users.
type AdminUsersResp struct {
	Users      []AdminUser `json:"users"`
	TotalCount int         `json:"totalCount"`
}

// AdminUser is a user as the admin API lists it.
type AdminUser struct {
	protocol.User
	CreateTime int64 `json:"createTime"`
}

// AdminConversationsResp answers GET /api/v1/admin/conversations.
type AdminConversationsResp struct {
	Conversations []store.ConversationInfo `json:"conversations"`
	TotalCount    int                      `json:"totalCount"`
}

// AdminMessagesResp answers GET /api/v1/admin/messages.
type AdminMessagesResp struct {
	Messages   []protocol.Message `json:"messages"`
	TotalCount int                `json:"totalCount"`
}

func (s *Server) handleAdminListUsers(w http.ResponseWriter, r *http.Request) {
	q, err := httpapi.ParseAdminQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, err)
		return
	}
	us, total, err := s.store.ListUsersForAdmin(r.Context(), q.Keyword, q.Offset, q.Count)
	if err != nil {
		s.writeError(w, err)
		return
	}
	resp := AdminUsersResp{Users: []AdminUser{}, TotalCount: total}
	for _, u := range us {
		resp.Users = append(resp.Users, AdminUser{User: u.Profile(), CreateTime: u.CreateTime})
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleAdminListConversations(w http.ResponseWriter, r *http.Request) {
	q, err := httpapi.ParseAdminQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, err)
		return
	}
	cs, total, err := s.store.SearchConversations(r.Context(), q.Keyword, q.Offset, q.Count)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if cs == nil {
		cs = []store.ConversationInfo{}
	}
	writeJSON(w, http.StatusOK, AdminConversationsResp{Conversations: cs, TotalCount: total})
}

func (s *Server) handleAdminListMessages(w http.ResponseWriter, r *http.Request) {
	q, err := httpapi.ParseAdminQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, err)
		return
	}
	ms, total, err := s.store.SearchMessages(r.Context(), store.MessageQuery{
		ConversationID: q.ConversationID, SendID: q.SendID, Keyword: q.Keyword, Offset: q.Offset, Limit: q.Count,
	})
	if err != nil {
		s.writeError(w, err)
		return
	}
	if ms == nil {
		ms = []protocol.Message{}
	}
	writeJSON(w, http.StatusOK, AdminMessagesResp{Messages: ms, TotalCount: total})
}

// AdminRevokeMessageReq is POST /api/v1/admin/messages/revoke.
type AdminRevokeMessageReq = httpapi.AdminRevokeMessageReq

// handleAdminRevokeMessage deletes a message for everyone, whoever sent it
// and however old: the same change as a revoke (revokeMessage), so every
// member's devices converge on it live or at their next sync. Revoking a
// revoked message answers it unchanged.
func (s *Server) handleAdminRevokeMessage(w http.ResponseWriter, r *http.Request) {
	var req AdminRevokeMessageReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	if err := httpapi.AdminRevokeMessage(&req); err != nil {
		s.writeError(w, err)
		return
	}
	now := s.nowMs()
	m, err := s.applyChange(r.Context(), caller{}, req.ConversationID, req.ClientMsgID, 0, func(m *protocol.Message) error {
		if m.ContentType == protocol.ContentRevoked {
			return errUnchanged
		}
		revoke(m, cmp.Or(req.OperatorUserID, m.SendID), now)
		return nil
	})
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
