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

// Group administration (contract §5). Who may do what follows one rule,
// protocol.CanActOn (owner > admin > member; nobody acts on someone at or
// above their role), plus the owner-only requests. Every change but a
// member nickname is also a notification message in the group's
// conversation (groupNotice), written through the committer like any
// message: it gets a seq, is pushed to the members' devices, and a device
// that was away gets it in its catch-up.

// Group limits the server enforces; docs/limits.md lists them.
const (
	// maxPendingApplications bounds one user's pending applications.
	maxPendingApplications = 50
	// maxApplicationsListed bounds group.applications.
	maxApplicationsListed = 200
)

// groupNoticeContent is the content of a group's notification message.
type groupNoticeContent struct {
	Kind           string   `json:"kind"`
	OperatorUserID string   `json:"operatorUserID"`
	UserIDs        []string `json:"userIDs,omitempty"`
	// Role is the new role (roleChanged).
	Role string `json:"role,omitempty"`
	// Reason is protocol.RemovedKicked or RemovedQuit (memberRemoved).
	Reason string `json:"reason,omitempty"`
	// MuteEndTime is when a member's mute ends (muted with UserIDs).
	MuteEndTime int64 `json:"muteEndTime,omitempty"`
	// Fields are the changed fields (infoChanged), Group the group after.
	Fields []string        `json:"fields,omitempty"`
	Group  *protocol.Group `json:"group,omitempty"`
}

// groupNotice stores a notification message in the group's conversation
// as sendID's (a member at the time: the commit checks it) and waits for
// its commit; operator "" means the server (admin routes).
func (s *Server) groupNotice(ctx context.Context, groupID, sendID string, n groupNoticeContent) error {
	content, err := json.Marshal(n)
	if err != nil {
		return err
	}
	now := s.nowMs()
	job := &sendJob{msg: store.NewMessage{
		ClientMsgID: randomID("n_", 12),
		ServerMsgID: serverMsgID(now),
		SendID:      sendID,
		GroupID:     groupID,
		ContentType: protocol.ContentNotification,
		Content:     content,
		SendTime:    now,
		CreateTime:  now,
	}, done: make(chan sendResult, 1)}
	if !s.commit.enqueue(job) {
		return protocol.Errorf(protocol.CodeUnavailable, "server is shutting down")
	}
	r := s.commit.wait(job)
	// removeMember tells the webhook itself, with the group after the removal.
	if r.err == nil && n.Kind != protocol.NotificationMemberRemoved {
		s.webhooks.send(ctx, EventGroupChanged, GroupChangedData{Kind: n.Kind, GroupID: groupID, OperatorUserID: n.OperatorUserID,
			UserIDs: n.UserIDs, Reason: n.Reason, Group: n.Group})
	}
	return r.err
}

// groupActor returns the caller's membership, refusing non-members and
// missing groups alike (permission_denied) and, when minRole is set,
// members below it.
func (s *Server) groupActor(ctx context.Context, groupID, userID, minRole string) (*protocol.GroupMember, error) {
	if !protocol.ValidID(groupID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
	}
	me, err := s.groupMember(ctx, groupID, userID)
	if err != nil {
		return nil, err
	}
	if protocol.GroupRank(me.Role) < protocol.GroupRank(minRole) {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "only the group's %s may do this", map[string]string{
			protocol.RoleOwner: "owner", protocol.RoleAdmin: "owner and admins"}[minRole])
	}
	return me, nil
}

// groupTarget returns another member of the group: invalid_argument for
// the caller themselves, not_found for a non-member.
func (s *Server) groupTarget(ctx context.Context, groupID, self, userID string, allowSelf bool) (*protocol.GroupMember, error) {
	if !protocol.ValidID(userID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if userID == self && !allowSelf {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "cannot do this to yourself")
	}
	m, err := s.store.GroupMember(ctx, groupID, userID)
	if errors.Is(err, store.ErrNotMember) {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such member")
	}
	return m, err
}

// groupFor returns a group as seen by a member with role.
func (s *Server) groupFor(ctx context.Context, groupID, role string) (*protocol.Group, error) {
	g, err := s.store.Group(ctx, groupID)
	if err != nil {
		return nil, err
	}
	g.MyRole = role
	return g, nil
}

