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

// keepRole keeps the stored MyRole of a group that arrives without one
// (a push to every member cannot carry each one's role).
func keepRole(l localState, g Group) Group {
	if stored, ok := l.Groups[g.GroupID]; ok && g.MyRole == "" {
		g.MyRole = stored.MyRole
	}
	return g
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
// Announce: a change is announced with groupMembersChanged.
type groupMembersInput struct {
	GroupID  string
	Members  []GroupMember
	Full     bool
	Announce bool
}

func (groupMembersInput) inputKind() string { return "groupMembers" }

func stepGroupMembers(l localState, in groupMembersInput) stepResult {
	var res stepResult
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
	if in.Announce && !res.Changes.Empty() {
		list := make([]GroupMember, 0, len(all))
		for _, m := range all {
			list = append(list, m)
		}
		SortGroupMembers(list)
		res.Events = []Event{GroupMembersChanged{GroupID: in.GroupID, Members: list}}
	}
	return res
}
