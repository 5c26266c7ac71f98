package server

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"parley/protocol"
	"parley/server/httpapi"
	"parley/server/store"
)

// Social limits; docs/limits.md lists them.
const (
	maxFriendMessageLen = 1024
	maxListedRequests   = 200
)

// handlerFunc answers one request of an authenticated caller.
type handlerFunc func(ctx context.Context, c caller, data json.RawMessage) (any, error)

// typed adapts a function with a typed request: decoding is done here,
// validation in f.
func typed[Req, Resp any](f func(ctx context.Context, c caller, req *Req) (Resp, error)) handlerFunc {
	return func(ctx context.Context, c caller, data json.RawMessage) (any, error) {
		var req Req
		if err := protocol.DecodeData(data, &req); err != nil {
			return nil, err
		}
		return f(ctx, c, &req)
	}
}

type empty struct{}

// newHandlers lists the request types besides send (which is asynchronous,
// see startSend).
func (s *Server) newHandlers() map[string]handlerFunc {
	hs := map[string]handlerFunc{
		protocol.ReqPing: typed(func(context.Context, caller, *empty) (protocol.Pong, error) {
			return protocol.Pong{ServerTime: s.nowMs()}, nil
		}),
		protocol.ReqSync:               typed(s.sync),
		protocol.ReqPull:               typed(s.pull),
		protocol.ReqMarkRead:           typed(s.markRead),
		protocol.ReqSetPinned:          typed(s.setPinned),
		protocol.ReqSetDraft:           typed(s.setDraft),
		protocol.ReqGetSelf:            typed(s.getSelf),
		protocol.ReqGetUsers:           typed(s.getUsers),
		protocol.ReqSetSelf:            typed(s.setSelf),
		protocol.ReqFindUser:           typed(s.findUser),
		protocol.ReqAddFriend:          typed(s.addFriend),
		protocol.ReqAcceptFriend:       typed(s.acceptFriend),
		protocol.ReqListFriends:        typed(s.listFriends),
		protocol.ReqListFriendRequests: typed(s.listFriendRequests),
		protocol.ReqCreateGroup:        typed(s.createGroup),
		protocol.ReqListGroups:         typed(s.listGroups),
		protocol.ReqGetGroupInfo:       typed(s.groupInfo),
		protocol.ReqGetGroupMembers:    typed(s.groupMembers),
		protocol.ReqKickGroupMember:    typed(s.kickGroupMember),
		protocol.ReqQuitGroup:          typed(s.quitGroup),
		// Group administration (groups.go).
		protocol.ReqGetGroupsInfo:          typed(s.groupsInfo),
		protocol.ReqSetGroupInfo:           typed(s.setGroupInfo),
		protocol.ReqSetGroupMemberRole:     typed(s.setGroupMemberRole),
		protocol.ReqTransferGroupOwner:     typed(s.transferGroupOwner),
		protocol.ReqDismissGroup:           typed(s.dismissGroup),
		protocol.ReqInviteToGroup:          typed(s.inviteToGroup),
		protocol.ReqJoinGroup:              typed(s.joinGroup),
		protocol.ReqGroupApplications:      typed(s.groupApplications),
		protocol.ReqAcceptGroupApplication: typed(s.acceptGroupApplication),
		protocol.ReqRefuseGroupApplication: typed(s.refuseGroupApplication),
		protocol.ReqMuteGroup:              typed(s.muteGroup),
		protocol.ReqMuteGroupMember:        typed(s.muteGroupMember),
		protocol.ReqSetGroupMemberNickname: typed(s.setGroupMemberNickname),
		protocol.ReqGroupMemberChanges:     typed(s.groupMemberChanges),
		protocol.ReqBlockUser:              typed(s.blockUser),
		protocol.ReqUnblockUser:            typed(s.unblockUser),

		// Changes to stored messages (changes.go).
		protocol.ReqRevokeMessage:      typed(s.revokeMessage),
		protocol.ReqEditMessage:        typed(s.editMessage),
		protocol.ReqPullChanges:        typed(s.pullChanges),
		protocol.ReqClearConversation:  typed(s.clearConversation),
		protocol.ReqDeleteMessage:      typed(s.deleteMessage),
		protocol.ReqPullDeletions:      typed(s.pullDeletions),
		protocol.ReqPinMessage:         typed(s.pinMessage),
		protocol.ReqPinnedMessages:     typed(s.pinnedMessages),
		protocol.ReqSetTyping:          typed(s.setTyping),
		protocol.ReqSetMuted:           typed(s.setMuted),
		protocol.ReqHideConversation:   typed(s.hideConversation),
		protocol.ReqDeleteConversation: typed(s.deleteConversation),
		protocol.ReqAddReaction: typed(func(ctx context.Context, c caller, r *protocol.ReactionReq) (*protocol.Message, error) {
			return s.react(ctx, c, r, true)
		}),
		protocol.ReqRemoveReaction: typed(func(ctx context.Context, c caller, r *protocol.ReactionReq) (*protocol.Message, error) {
			return s.react(ctx, c, r, false)
		}),
		protocol.ReqReadCounts: typed(s.readCountsOf),
		protocol.ReqReadInfo:   typed(s.readInfo),
		// The friend lifecycle (people.go).
		protocol.ReqRefuseFriend:    typed(s.refuseFriend),
		protocol.ReqDeleteFriend:    typed(s.deleteFriend),
		protocol.ReqSetFriendRemark: typed(s.setFriendRemark),
		protocol.ReqListBlocked:     typed(s.listBlocked),
		protocol.ReqChangedProfiles: typed(s.changedProfiles),
		protocol.ReqSearchUsers:     typed(s.searchUsers),
		protocol.ReqSocialVersion:   typed(s.socialVersion),
		protocol.ReqSocialChanges:   typed(s.socialChanges),
		// Presence (presence.go).
		protocol.ReqSubscribeStatus:   typed(s.subscribeStatus),
		protocol.ReqUnsubscribeStatus: typed(s.unsubscribeStatus),
	}
	for typ, h := range s.callHandlers() {
		hs[typ] = h
	}
	return hs
}

