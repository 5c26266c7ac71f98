package core

import (
	"reflect"
	"testing"

	"parley/protocol"
)

func TestPlanGroupFollowUp(t *testing.T) {
	gst := func(id string, version, groupVersion int64, removed bool) protocol.ConversationState {
		return protocol.ConversationState{ConversationID: protocol.GroupConversationID(id), SessionType: protocol.SessionGroup,
			GroupID: id, Version: version, GroupVersion: groupVersion, Removed: removed}
	}
	dismissed := func(st protocol.ConversationState) protocol.ConversationState {
		st.GroupDismissed = true
		return st
	}
	single := protocol.ConversationState{ConversationID: "si_a_b", SessionType: protocol.SessionSingle, PeerUserID: "b", Version: 9, GroupVersion: 9}
	tests := []struct {
		name   string
		prev   groupFollowUp
		cursor int64
		states []protocol.ConversationState
		want   groupFollowUp
	}{
		{"nothing changed", groupFollowUp{}, 5, nil, groupFollowUp{}},
		{"a message only: no group request", groupFollowUp{}, 5, []protocol.ConversationState{gst("g1", 6, 2, false)}, groupFollowUp{}},
		{"a single conversation is no group", groupFollowUp{}, 5, []protocol.ConversationState{single}, groupFollowUp{}},
		{"removed while away", groupFollowUp{}, 5, []protocol.ConversationState{gst("g1", 6, 6, true)},
			groupFollowUp{Removed: []string{"g1"}}},
		{"removed long ago, first sync", groupFollowUp{}, 0, []protocol.ConversationState{gst("g1", 2, 2, true)},
			groupFollowUp{Removed: []string{"g1"}}},
		{"another member left", groupFollowUp{}, 5, []protocol.ConversationState{gst("g1", 7, 6, false), gst("g2", 8, 1, false)},
			groupFollowUp{Refresh: []string{"g1"}}},
		{"changed since the start, seen on a later page", groupFollowUp{Refresh: []string{"g2"}}, 5,
			[]protocol.ConversationState{gst("g1", 20, 6, false), gst("g2", 21, 7, false)},
			groupFollowUp{Refresh: []string{"g2", "g1"}}},
		{"removed after a refresh was planned", groupFollowUp{Refresh: []string{"g1"}}, 5,
			[]protocol.ConversationState{gst("g1", 9, 9, true)}, groupFollowUp{Refresh: []string{}, Removed: []string{"g1"}}},
		{"back after a removal", groupFollowUp{Removed: []string{"g1"}}, 5,
			[]protocol.ConversationState{gst("g1", 9, 9, false)}, groupFollowUp{Removed: []string{}, Refresh: []string{"g1"}}},
		{"dismissed while away", groupFollowUp{}, 5, []protocol.ConversationState{dismissed(gst("g1", 6, 6, true)), gst("g2", 7, 7, true)},
			groupFollowUp{Removed: []string{"g1", "g2"}, Dismissed: []string{"g1"}}},
		{"back after a dismissal (a group of that ID again)", groupFollowUp{Removed: []string{"g1"}, Dismissed: []string{"g1"}}, 5,
			[]protocol.ConversationState{gst("g1", 9, 9, false)}, groupFollowUp{Removed: []string{}, Dismissed: []string{}, Refresh: []string{"g1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := planGroupFollowUp(tc.prev, tc.cursor, tc.states)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestGroupFollowUpRefreshes: the groups asked for again after a catch-up
// are those whose membership changed and those whose notifications were
// folded, once each, but never one the user was removed from (the
// notification of their own removal is folded too).
func TestGroupFollowUpRefreshes(t *testing.T) {
	tests := []struct {
		name string
		f    groupFollowUp
		want []string
	}{
		{"nothing", groupFollowUp{}, nil},
		{"changed and notified, once each", groupFollowUp{Refresh: []string{"g1"}, Notified: []string{"g2", "g1"}}, []string{"g1", "g2"}},
		{"removed: its notifications ask for nothing", groupFollowUp{Removed: []string{"g1"}, Notified: []string{"g1", "g2"}}, []string{"g2"}},
		{"dismissed", groupFollowUp{Removed: []string{"g1"}, Dismissed: []string{"g1"}, Notified: []string{"g1"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.refreshes(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