func (s *Server) groupsInfo(ctx context.Context, c caller, req *protocol.GroupIDsReq) (*protocol.GroupsResp, error) {
	if len(req.GroupIDs) > protocol.MaxGroupsInfo {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "at most %d groupIDs", protocol.MaxGroupsInfo)
	}
	resp := &protocol.GroupsResp{Groups: []protocol.Group{}}
	for _, id := range slices.Compact(slices.Sorted(slices.Values(req.GroupIDs))) {
		if !protocol.ValidID(id) {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
		}
		// Groups the caller is not in are left out, as missing ones are.
		m, err := s.store.GroupMember(ctx, id, c.UserID)
		if errors.Is(err, store.ErrNotMember) {
			continue
		}
		if err != nil {
			return nil, err
		}
		g, err := s.groupFor(ctx, id, m.Role)
		if err != nil {
			return nil, err
		}
		resp.Groups = append(resp.Groups, *g)
	}
	return resp, nil
}

// checkGroupText checks an introduction or notification.
func checkGroupText(what, v string) error {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > protocol.MaxGroupText {
		return protocol.Errorf(protocol.CodeInvalidArgument, "%s must be valid UTF-8 of at most %d characters", what, protocol.MaxGroupText)
	}
	if !httpapi.Displayable(v, true) {
		return protocol.Errorf(protocol.CodeInvalidArgument, "%s must not contain control or bidirectional formatting characters", what)
	}
	return nil
}

// checkGroupInfo checks a SetGroupInfoReq and lists its fields.
func checkGroupInfo(req *protocol.SetGroupInfoReq) ([]string, error) {
	var fields []string
	if req.Name != nil {
		name, err := httpapi.NewGroup(*req.Name, "", nil, 0)
		if err != nil {
			return nil, err
		}
		req.Name = &name
		fields = append(fields, "name")
	}
	if req.FaceURL != nil {
		if err := httpapi.CheckFaceURL(*req.FaceURL); err != nil {
			return nil, err
		}
		fields = append(fields, "faceURL")
	}
	if req.Introduction != nil {
		if err := checkGroupText("introduction", *req.Introduction); err != nil {
			return nil, err
		}
		fields = append(fields, "introduction")
	}
	if req.Notification != nil {
		if err := checkGroupText("notification", *req.Notification); err != nil {
			return nil, err
		}
		fields = append(fields, "notification")
	}
	if req.JoinPolicy != nil {
		if !protocol.ValidJoinPolicy(*req.JoinPolicy) {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "joinPolicy must be open, approval or invite")
		}
		fields = append(fields, "joinPolicy")
	}
	if len(fields) == 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "nothing to change")
	}
	return fields, nil
}

func (s *Server) setGroupInfo(ctx context.Context, c caller, req *protocol.SetGroupInfoReq) (*protocol.Group, error) {
	me, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleAdmin)
	if err != nil {
		return nil, err
	}
	return s.changeGroupInfo(ctx, req, c.UserID, c.UserID, me.Role)
}

// changeGroupInfo applies a checked-by-role SetGroupInfoReq as operator
// (the notification goes out as sendID's).
func (s *Server) changeGroupInfo(ctx context.Context, req *protocol.SetGroupInfoReq, operator, sendID, role string) (*protocol.Group, error) {
	fields, err := checkGroupInfo(req)
	if err != nil {
		return nil, err
	}
	g, err := s.store.UpdateGroup(ctx, req.GroupID, store.GroupUpdate{Name: req.Name, FaceURL: req.FaceURL,
		Introduction: req.Introduction, Notification: req.Notification, JoinPolicy: req.JoinPolicy})
	if err != nil {
		return nil, err
	}
	if err := s.groupNotice(ctx, req.GroupID, sendID, groupNoticeContent{Kind: protocol.NotificationInfoChanged,
		OperatorUserID: operator, Fields: fields, Group: g}); err != nil {
		return nil, err
	}
	g.MyRole = role
	return g, nil
}