func (s *Server) profile(ctx context.Context, userID string) (*protocol.User, error) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "user %q not found", userID)
		}
		return nil, err
	}
	p := u.Profile()
	return &p, nil
}

func (s *Server) getSelf(ctx context.Context, c caller, _ *empty) (*protocol.User, error) {
	return s.profile(ctx, c.UserID)
}

// getUsers returns the profiles that exist, in request order; public
// profiles are visible to every signed-in user.
func (s *Server) getUsers(ctx context.Context, _ caller, req *protocol.GetUsersReq) (*protocol.UsersResp, error) {
	if len(req.UserIDs) > protocol.MaxGetUsers {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "at most %d userIDs", protocol.MaxGetUsers)
	}
	return s.usersInOrder(ctx, req.UserIDs)
}

// usersByID looks up the profiles of ids, those that exist, by ID.
func (s *Server) usersByID(ctx context.Context, ids []string) (map[string]protocol.User, error) {
	users, err := s.usersInOrder(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]protocol.User, len(users.Users))
	for _, u := range users.Users {
		byID[u.UserID] = u
	}
	return byID, nil
}

func (s *Server) usersInOrder(ctx context.Context, ids []string) (*protocol.UsersResp, error) {
	us, err := s.store.Users(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*store.User, len(us))
	for _, u := range us {
		byID[u.UserID] = u
	}
	resp := &protocol.UsersResp{Users: []protocol.User{}}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if u := byID[id]; u != nil && !seen[id] {
			seen[id] = true
			resp.Users = append(resp.Users, u.Profile())
		}
	}
	return resp, nil
}

func (s *Server) setSelf(ctx context.Context, c caller, req *protocol.SetSelfReq) (*protocol.User, error) {
	if req.Nickname != nil {
		n := strings.TrimSpace(*req.Nickname)
		if n == "" {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "nickname cannot be empty")
		}
		if err := httpapi.CheckNickname(n); err != nil {
			return nil, err
		}
		req.Nickname = &n
	}
	if req.FaceURL != nil {
		if err := httpapi.CheckFaceURL(*req.FaceURL); err != nil {
			return nil, err
		}
	}
	if req.Ex != nil && (len(*req.Ex) > protocol.MaxExLen || !utf8.ValidString(*req.Ex)) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "ex must be valid UTF-8 of at most %d bytes", protocol.MaxExLen)
	}
	if req.Searchable != nil {
		if err := s.store.SetSearchable(ctx, c.UserID, *req.Searchable); err != nil {
			return nil, err
		}
	}
	u, err := s.store.UpdateUserProfile(ctx, c.UserID, store.ProfileChange{Nickname: req.Nickname, FaceURL: req.FaceURL, Ex: req.Ex})
	if err != nil {
		return nil, err
	}
	p := u.Profile()
	if err := s.pushProfile(ctx, p); err != nil {
		return nil, err
	}
	return &p, nil
}

