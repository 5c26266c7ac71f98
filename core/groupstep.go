package core

import (
	"slices"

	"parley/protocol"
)

// The step's decisions about group administration (contract §5): what a
// group notification asks for, the stored members, dismissals and
// applications. Pure, like the rest of the step.

// GroupMembersChanged: the stored members of a group changed (someone
// joined, left, or changed role, mute or nickname). Members is the
// group's whole stored list, in GroupMembers' order.
type GroupMembersChanged struct {
	GroupID string        `json:"groupID"`
	Members []GroupMember `json:"members"`
}

// EventName implements Event.
func (GroupMembersChanged) EventName() string { return "groupMembersChanged" }

// EventPayload implements Event: {groupID, members}.
func (e GroupMembersChanged) EventPayload() any { return e }

// GroupDismissed: the owner dismissed a group of the user. It leaves the
// joined list; its conversation is kept, marked Removed.
type GroupDismissed struct {
	GroupID string `json:"groupID"`
}

// EventName implements Event.
func (GroupDismissed) EventName() string { return "groupDismissed" }

// EventPayload implements Event: {groupID}.
func (e GroupDismissed) EventPayload() any { return e }

// GroupApplicationReceived: someone applied to join a group the user owns
// or administers.
type GroupApplicationReceived struct{ Application GroupApplication }

// EventName implements Event.
func (GroupApplicationReceived) EventName() string { return "groupApplicationReceived" }

// EventPayload implements Event: GroupApplication.
func (e GroupApplicationReceived) EventPayload() any { return e.Application }

// GroupApplication is an application to join a group.
type GroupApplication = protocol.GroupApplication

// planGroupRefresh asks for the groups whose new messages include a
// group notification (a call's notification changes nothing of the
// group) to be fetched again, once each.
func planGroupRefresh(res *stepResult) {
	for _, m := range res.New {
		if m.ContentType != protocol.ContentNotification || m.GroupID == "" || slices.Contains(res.RefreshGroups, m.GroupID) {
			continue
		}
		c, err := protocol.DecodeContent(m.ContentType, m.Content)
		n, ok := c.(*protocol.NotificationContent)
		if err != nil || !ok {
			continue
		}
		switch n.Kind {
		case protocol.NotificationMemberAdded, protocol.NotificationMemberRemoved, protocol.NotificationRoleChanged,
			protocol.NotificationInfoChanged, protocol.NotificationOwnerTransferred, protocol.NotificationMuted, protocol.NotificationUnmuted:
			res.RefreshGroups = append(res.RefreshGroups, m.GroupID)
		}
	}
}

// keepLocal keeps what the store knows of a group that an arriving copy
// does not say: the stored MyRole when it comes without one (a push to
// every member cannot carry each one's role), and always the stored
// MemberVersion, which is the version of the stored members (0: none), not
// the server's: only the members' own inputs move it.
func keepLocal(l localState, g Group) Group {
	stored, ok := l.Groups[g.GroupID]
	if ok && g.MyRole == "" {
		g.MyRole = stored.MyRole
	}
	g.MemberVersion = stored.MemberVersion
	return g
}

// memberCatchUp is how a device brings a group's stored members up to the
// server's: not at all, by group.memberChanges since a version, or by
// reading the whole list.
type memberCatchUp struct {
	Changes bool
	Full    bool
	// Since is the stored version Changes asks from.
	Since int64
}

// planMemberCatchUp decides how to catch up a group's members, given the
// version of the stored members (0: none), the server's member version
// and whether a notification said the members changed. Without stored
// members only a notification reads them (whole); with them, any
// difference asks for the changes (a server behind the stored version
// answers tooOld, and the list is read whole).
func planMemberCatchUp(stored, server int64, notified bool) memberCatchUp {
	switch {
	case server == 0 || stored == 0:
		// A server that does not count, or nothing stored to start from.
		return memberCatchUp{Full: notified}
	case stored == server:
		return memberCatchUp{}
	}
	return memberCatchUp{Changes: true, Since: stored}
}

// dismissed records a dismissal: as a removal of the user, announced with
// groupDismissed.
func dismissed(l localState, g Group) stepResult {
	if stored, ok := l.Groups[g.GroupID]; ok && g.Name == "" {
		g = stored // the app's own dismissGroup knows only the ID
	}
	res := removedFromGroup(l, GroupMemberRemoved{GroupID: g.GroupID, UserID: l.Self, Group: g})
	if len(res.Events) > 0 {
		res.Events = []Event{GroupDismissed{GroupID: g.GroupID}}
	}
	return res
}