func (s *Server) setGroupMemberRole(ctx context.Context, c caller, req *protocol.GroupMemberRoleReq) (*empty, error) {
	if _, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleOwner); err != nil {
		return nil, err
	}
	if req.Role != protocol.RoleAdmin && req.Role != protocol.RoleMember {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "role must be admin or member (transfer the group to change its owner)")
	}
	target, err := s.groupTarget(ctx, req.GroupID, c.UserID, req.UserID, false)
	if err != nil {
		return nil, err
	}
	if target.Role == req.Role {
		return &empty{}, nil
	}
	if err := s.store.SetGroupMemberRole(ctx, req.GroupID, req.UserID, req.Role); err != nil {
		return nil, err
	}
	if target.Role == protocol.RoleMember {
		s.pushPendingApplications(ctx, req.GroupID, req.UserID)
	}
	return &empty{}, s.groupNotice(ctx, req.GroupID, c.UserID, groupNoticeContent{Kind: protocol.NotificationRoleChanged,
		OperatorUserID: c.UserID, UserIDs: []string{req.UserID}, Role: req.Role})
}

func (s *Server) transferGroupOwner(ctx context.Context, c caller, req *protocol.TransferGroupOwnerReq) (*empty, error) {
	if _, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleOwner); err != nil {
		return nil, err
	}
	return &empty{}, s.transferOwner(ctx, req, c.UserID, c.UserID)
}

// transferOwner hands the group over; the caller checked who asks.
func (s *Server) transferOwner(ctx context.Context, req *protocol.TransferGroupOwnerReq, operator, from string) error {
	target, err := s.groupTarget(ctx, req.GroupID, from, req.NewOwnerUserID, false)
	if err != nil {
		return err
	}
	if _, err := s.store.UpdateGroup(ctx, req.GroupID, store.GroupUpdate{OwnerUserID: &req.NewOwnerUserID}); err != nil {
		if errors.Is(err, store.ErrNotMember) {
			err = protocol.Errorf(protocol.CodeNotFound, "no such member")
		}
		return err
	}
	if target.Role == protocol.RoleMember {
		s.pushPendingApplications(ctx, req.GroupID, req.NewOwnerUserID)
	}
	return s.groupNotice(ctx, req.GroupID, req.NewOwnerUserID, groupNoticeContent{Kind: protocol.NotificationOwnerTransferred,
		OperatorUserID: operator, UserIDs: []string{req.NewOwnerUserID}})
}

// pushPendingApplications sends the group's pending applications to a
// member just made admin or owner, whose connected devices would otherwise
// learn them only at their next catch-up (the store logged them as social
// changes for the devices that are away). A failed read is logged, not
// answered: the promotion is done and the log has them.
func (s *Server) pushPendingApplications(ctx context.Context, groupID, userID string) {
	as, err := s.store.GroupPendingApplications(ctx, groupID, store.PromotionApplicationsLogged)
	if err != nil {
		s.log.Error("pending applications for a new decider", "group", groupID, "err", err)
		return
	}
	for _, a := range as {
		s.pushTo(ctx, protocol.PushGroupApplication, a, "", userID)
	}
}

func (s *Server) dismissGroup(ctx context.Context, c caller, req *protocol.GroupIDReq) (*empty, error) {
	if _, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleOwner); err != nil {
		return nil, err
	}
	return &empty{}, s.dismiss(ctx, req.GroupID, c.UserID, c.UserID)
}

// dismiss ends a group. Its notification goes first, so every member's
// timeline (the timeline they keep) ends with it.
func (s *Server) dismiss(ctx context.Context, groupID, operator, sendID string) error {
	if err := s.groupNotice(ctx, groupID, sendID, groupNoticeContent{Kind: protocol.NotificationDismissed, OperatorUserID: operator}); err != nil {
		return err
	}
	members, err := s.store.DismissGroup(ctx, groupID)
	if err != nil {
		return err
	}
	g, err := s.store.Group(ctx, groupID)
	if err != nil {
		return err
	}
	s.pushTo(ctx, protocol.PushGroup, g, "", members...)
	return nil
}

