package core

// The groups module.

import (
	"context"
	"errors"
	"slices"
	"sort"

	"parley/protocol"
)

// CreateGroup creates a group owned by the user with the given members.
func (c *Client) CreateGroup(ctx context.Context, name string, memberUserIDs []string) (Group, error) {
	s, err := c.session()
	if err != nil {
		return Group{}, err
	}
	if name == "" {
		return Group{}, errInvalid("group name is required")
	}
	var g protocol.Group
	if err := s.call(ctx, protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: name, MemberUserIDs: memberUserIDs}, &g); err != nil {
		return Group{}, err
	}
	res, err := s.apply(ctx, groupInput{Group: g, Quiet: true})
	if err != nil {
		return Group{}, withCode(err)
	}
	return storedGroup(res, g), nil
}

// JoinedGroupList returns the user's groups: from the server when
// connected (and stored; a stored group the server no longer lists is
// removed and announced with groupMemberRemoved), else the stored list.
func (c *Client) JoinedGroupList(ctx context.Context) ([]Group, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.liveWire() != nil {
		known, err := s.joinedGroups(ctx)
		if err != nil {
			return nil, withCode(err)
		}
		var resp protocol.GroupsResp
		if err := s.call(ctx, protocol.ReqListGroups, nil, &resp); err == nil {
			res, err := s.apply(ctx, groupListInput{List: resp.Groups, Known: known})
			if err != nil {
				return nil, withCode(err)
			}
			return res.Value.([]Group), nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	gs, err := s.store.Groups(ctx)
	return gs, withCode(err)
}

// GroupMembers lists a group's members: GroupMembersPage of all of them.
func (c *Client) GroupMembers(ctx context.Context, groupID string) ([]GroupMember, error) {
	return c.GroupMembersPage(ctx, groupID, 0, 0)
}

// GroupMemberRemoved: a member left a group of the user, or was removed
// from it. When UserID is the logged-in user, the group is gone from
// JoinedGroupList and its conversation is marked Removed (kept, with its
// messages; sending to it fails with permission_denied). For another
// member a GroupChanged with the new MemberCount comes with it.
type GroupMemberRemoved struct {
	GroupID string `json:"groupID"`
	UserID  string `json:"userID"`
	// OperatorUserID removed them (UserID itself when they left); "" when
	// the SDK learned it after being offline and the server no longer says.
	OperatorUserID string `json:"operatorUserID"`
	// Reason is "kicked", "quit", or "" when learned after being offline.
	Reason string `json:"reason"`
	// Group is the group after the removal; after being offline, the last
	// stored copy (or only GroupID).
	Group Group `json:"group"`
}

// EventName implements Event.
func (GroupMemberRemoved) EventName() string { return "groupMemberRemoved" }

// EventPayload implements Event: {groupID, userID, operatorUserID, reason, group}.
func (e GroupMemberRemoved) EventPayload() any { return e }

// KickGroupMember removes userID from a group: the owner may remove anyone
// else, an admin only plain members.
func (c *Client) KickGroupMember(ctx context.Context, groupID, userID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(groupID) || !protocol.ValidID(userID) {
		return errInvalid("invalid groupID or userID")
	}
	return s.call(ctx, protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: groupID, UserID: userID}, nil)
}

// QuitGroup makes the user leave a group (the owner cannot). The group
// leaves the joined list once the server's push.groupMemberRemoved is
// applied; QuitGroup applies it at once too, so that it is gone when the
// call returns.
func (c *Client) QuitGroup(ctx context.Context, groupID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(groupID) {
		return errInvalid("invalid groupID")
	}
	if err := s.call(ctx, protocol.ReqQuitGroup, protocol.GroupIDReq{GroupID: groupID}, nil); err != nil {
		return err
	}
	ev := GroupMemberRemoved{GroupID: groupID, UserID: s.userID, OperatorUserID: s.userID, Reason: protocol.RemovedQuit}
	_, err = s.apply(ctx, groupRemovedInput{Event: ev})
	return withCode(err)
}

// checkGroupSend refuses a send to a group the user is known to have left
// or been removed from, before anything is stored: the server would refuse
// it anyway, and offline it would wait for the connection first.
func (s *session) checkGroupSend(ctx context.Context, groupID string) error {
	cv, err := s.store.Conversation(ctx, protocol.GroupConversationID(groupID))
	if err == nil && cv.Removed {
		return &Error{Code: protocol.CodePermissionDenied, Message: "not a member of group " + groupID + " any more"}
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return withCode(err)
	}
	return nil
}

// groupSnapshot is what the store holds of groups before a list is asked
// for: joined are the stored groups and the groups of conversations not
// marked Removed; removed the groups of conversations marked Removed.
type groupSnapshot struct {
	joined, removed map[string]bool
}

func (g groupSnapshot) ids() []string {
	out := make([]string, 0, len(g.joined))
	for id := range g.joined {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// joinedGroups reads the groupSnapshot.
func (s *session) joinedGroups(ctx context.Context) (groupSnapshot, error) {
	gs, err := s.store.Groups(ctx)
	if err != nil {
		return groupSnapshot{}, err
	}
	convs, err := s.store.Conversations(ctx)
	if err != nil {
		return groupSnapshot{}, err
	}
	snap := groupSnapshot{joined: map[string]bool{}, removed: map[string]bool{}}
	for _, g := range gs {
		snap.joined[g.GroupID] = true
	}
	for _, cv := range convs {
		if cv.SessionType != protocol.SessionGroup || cv.GroupID == "" {
			continue
		}
		if cv.Removed {
			snap.removed[cv.GroupID] = true
		} else {
			snap.joined[cv.GroupID] = true
		}
	}
	return snap, nil
}

// groupFollowUp is what a catch-up's sync pages say about groups: the
// groups whose state came marked Removed (the user left or was removed
// while this device was away) and the groups whose membership changed
// since the catch-up's starting cursor (a stored member count is stale).
// Its size is that of what changed, not of the user's groups.
type groupFollowUp struct {
	Removed []string
	// Dismissed are the groups of Removed that were dismissed.
	Dismissed []string
	Refresh   []string
	// Notified are the groups whose notifications the catch-up folded
	// (stepResult.RefreshGroups): asked for again with their members, once
	// each, after it.
	Notified []string
}

// planGroupFollowUp adds to f what one sync page's states ask for. cursor
// is the cursor the catch-up started from: a state's GroupVersion may be
// older than a later page's cursor and still new to this device. A group
// is listed once, under what its latest state says.
func planGroupFollowUp(f groupFollowUp, cursor int64, states []protocol.ConversationState) groupFollowUp {
	for _, st := range states {
		if st.SessionType != protocol.SessionGroup || st.GroupID == "" {
			continue
		}
		is := func(id string) bool { return id == st.GroupID }
		switch {
		case st.Removed:
			f.Refresh = slices.DeleteFunc(f.Refresh, is)
			if !slices.Contains(f.Removed, st.GroupID) {
				f.Removed = append(f.Removed, st.GroupID)
			}
			if st.GroupDismissed && !slices.Contains(f.Dismissed, st.GroupID) {
				f.Dismissed = append(f.Dismissed, st.GroupID)
			}
		case st.GroupVersion > cursor:
			f.Removed = slices.DeleteFunc(f.Removed, is)
			f.Dismissed = slices.DeleteFunc(f.Dismissed, is)
			if !slices.Contains(f.Refresh, st.GroupID) {
				f.Refresh = append(f.Refresh, st.GroupID)
			}
		}
	}
	return f
}

// refreshes are the groups to ask for again: those whose membership
// changed and those whose notifications were folded, but not the groups
// the user is no longer in (their own removal's notification is folded
// too: the server would refuse them).
func (f groupFollowUp) refreshes() []string {
	out := slices.Clone(f.Refresh)
	for _, id := range f.Notified {
		if !slices.Contains(out, id) && !slices.Contains(f.Removed, id) {
			out = append(out, id)
		}
	}
	return out
}

// applyGroupFollowUp runs after a catch-up: groups reported removed leave
// the joined list (announced with groupMemberRemoved, reason empty: sync
// does not say who removed the user), and each stored group whose
// membership changed is asked for again (group.info) and announced with
// groupChanged, and its stored members are caught up (catchUpMembers).
// A group not stored and not notified has no count to refresh: the next
// group list brings it.
func (s *session) applyGroupFollowUp(w *wire, f groupFollowUp) error {
	ctx := w.ctx
	for _, id := range f.Removed {
		var in input = groupRemovedInput{Event: GroupMemberRemoved{GroupID: id, UserID: s.userID}}
		if slices.Contains(f.Dismissed, id) {
			in = groupInput{Group: Group{GroupID: id, Dismissed: true}}
		}
		if _, err := s.apply(ctx, in); err != nil {
			return err
		}
	}
	refresh := f.refreshes()
	if len(refresh) == 0 {
		return nil
	}
	gs, err := s.store.Groups(ctx)
	if err != nil {
		return err
	}
	for _, id := range refresh {
		notified := slices.Contains(f.Notified, id)
		if !notified && !slices.ContainsFunc(gs, func(g Group) bool { return g.GroupID == id }) {
			continue
		}
		var g protocol.Group
		err := w.call(ctx, protocol.ReqGetGroupInfo, protocol.GroupIDReq{GroupID: id}, &g)
		if protocol.CodeOf(err) == protocol.CodePermissionDenied {
			// Removed since the sync page: the removal's push (or the next
			// sync) tells.
			continue
		}
		if err != nil {
			return err
		}
		if err := s.storeGroupAndMembers(ctx, w, g, notified); err != nil && protocol.CodeOf(err) != protocol.CodePermissionDenied {
			return err
		}
	}
	return nil
}

// refreshGroup fetches a group again after a notification said it
// changed, stores it, catches up its members and announces what changed.
// A group the user is no longer in is left to the removal's own push or
// sync.
func (s *session) refreshGroup(w *wire, groupID string) {
	ctx := w.ctx
	var g protocol.Group
	err := w.call(ctx, protocol.ReqGetGroupInfo, protocol.GroupIDReq{GroupID: groupID}, &g)
	if err == nil {
		err = s.storeGroupAndMembers(ctx, w, g, true)
	}
	if err != nil && protocol.CodeOf(err) != protocol.CodePermissionDenied {
		s.cfg.Logger.Debug("group refresh", "group", groupID, "err", err)
	}
}

// storeGroupAndMembers stores g as the server just answered it and brings
// its stored members up to g.MemberVersion as planMemberCatchUp says:
// the changes since the stored version, page by page, or the whole list
// when none is stored (or the server no longer logs back to it).
func (s *session) storeGroupAndMembers(ctx context.Context, w *wire, g protocol.Group, notified bool) error {
	res, err := s.apply(ctx, groupInput{Group: g})
	if err != nil || g.Dismissed {
		return err
	}
	stored, _ := res.Value.(Group) // as stored: its MemberVersion is the stored members'
	plan := planMemberCatchUp(stored.MemberVersion, g.MemberVersion, notified)
	if plan.Full {
		return s.fetchAllMembers(ctx, w, g.GroupID, g.MemberVersion, false)
	}
	// A catch-up of the same group may run beside this one (a refresh per
	// notification): a page that no longer starts at the stored version is
	// asked again from it, a bounded number of times.
	for since, retries := plan.Since, 0; plan.Changes && retries < maxMemberCatchUpRetries; {
		var page protocol.GroupMemberChangesResp
		if err := w.call(ctx, protocol.ReqGroupMemberChanges, protocol.GroupMemberChangesReq{GroupID: g.GroupID, Since: since}, &page); err != nil {
			return err
		}
		if page.TooOld {
			return s.fetchAllMembers(ctx, w, g.GroupID, page.Version, since > page.Version)
		}
		res, err := s.apply(ctx, groupMemberChangesInput{GroupID: g.GroupID, Since: since, Page: page})
		if err != nil {
			return err
		}
		out, _ := res.Value.(memberChangesOutcome)
		switch {
		case out.Applied && !page.HasMore, out.Stored < 0, !out.Applied && out.Stored >= page.Version:
			return nil // done, not stored, or another catch-up got as far
		case !out.Applied:
			retries++
		}
		since = out.Stored
	}
	return nil
}

// maxMemberCatchUpRetries bounds how often one catch-up of a group's
// members starts again from a version another one stored.
const maxMemberCatchUpRetries = 3

// fetchAllMembers reads a group's whole member list, every page, and
// stores it as of version (read before the list; 0: unknown), announcing
// the change. reset: the server is behind the stored version.
func (s *session) fetchAllMembers(ctx context.Context, w *wire, groupID string, version int64, reset bool) error {
	all, err := readAllMembers(ctx, w, groupID)
	if err != nil {
		return err
	}
	_, err = s.apply(ctx, groupMembersInput{GroupID: groupID, Members: all, Full: true, Announce: true, Version: version, Reset: reset})
	return err
}

// readAllMembers reads a group's whole member list from the server, every
// page of group.members.
func readAllMembers(ctx context.Context, w *wire, groupID string) ([]GroupMember, error) {
	all := []GroupMember{}
	for {
		var resp protocol.GroupMembersResp
		req := protocol.GroupMembersReq{GroupID: groupID, Offset: len(all), Count: protocol.MaxGroupMembersPage}
		if err := w.call(ctx, protocol.ReqGetGroupMembers, req, &resp); err != nil {
			return nil, err
		}
		all = append(all, resp.Members...)
		if len(resp.Members) < protocol.MaxGroupMembersPage {
			return all, nil
		}
	}
}

// fetchWholeList reads a group's whole member list and stores it, without
// announcing it (the app asked) and without a member version (none was
// read before the list).
func (s *session) fetchWholeList(ctx context.Context, w *wire, groupID string) ([]GroupMember, error) {
	all, err := readAllMembers(ctx, w, groupID)
	if err != nil {
		return nil, err
	}
	_, err = s.apply(ctx, groupMembersInput{GroupID: groupID, Members: all, Full: true})
	return all, err
}

// fetchMembers asks for a page of members and stores it; out, when set,
// receives the page.
func (s *session) fetchMembers(ctx context.Context, w *wire, req protocol.GroupMembersReq, announce bool, out *[]GroupMember) error {
	var resp protocol.GroupMembersResp
	if err := w.call(ctx, protocol.ReqGetGroupMembers, req, &resp); err != nil {
		return err
	}
	count := req.Count
	if count == 0 {
		count = protocol.MaxGroupMembersPage
	}
	if out != nil {
		*out = resp.Members
	}
	_, err := s.apply(ctx, groupMembersInput{GroupID: req.GroupID, Members: resp.Members,
		Full: req.Offset == 0 && len(resp.Members) < count, Announce: announce})
	return err
}

// GroupsInfo returns the user's groups among groupIDs: from the server
// when connected (and stored), else the stored ones, without waiting for
// a connection.
func (c *Client) GroupsInfo(ctx context.Context, groupIDs []string) ([]Group, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if len(groupIDs) > protocol.MaxGroupsInfo {
		return nil, errInvalid("too many groupIDs")
	}
	var resp protocol.GroupsResp
	err = errNetwork(nil)
	if s.liveWire() != nil {
		err = s.call(ctx, protocol.ReqGetGroupsInfo, protocol.GroupIDsReq{GroupIDs: groupIDs}, &resp)
	}
	if err == nil {
		out := make([]Group, 0, len(resp.Groups))
		for _, g := range resp.Groups {
			res, err := s.apply(ctx, groupInput{Group: g})
			if err != nil {
				return nil, withCode(err)
			}
			out = append(out, storedGroup(res, g))
		}
		return out, nil
	}
	if protocol.CodeOf(err) != protocol.CodeNetwork {
		return nil, err
	}
	gs, err := s.store.Groups(ctx)
	var out []Group
	for _, g := range gs {
		if slices.Contains(groupIDs, g.GroupID) {
			out = append(out, g)
		}
	}
	return out, withCode(err)
}

// SetGroupInfo changes a group's set fields (owner and admins) and
// returns it as changed.
func (c *Client) SetGroupInfo(ctx context.Context, req protocol.SetGroupInfoReq) (Group, error) {
	s, err := c.session()
	if err != nil {
		return Group{}, err
	}
	var g protocol.Group
	if err := s.call(ctx, protocol.ReqSetGroupInfo, req, &g); err != nil {
		return Group{}, err
	}
	res, err := s.apply(ctx, groupInput{Group: g})
	if err != nil {
		return Group{}, withCode(err)
	}
	return storedGroup(res, g), nil
}

// storedGroup returns the group as a groupInput stored it (its member
// version is the stored members'), or g when it stored none (dismissed).
func storedGroup(res stepResult, g Group) Group {
	if v, ok := res.Value.(Group); ok {
		return v
	}
	return g
}

// GroupRequest sends one of the group administration requests whose
// answer the app does not need (setRole, transfer, dismiss, invite, join,
// mute, …): what they change reaches this device, like every member's, as
// the group's notification message, after which the group and its
// members are fetched again (a dismissal as push.group, dismissed). The
// application a join makes or a decision decides is stored from the
// answer (applicationRequest).
func (c *Client) GroupRequest(ctx context.Context, typ string, req any) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	switch typ {
	case protocol.ReqJoinGroup, protocol.ReqAcceptGroupApplication, protocol.ReqRefuseGroupApplication:
		return s.applicationRequest(ctx, typ, req)
	}
	return s.call(ctx, typ, req, nil)
}

// GroupMembersPage returns count members of a group from offset (count 0:
// all of them, read page by page), owner first then by join time: from
// the server when connected (and stored), else the stored ones.
func (c *Client) GroupMembersPage(ctx context.Context, groupID string, offset, count int) ([]GroupMember, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if !protocol.ValidID(groupID) || offset < 0 || count < 0 || count > protocol.MaxGroupMembersPage {
		return nil, errInvalid("invalid groupID, offset or count")
	}
	var page []GroupMember
	if w := s.liveWire(); w != nil {
		var err error
		if count == 0 {
			// All of them: every page, stored as the whole list.
			page, err = s.fetchWholeList(ctx, w, groupID)
			page = page[min(offset, len(page)):]
		} else {
			err = s.fetchMembers(ctx, w, protocol.GroupMembersReq{GroupID: groupID, Offset: offset, Count: count}, false, &page)
		}
		if err == nil || protocol.CodeOf(err) != protocol.CodeNetwork {
			if page == nil {
				page = []GroupMember{}
			}
			return page, withCode(err)
		}
	}
	ms, err := s.store.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, withCode(err)
	}
	ms = ms[min(offset, len(ms)):]
	if count > 0 {
		ms = ms[:min(count, len(ms))]
	}
	return ms, nil
}