// groupMembersInput is a page of a group's members from the server. Full:
// it is the whole list, so stored members missing from it are removed.
// Announce: a change is announced with groupMembersChanged. Version, when
// set, is the group's member version read before the list: the stored
// group's MemberVersion becomes it, and a list older than the stored
// members (another catch-up stored newer ones meanwhile) is dropped,
// unless Reset (the server is behind the stored version: start again).
type groupMembersInput struct {
	GroupID  string
	Members  []GroupMember
	Full     bool
	Announce bool
	Version  int64
	Reset    bool
}

func (groupMembersInput) inputKind() string { return "groupMembers" }

func stepGroupMembers(l localState, in groupMembersInput) stepResult {
	var res stepResult
	g, stored := l.Groups[in.GroupID]
	if in.Version > 0 && stored {
		if in.Version < g.MemberVersion && !in.Reset {
			return res
		}
		if g.MemberVersion != in.Version {
			g.MemberVersion = in.Version
			res.Changes.Groups = []Group{g}
		}
	}
	all := make(map[string]GroupMember, len(l.Members))
	for id, m := range l.Members {
		all[id] = m
	}
	seen := make(map[string]bool, len(in.Members))
	for _, m := range in.Members {
		seen[m.UserID] = true
		if old, ok := l.Members[m.UserID]; !ok || old != m {
			res.Changes.GroupMembers = append(res.Changes.GroupMembers, m)
			all[m.UserID] = m
		}
	}
	if in.Full {
		for id, m := range l.Members {
			if !seen[id] {
				res.Changes.RemovedGroupMembers = append(res.Changes.RemovedGroupMembers, m)
				delete(all, id)
			}
		}
	}
	if in.Announce && (len(res.Changes.GroupMembers) > 0 || len(res.Changes.RemovedGroupMembers) > 0) {
		list := make([]GroupMember, 0, len(all))
		for _, m := range all {
			list = append(list, m)
		}
		SortGroupMembers(list)
		res.Events = []Event{GroupMembersChanged{GroupID: in.GroupID, Members: list}}
	}
	return res
}

// groupMemberChangesInput is a page of group.memberChanges asked from
// Since.
type groupMemberChangesInput struct {
	GroupID string
	Since   int64
	Page    protocol.GroupMemberChangesResp
}

func (groupMemberChangesInput) inputKind() string { return "groupMemberChanges" }

// memberChangesOutcome is stepGroupMemberChanges' Value: whether the
// page was applied and, if not, the version the stored members are as of
// (-1: the group is not stored), to ask again from.
type memberChangesOutcome struct {
	Applied bool
	Stored  int64
}

// stepGroupMemberChanges applies a page of member changes to the stored
// members, announced as groupMembersChanged, and moves the stored group's
// MemberVersion to the page's. A page that does not start at the stored
// version (another catch-up of the group moved it meanwhile, or the group
// is not stored) or that is tooOld changes nothing.
func stepGroupMemberChanges(l localState, in groupMemberChangesInput) stepResult {
	g, ok := l.Groups[in.GroupID]
	if !ok {
		return stepResult{Value: memberChangesOutcome{Stored: -1}}
	}
	if in.Page.TooOld || g.MemberVersion != in.Since {
		return stepResult{Value: memberChangesOutcome{Stored: g.MemberVersion}}
	}
	next := make([]GroupMember, 0, len(l.Members)+len(in.Page.Members))
	changed := make(map[string]bool, len(in.Page.Members)+len(in.Page.RemovedUserIDs))
	for _, m := range in.Page.Members {
		changed[m.UserID] = true
		next = append(next, m)
	}
	for _, id := range in.Page.RemovedUserIDs {
		changed[id] = true
	}
	for id, m := range l.Members {
		if !changed[id] {
			next = append(next, m)
		}
	}
	res := stepGroupMembers(l, groupMembersInput{GroupID: in.GroupID, Members: next, Full: true, Announce: true, Version: in.Page.Version})
	res.Value = memberChangesOutcome{Applied: true, Stored: in.Page.Version}
	return res
}