// addMembers adds users to the group (the caller checked who asks), pushes
// the group to the new members and writes memberAdded as sendID's.
func (s *Server) addMembers(ctx context.Context, groupID string, userIDs []string, operator, sendID string) error {
	g, err := s.store.Group(ctx, groupID)
	if err != nil {
		return err
	}
	if g.MemberCount+len(userIDs) > s.cfg.MaxGroupSize {
		return protocol.Errorf(protocol.CodeInvalidArgument, "a group has at most %d members", s.cfg.MaxGroupSize)
	}
	added, err := s.store.AddGroupMembers(ctx, groupID, userIDs, s.nowMs())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "no such user or group")
		}
		return err
	}
	if len(added) == 0 {
		return nil
	}
	if g, err = s.groupFor(ctx, groupID, protocol.RoleMember); err != nil {
		return err
	}
	s.pushTo(ctx, protocol.PushGroup, g, "", added...)
	if sendID == "" {
		sendID = added[0]
	}
	return s.groupNotice(ctx, groupID, sendID, groupNoticeContent{Kind: protocol.NotificationMemberAdded, OperatorUserID: operator, UserIDs: added})
}

// mayEnter refuses a user banned from the group or, with from set, one
// who blocked from (contract: a blocked inviter cannot invite).
func (s *Server) mayEnter(ctx context.Context, groupID, userID, from string) error {
	banned, err := s.store.GroupBanned(ctx, groupID, userID)
	if err != nil {
		return err
	}
	if banned {
		return protocol.Errorf(protocol.CodePermissionDenied, "this user is banned from the group")
	}
	if from != "" {
		blocked, err := s.blockedBy(ctx, userID, from)
		if err != nil {
			return err
		}
		if blocked {
			return protocol.Errorf(protocol.CodePermissionDenied, "this user does not accept your invitations")
		}
	}
	return nil
}

func (s *Server) inviteToGroup(ctx context.Context, c caller, req *protocol.GroupUsersReq) (*empty, error) {
	me, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleMember)
	if err != nil {
		return nil, err
	}
	if len(req.UserIDs) == 0 || len(req.UserIDs) > protocol.MaxGroupInvite {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "userIDs must list 1 to %d users", protocol.MaxGroupInvite)
	}
	ids := slices.Compact(slices.Sorted(slices.Values(req.UserIDs)))
	for _, id := range ids {
		if !protocol.ValidID(id) {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
		}
	}
	g, err := s.store.Group(ctx, req.GroupID)
	if err != nil {
		return nil, err
	}
	if g.JoinPolicy != protocol.JoinPolicyOpen && protocol.GroupRank(me.Role) < protocol.GroupRank(protocol.RoleAdmin) {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "only the owner and admins may invite to this group")
	}
	for _, id := range ids {
		if err := s.mayEnter(ctx, req.GroupID, id, c.UserID); err != nil {
			return nil, err
		}
	}
	return &empty{}, s.addMembers(ctx, req.GroupID, ids, c.UserID, c.UserID)
}

func (s *Server) joinGroup(ctx context.Context, c caller, req *protocol.JoinGroupReq) (*protocol.JoinGroupResp, error) {
	if !protocol.ValidID(req.GroupID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
	}
	if !utf8.ValidString(req.Message) || utf8.RuneCountInString(req.Message) > protocol.MaxApplicationMessage || !httpapi.Displayable(req.Message, true) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "message must be at most %d displayable characters", protocol.MaxApplicationMessage)
	}
	g, err := s.store.Group(ctx, req.GroupID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && g.Dismissed) {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such group")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.store.GroupMember(ctx, req.GroupID, c.UserID); err == nil {
		return nil, protocol.Errorf(protocol.CodeAlreadyExists, "already a member")
	} else if !errors.Is(err, store.ErrNotMember) {
		return nil, err
	}
	if err := s.mayEnter(ctx, req.GroupID, c.UserID, ""); err != nil {
		return nil, err
	}
	switch g.JoinPolicy {
	case protocol.JoinPolicyOpen:
		return &protocol.JoinGroupResp{Joined: true}, s.addMembers(ctx, req.GroupID, []string{c.UserID}, c.UserID, c.UserID)
	case protocol.JoinPolicyInvite:
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "this group is by invitation only")
	}
	n, err := s.store.PendingApplications(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	if n >= maxPendingApplications {
		return nil, protocol.Errorf(protocol.CodeRateLimited, "at most %d pending applications", maxPendingApplications)
	}
	a := protocol.GroupApplication{GroupID: req.GroupID, UserID: c.UserID, Message: req.Message,
		State: protocol.ApplicationPending, CreateTime: s.nowMs()}
	if err := s.store.PutGroupApplication(ctx, a); err != nil {
		return nil, err
	}
	deciders, err := s.groupDeciders(ctx, req.GroupID)
	if err != nil {
		return nil, err
	}
	s.pushTo(ctx, protocol.PushGroupApplication, a, "", append(deciders, c.UserID)...)
	return &protocol.JoinGroupResp{Application: &a}, nil
}