func (s *Server) findUser(ctx context.Context, _ caller, req *protocol.FindUserReq) (*protocol.User, error) {
	name := strings.ToLower(strings.TrimSpace(req.Username))
	if !httpapi.ValidUsername(name) {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no user %q", req.Username)
	}
	u, err := s.store.UserByUsername(ctx, name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "no user %q", req.Username)
		}
		return nil, err
	}
	p := u.Profile()
	return &p, nil
}

// addFriend sends a friend request, or accepts the target's pending
// request to the caller.
func (s *Server) addFriend(ctx context.Context, c caller, req *protocol.AddFriendReq) (*empty, error) {
	if !protocol.ValidID(req.UserID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if req.UserID == c.UserID {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "cannot befriend yourself")
	}
	if len(req.Message) > maxFriendMessageLen || !utf8.ValidString(req.Message) || !httpapi.Displayable(req.Message, true) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "message must be valid UTF-8 of at most %d bytes, without control or bidirectional formatting characters", maxFriendMessageLen)
	}
	target, err := s.profile(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	if blocked, err := s.blockedBy(ctx, req.UserID, c.UserID); err != nil {
		return nil, err
	} else if blocked {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "this user does not accept your requests")
	}
	if ok, err := s.store.AreFriends(ctx, c.UserID, req.UserID); err != nil {
		return nil, err
	} else if ok {
		return nil, protocol.Errorf(protocol.CodeAlreadyExists, "already friends")
	}
	if theirs, err := s.store.FriendRequest(ctx, req.UserID, c.UserID); err == nil && theirs.State == protocol.FriendRequestPending {
		return s.acceptFriend(ctx, c, &protocol.UserIDReq{UserID: req.UserID})
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// Asking again while the request is pending (a retry, a second click)
	// succeeds and changes nothing: the target is told once.
	if mine, err := s.store.FriendRequest(ctx, c.UserID, req.UserID); err == nil && mine.State == protocol.FriendRequestPending {
		return &empty{}, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	now := s.nowMs()
	fr := store.FriendRequest{FromUserID: c.UserID, ToUserID: target.UserID, Message: req.Message, State: protocol.FriendRequestPending, CreateTime: now}
	if err := s.store.PutFriendRequest(ctx, fr); err != nil {
		if errors.Is(err, store.ErrExists) {
			err = protocol.Errorf(protocol.CodeAlreadyExists, "already friends")
		}
		return nil, err
	}
	if err := s.socialChanged(ctx, c.UserID, target.UserID, true); err != nil {
		return nil, err
	}
	me, err := s.profile(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	s.pushFriendRequest(ctx, fr, me)
	return &empty{}, nil
}

// acceptFriend accepts req.UserID's pending request and tells both sides
// (every connection, the caller's included).
func (s *Server) acceptFriend(ctx context.Context, c caller, req *protocol.UserIDReq) (*empty, error) {
	if !protocol.ValidID(req.UserID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if err := s.store.AcceptFriendRequest(ctx, req.UserID, c.UserID, s.nowMs()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "no pending friend request from %q", req.UserID)
		}
		return nil, err
	}
	if err := s.socialChanged(ctx, c.UserID, req.UserID, true); err != nil {
		return nil, err
	}
	them, err := s.profile(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	me, err := s.profile(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	// Both sides' request lists learn the accepted state (a crossed
	// request of the caller's was settled too).
	for _, pair := range [][2]string{{req.UserID, c.UserID}, {c.UserID, req.UserID}} {
		r, err := s.store.FriendRequest(ctx, pair[0], pair[1])
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		from := them
		if pair[0] == c.UserID {
			from = me
		}
		s.pushFriendRequest(ctx, *r, from)
	}
	s.pushTo(ctx, protocol.PushFriendAdded, them, "", c.UserID)
	s.pushTo(ctx, protocol.PushFriendAdded, me, "", req.UserID)
	s.webhooks.send(ctx, EventFriendAdded, FriendAddedData{UserID: c.UserID, FriendUserID: req.UserID})
	return &empty{}, nil
}

// listFriends lists the caller's friends, each with the caller's remark.
func (s *Server) listFriends(ctx context.Context, c caller, _ *empty) (*protocol.UsersResp, error) {
	fs, err := s.store.Friends(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(fs))
	remarks := make(map[string]string, len(fs))
	for i, f := range fs {
		ids[i] = f.FriendUserID
		remarks[f.FriendUserID] = f.Remark
	}
	resp, err := s.usersInOrder(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range resp.Users {
		resp.Users[i].Remark = remarks[resp.Users[i].UserID]
	}
	return resp, nil
}

func (s *Server) listFriendRequests(ctx context.Context, c caller, _ *empty) (*protocol.FriendRequestsResp, error) {
	reqs, err := s.store.AllFriendRequests(ctx, c.UserID, maxListedRequests)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.FromUserID)
	}
	byID, err := s.usersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	resp := &protocol.FriendRequestsResp{Requests: []protocol.FriendRequest{}}
	for _, r := range reqs {
		fr := protocol.FriendRequest{FromUserID: r.FromUserID, ToUserID: r.ToUserID, Message: r.Message, State: r.State, CreateTime: r.CreateTime, HandleTime: r.HandleTime}
		if u, ok := byID[r.FromUserID]; ok {
			fr.FromUser = &u
		}
		resp.Requests = append(resp.Requests, fr)
	}
	return resp, nil
}

func (s *Server) createGroup(ctx context.Context, c caller, req *protocol.CreateGroupReq) (*protocol.Group, error) {
	name, err := httpapi.NewGroup(req.Name, req.FaceURL, req.MemberUserIDs, s.cfg.MaxGroupSize-1)
	if err != nil {
		return nil, err
	}
	g, err := s.store.CreateGroup(ctx, store.NewGroup{
		GroupID:       randomID("g", 10),
		Name:          name,
		FaceURL:       req.FaceURL,
		OwnerUserID:   c.UserID,
		MemberUserIDs: req.MemberUserIDs,
		CreateTime:    s.nowMs(),
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "a member does not exist")
		}
		return nil, err
	}
	members := slices.Compact(slices.Sorted(slices.Values(append([]string{c.UserID}, req.MemberUserIDs...))))
	s.pushTo(ctx, protocol.PushGroup, g, "", members...)
	s.webhooks.send(ctx, EventGroupChanged, GroupChangedData{Kind: "created", GroupID: g.GroupID, OperatorUserID: c.UserID, UserIDs: members, Group: g})
	mine := *g
	mine.MyRole = protocol.RoleOwner
	return &mine, nil
}

func (s *Server) listGroups(ctx context.Context, c caller, _ *empty) (*protocol.GroupsResp, error) {
	gs, err := s.store.UserGroups(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	if gs == nil {
		gs = []protocol.Group{}
	}
	return &protocol.GroupsResp{Groups: gs}, nil
}

// groupMember returns userID's membership of groupID. Non-members and
// missing groups get the same permission_denied, so that group IDs cannot
// be probed.
func (s *Server) groupMember(ctx context.Context, groupID, userID string) (*protocol.GroupMember, error) {
	m, err := s.store.GroupMember(ctx, groupID, userID)
	if errors.Is(err, store.ErrNotMember) {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "not a member of this group")
	}
	return m, err
}

// groupInfo returns one group to a member; non-members and missing groups
// get the same answer.
func (s *Server) groupInfo(ctx context.Context, c caller, req *protocol.GroupIDReq) (*protocol.Group, error) {
	if !protocol.ValidID(req.GroupID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
	}
	m, err := s.groupMember(ctx, req.GroupID, c.UserID)
	if err != nil {
		return nil, err
	}
	return s.groupFor(ctx, req.GroupID, m.Role)
}

// groupMembers answers a page of a group's members (Count 0: up to
// MaxGroupMembersPage).
func (s *Server) groupMembers(ctx context.Context, c caller, req *protocol.GroupMembersReq) (*protocol.GroupMembersResp, error) {
	if !protocol.ValidID(req.GroupID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
	}
	if req.Offset < 0 || req.Count < 0 || req.Count > protocol.MaxGroupMembersPage {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "offset must be >= 0 and count 0 to %d", protocol.MaxGroupMembersPage)
	}
	if _, err := s.groupMember(ctx, req.GroupID, c.UserID); err != nil {
		return nil, err
	}
	ms, err := s.store.GroupMembers(ctx, req.GroupID)
	if err != nil {
		return nil, err
	}
	count := req.Count
	if count == 0 {
		count = protocol.MaxGroupMembersPage
	}
	ms = ms[min(req.Offset, len(ms)):]
	ms = ms[:min(count, len(ms))]
	if ms == nil {
		ms = []protocol.GroupMember{}
	}
	return &protocol.GroupMembersResp{Members: ms}, nil
}