// groupDeciders lists the owner and admins of a group.
func (s *Server) groupDeciders(ctx context.Context, groupID string) ([]string, error) {
	ms, err := s.store.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if protocol.GroupRank(m.Role) >= protocol.GroupRank(protocol.RoleAdmin) {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

func (s *Server) groupApplications(ctx context.Context, c caller, _ *empty) (*protocol.GroupApplicationsResp, error) {
	as, err := s.store.GroupApplications(ctx, c.UserID, maxApplicationsListed)
	if err != nil {
		return nil, err
	}
	return &protocol.GroupApplicationsResp{Applications: as}, nil
}

func (s *Server) acceptGroupApplication(ctx context.Context, c caller, req *protocol.GroupMemberReq) (*protocol.GroupApplication, error) {
	return s.decideApplication(ctx, c, req, protocol.ApplicationAccepted)
}

func (s *Server) refuseGroupApplication(ctx context.Context, c caller, req *protocol.GroupMemberReq) (*protocol.GroupApplication, error) {
	return s.decideApplication(ctx, c, req, protocol.ApplicationRefused)
}

// decideApplication answers the application as decided, so that the
// caller's device stores it with the answer.
func (s *Server) decideApplication(ctx context.Context, c caller, req *protocol.GroupMemberReq, state string) (*protocol.GroupApplication, error) {
	if _, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleAdmin); err != nil {
		return nil, err
	}
	if !protocol.ValidID(req.UserID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if state == protocol.ApplicationAccepted {
		if err := s.mayEnter(ctx, req.GroupID, req.UserID, ""); err != nil {
			return nil, err
		}
	}
	now := s.nowMs()
	if err := s.store.DecideGroupApplication(ctx, req.GroupID, req.UserID, state, now); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "no pending application")
		}
		return nil, err
	}
	a, err := s.store.GroupApplication(ctx, req.GroupID, req.UserID)
	if err != nil {
		return nil, err
	}
	deciders, err := s.groupDeciders(ctx, req.GroupID)
	if err != nil {
		return nil, err
	}
	s.pushTo(ctx, protocol.PushGroupApplication, a, "", append(deciders, req.UserID)...)
	if state == protocol.ApplicationAccepted {
		if err := s.addMembers(ctx, req.GroupID, []string{req.UserID}, c.UserID, c.UserID); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (s *Server) muteGroup(ctx context.Context, c caller, req *protocol.MuteGroupReq) (*empty, error) {
	if _, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleAdmin); err != nil {
		return nil, err
	}
	g, err := s.store.Group(ctx, req.GroupID)
	if err != nil {
		return nil, err
	}
	if g.IsMuted == req.IsMuted {
		return &empty{}, nil
	}
	if _, err := s.store.UpdateGroup(ctx, req.GroupID, store.GroupUpdate{IsMuted: &req.IsMuted}); err != nil {
		return nil, err
	}
	kind := protocol.NotificationUnmuted
	if req.IsMuted {
		kind = protocol.NotificationMuted
	}
	return &empty{}, s.groupNotice(ctx, req.GroupID, c.UserID, groupNoticeContent{Kind: kind, OperatorUserID: c.UserID})
}

func (s *Server) muteGroupMember(ctx context.Context, c caller, req *protocol.MuteGroupMemberReq) (*empty, error) {
	me, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if req.Seconds < 0 || req.Seconds > protocol.MaxMuteSeconds {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "seconds must be 0 to %d", protocol.MaxMuteSeconds)
	}
	target, err := s.groupTarget(ctx, req.GroupID, c.UserID, req.UserID, false)
	if err != nil {
		return nil, err
	}
	if !protocol.CanActOn(me.Role, target.Role) {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "cannot mute a member at or above your role")
	}
	var end int64
	kind := protocol.NotificationUnmuted
	if req.Seconds > 0 {
		end, kind = s.nowMs()+req.Seconds*1000, protocol.NotificationMuted
	}
	if err := s.store.SetGroupMemberMute(ctx, req.GroupID, req.UserID, end); err != nil {
		return nil, err
	}
	return &empty{}, s.groupNotice(ctx, req.GroupID, c.UserID, groupNoticeContent{Kind: kind, OperatorUserID: c.UserID,
		UserIDs: []string{req.UserID}, MuteEndTime: end})
}

// setGroupMemberNickname changes a nickname without a notification
// (contract §10): the members' online devices get push.groupMember.
func (s *Server) setGroupMemberNickname(ctx context.Context, c caller, req *protocol.GroupMemberNicknameReq) (*empty, error) {
	me, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleMember)
	if err != nil {
		return nil, err
	}
	target, err := s.groupTarget(ctx, req.GroupID, c.UserID, req.UserID, true)
	if err != nil {
		return nil, err
	}
	if target.UserID != c.UserID && !protocol.CanActOn(me.Role, target.Role) {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "cannot rename a member at or above your role")
	}
	nick := strings.TrimSpace(req.Nickname)
	if err := httpapi.CheckNickname(nick); err != nil {
		return nil, err
	}
	if err := s.store.SetGroupMemberNickname(ctx, req.GroupID, req.UserID, nick); err != nil {
		return nil, err
	}
	target.Nickname = nick
	ms, err := s.store.GroupMembers(ctx, req.GroupID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	s.pushTo(ctx, protocol.PushGroupMember, target, "", ids...)
	return &empty{}, nil
}

// checkGroupMute refuses a send from a muted member (owner and admins are
// never muted).
func (s *Server) checkGroupMute(ctx context.Context, groupID, from string) error {
	muted, err := s.store.GroupSendMuted(ctx, groupID, from, s.nowMs())
	if err != nil {
		return err
	}
	if muted {
		return protocol.Errorf(protocol.CodePermissionDenied, "you are muted in this group")
	}
	return nil
}

// groupMemberChanges answers group.memberChanges to a member: the group's
// logged member changes after Since, each member named once with its row
// as it is now (one read of log and rows), a member no longer in the
// group as removed, so that removals need no tombstones.
func (s *Server) groupMemberChanges(ctx context.Context, c caller, req *protocol.GroupMemberChangesReq) (*protocol.GroupMemberChangesResp, error) {
	if req.Since < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "since must not be negative")
	}
	if _, err := s.groupActor(ctx, req.GroupID, c.UserID, protocol.RoleMember); err != nil {
		return nil, err
	}
	g, err := s.store.Group(ctx, req.GroupID)
	if err != nil {
		return nil, err
	}
	resp := &protocol.GroupMemberChangesResp{Version: g.MemberVersion}
	if req.Since >= g.MemberVersion {
		// Nothing new, or a version this server never gave.
		resp.TooOld = req.Since > g.MemberVersion
		return resp, nil
	}
	chs, err := s.store.GroupMemberChanges(ctx, req.GroupID, req.Since, protocol.MaxGroupMemberChanges+1)
	if err != nil {
		return nil, err
	}
	if len(chs) == 0 || chs[0].Version != req.Since+1 {
		resp.TooOld = true // pruned, or before the log (version 0)
		return resp, nil
	}
	if len(chs) > protocol.MaxGroupMemberChanges {
		chs, resp.HasMore = chs[:protocol.MaxGroupMemberChanges], true
	}
	// The rows were read after the group: the last change read is the
	// version they are as of.
	resp.Version = chs[len(chs)-1].Version
	seen := make(map[string]bool, len(chs))
	for _, ch := range slices.Backward(chs) {
		if seen[ch.UserID] {
			continue
		}
		seen[ch.UserID] = true
		if ch.Member != nil {
			resp.Members = append(resp.Members, *ch.Member)
		} else {
			resp.RemovedUserIDs = append(resp.RemovedUserIDs, ch.UserID)
		}
	}
	slices.Reverse(resp.Members)
	slices.Reverse(resp.RemovedUserIDs)
	return resp, nil
}
