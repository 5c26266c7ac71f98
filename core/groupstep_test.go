package core

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

func TestPlanGroupRefresh(t *testing.T) {
	note := func(id, group, kind string) Message {
		return Message{ClientMsgID: id, GroupID: group, ContentType: protocol.ContentNotification,
			Content: json.RawMessage(`{"kind":"` + kind + `","operatorUserID":"o","userIDs":["u"],"role":"admin"}`)}
	}
	cases := []struct {
		name string
		news []Message
		want []string
	}{
		{"none", nil, nil},
		{"a text", []Message{{ClientMsgID: "t", GroupID: "g1", ContentType: protocol.ContentText, Text: "hi"}}, nil},
		{"a role change", []Message{note("n1", "g1", protocol.NotificationRoleChanged)}, []string{"g1"}},
		{"several kinds in two groups, each once", []Message{
			note("n1", "g1", protocol.NotificationMemberAdded), note("n2", "g2", protocol.NotificationMuted),
			note("n3", "g1", protocol.NotificationInfoChanged)}, []string{"g1", "g2"}},
		{"a call changes nothing of the group", []Message{note("n1", "g1", protocol.NotificationCall)}, nil},
		{"a dismissal: nothing left to fetch", []Message{note("n1", "g1", protocol.NotificationDismissed)}, nil},
		{"a one-to-one notification", []Message{note("n1", "", protocol.NotificationCall)}, nil},
		{"an unknown kind is not trusted", []Message{note("n1", "g1", "bogus")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := stepResult{New: c.news}
			planGroupRefresh(&res)
			assert.Equal(t, c.want, res.RefreshGroups)
		})
	}
}

func TestStepGroupMembers(t *testing.T) {
	o := GroupMember{GroupID: "g", UserID: "o", Role: protocol.RoleOwner, JoinTime: 1}
	a := GroupMember{GroupID: "g", UserID: "a", Role: protocol.RoleMember, JoinTime: 2}
	aAdmin := a
	aAdmin.Role = protocol.RoleAdmin
	b := GroupMember{GroupID: "g", UserID: "b", Role: protocol.RoleMember, JoinTime: 3}
	stored := map[string]GroupMember{"o": o, "a": a, "b": b}
	cases := []struct {
		name        string
		in          groupMembersInput
		wantUpsert  []GroupMember
		wantRemoved []GroupMember
		wantEvent   []GroupMember // nil: no event
	}{
		{"the same list changes nothing", groupMembersInput{GroupID: "g", Members: []GroupMember{o, a, b}, Full: true, Announce: true}, nil, nil, nil},
		{"a role change", groupMembersInput{GroupID: "g", Members: []GroupMember{o, aAdmin, b}, Full: true, Announce: true},
			[]GroupMember{aAdmin}, nil, []GroupMember{o, aAdmin, b}},
		{"a member gone from the whole list", groupMembersInput{GroupID: "g", Members: []GroupMember{o, a}, Full: true, Announce: true},
			nil, []GroupMember{b}, []GroupMember{o, a}},
		{"a page removes nothing", groupMembersInput{GroupID: "g", Members: []GroupMember{o}}, nil, nil, nil},
		{"one member's nickname, announced with the whole stored list", groupMembersInput{GroupID: "g",
			Members: []GroupMember{{GroupID: "g", UserID: "b", Role: protocol.RoleMember, JoinTime: 3, Nickname: "Bee"}}, Announce: true},
			[]GroupMember{{GroupID: "g", UserID: "b", Role: protocol.RoleMember, JoinTime: 3, Nickname: "Bee"}}, nil,
			[]GroupMember{o, a, {GroupID: "g", UserID: "b", Role: protocol.RoleMember, JoinTime: 3, Nickname: "Bee"}}},
		{"stored quietly", groupMembersInput{GroupID: "g", Members: []GroupMember{aAdmin}}, []GroupMember{aAdmin}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := step(localState{Self: "o", Members: stored}, c.in)
			require.NoError(t, err)
			assert.Equal(t, c.wantUpsert, res.Changes.GroupMembers)
			assert.Equal(t, c.wantRemoved, res.Changes.RemovedGroupMembers)
			if c.wantEvent == nil {
				assert.Empty(t, res.Events)
			} else {
				assert.Equal(t, []Event{GroupMembersChanged{GroupID: "g", Members: c.wantEvent}}, res.Events)
			}
		})
	}
}

func TestStepGroupAdministration(t *testing.T) {
	conv := protocol.GroupConversationID("g")
	stored := Group{GroupID: "g", Name: "G", MyRole: protocol.RoleAdmin, MemberCount: 3}
	l := func() localState {
		return localState{Self: "me", Groups: map[string]Group{"g": stored},
			Convs: map[string]*Conversation{conv: {ConversationID: conv, SessionType: protocol.SessionGroup, GroupID: "g"}}}
	}

	t.Run("a group pushed to every member keeps the stored role", func(t *testing.T) {
		res, err := step(l(), groupInput{Group: Group{GroupID: "g", Name: "G2", MemberCount: 4}})
		require.NoError(t, err)
		assert.Equal(t, []Group{{GroupID: "g", Name: "G2", MemberCount: 4, MyRole: protocol.RoleAdmin}}, res.Changes.Groups)
	})
	t.Run("the same group again: nothing written or announced", func(t *testing.T) {
		res, err := step(l(), groupInput{Group: Group{GroupID: "g", Name: "G", MemberCount: 3}})
		require.NoError(t, err)
		assert.True(t, res.Changes.Empty())
		assert.Empty(t, res.Events)
		assert.Equal(t, stored, res.Value)
	})
	t.Run("a role in the answer wins", func(t *testing.T) {
		res, err := step(l(), groupInput{Group: Group{GroupID: "g", Name: "G", MyRole: protocol.RoleOwner}})
		require.NoError(t, err)
		assert.Equal(t, protocol.RoleOwner, res.Changes.Groups[0].MyRole)
	})
	t.Run("dismissed: removed from the list, the conversation kept and marked, announced once", func(t *testing.T) {
		res, err := step(l(), groupInput{Group: Group{GroupID: "g", Dismissed: true}})
		require.NoError(t, err)
		assert.Equal(t, []string{"g"}, res.Changes.RemovedGroups)
		require.Len(t, res.Changes.Conversations, 1)
		assert.True(t, res.Changes.Conversations[0].Removed)
		assert.Equal(t, "G", res.Changes.Conversations[0].ShowName, "keeps the group's last name")
		assert.Equal(t, []Event{GroupDismissed{GroupID: "g"}}, res.Events)

		again := localState{Self: "me", Groups: map[string]Group{},
			Convs: map[string]*Conversation{conv: &res.Changes.Conversations[0]}}
		res, err = step(again, groupInput{Group: Group{GroupID: "g", Dismissed: true}})
		require.NoError(t, err)
		assert.Empty(t, res.Events)
		assert.True(t, res.Changes.Empty())
	})
	t.Run("another member removed: the member leaves the stored list", func(t *testing.T) {
		ev := GroupMemberRemoved{GroupID: "g", UserID: "x", Group: Group{GroupID: "g", Name: "G", MemberCount: 2}}
		me, x := GroupMember{GroupID: "g", UserID: "me", Role: protocol.RoleAdmin}, GroupMember{GroupID: "g", UserID: "x", Role: protocol.RoleMember}
		st := l()
		st.Members = map[string]GroupMember{"me": me, "x": x}
		res, err := step(st, groupRemovedInput{Event: ev})
		require.NoError(t, err)
		assert.Equal(t, []GroupMember{x}, res.Changes.RemovedGroupMembers)
		assert.Equal(t, protocol.RoleAdmin, res.Changes.Groups[0].MyRole)
		assert.Equal(t, GroupMembersChanged{GroupID: "g", Members: []GroupMember{me}}, res.Events[len(res.Events)-1])

		st.Members = map[string]GroupMember{"me": me}
		res, err = step(st, groupRemovedInput{Event: ev})
		require.NoError(t, err)
		assert.Empty(t, res.Changes.RemovedGroupMembers, "not stored: nothing to remove")
		assert.Len(t, res.Events, 2)
	})
}

func TestPlanMemberCatchUp(t *testing.T) {
	cases := []struct {
		name           string
		stored, server int64
		notified       bool
		want           memberCatchUp
	}{
		{"nothing stored, notified: the whole list", 0, 7, true, memberCatchUp{Full: true}},
		{"nothing stored, not notified: left to the app", 0, 7, false, memberCatchUp{}},
		{"up to date", 7, 7, true, memberCatchUp{}},
		{"up to date, not notified", 7, 7, false, memberCatchUp{}},
		{"behind: the changes since the stored version", 4, 7, true, memberCatchUp{Changes: true, Since: 4}},
		{"behind, not notified: the changes too", 4, 7, false, memberCatchUp{Changes: true, Since: 4}},
		{"ahead of the server (another deployment): its tooOld decides", 9, 7, true, memberCatchUp{Changes: true, Since: 9}},
		{"a server without member versions, notified: the whole list", 4, 0, true, memberCatchUp{Full: true}},
		{"a server without member versions, not notified", 4, 0, false, memberCatchUp{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, planMemberCatchUp(c.stored, c.server, c.notified))
		})
	}
}

func TestStepGroupMemberChanges(t *testing.T) {
	o := GroupMember{GroupID: "g", UserID: "o", Role: protocol.RoleOwner, JoinTime: 1}
	a := GroupMember{GroupID: "g", UserID: "a", Role: protocol.RoleMember, JoinTime: 2}
	aAdmin := a
	aAdmin.Role = protocol.RoleAdmin
	b := GroupMember{GroupID: "g", UserID: "b", Role: protocol.RoleMember, JoinTime: 3}
	n := GroupMember{GroupID: "g", UserID: "n", Role: protocol.RoleMember, JoinTime: 9}
	g := Group{GroupID: "g", Name: "G", MemberVersion: 5}
	at := func(v int64) []Group { h := g; h.MemberVersion = v; return []Group{h} }
	cases := []struct {
		name        string
		groups      map[string]Group
		in          groupMemberChangesInput
		applied     memberChangesOutcome
		wantGroups  []Group
		wantUpsert  []GroupMember
		wantRemoved []GroupMember
		wantEvent   []GroupMember // nil: no event
	}{
		{"added, role, kicked: only those change, announced with the whole list", map[string]Group{"g": g},
			groupMemberChangesInput{GroupID: "g", Since: 5, Page: protocol.GroupMemberChangesResp{Version: 8,
				Members: []GroupMember{n, aAdmin}, RemovedUserIDs: []string{"b"}}},
			memberChangesOutcome{Applied: true, Stored: 8}, at(8), []GroupMember{n, aAdmin}, []GroupMember{b}, []GroupMember{o, aAdmin, n}},
		{"a member named again unchanged, a removal already stored: only the version moves", map[string]Group{"g": g},
			groupMemberChangesInput{GroupID: "g", Since: 5, Page: protocol.GroupMemberChangesResp{Version: 7,
				Members: []GroupMember{a}, RemovedUserIDs: []string{"x"}}},
			memberChangesOutcome{Applied: true, Stored: 7}, at(7), nil, nil, nil},
		{"a page from another version than stored is dropped, told the stored one", map[string]Group{"g": g},
			groupMemberChangesInput{GroupID: "g", Since: 4, Page: protocol.GroupMemberChangesResp{Version: 8, RemovedUserIDs: []string{"b"}}},
			memberChangesOutcome{Stored: 5}, nil, nil, nil, nil},
		{"tooOld changes nothing", map[string]Group{"g": g},
			groupMemberChangesInput{GroupID: "g", Since: 5, Page: protocol.GroupMemberChangesResp{Version: 8, TooOld: true}},
			memberChangesOutcome{Stored: 5}, nil, nil, nil, nil},
		{"a group not stored changes nothing", map[string]Group{},
			groupMemberChangesInput{GroupID: "g", Since: 0, Page: protocol.GroupMemberChangesResp{Version: 8, RemovedUserIDs: []string{"b"}}},
			memberChangesOutcome{Stored: -1}, nil, nil, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := localState{Self: "o", Groups: c.groups, Members: map[string]GroupMember{"o": o, "a": a, "b": b}}
			res, err := step(l, c.in)
			require.NoError(t, err)
			assert.Equal(t, c.applied, res.Value)
			assert.Equal(t, c.wantGroups, res.Changes.Groups)
			assert.ElementsMatch(t, c.wantUpsert, res.Changes.GroupMembers)
			assert.Equal(t, c.wantRemoved, res.Changes.RemovedGroupMembers)
			if c.wantEvent == nil {
				assert.Empty(t, res.Events)
			} else {
				assert.Equal(t, []Event{GroupMembersChanged{GroupID: "g", Members: c.wantEvent}}, res.Events)
			}
		})
	}
}

func TestStepGroupMembersVersion(t *testing.T) {
	o := GroupMember{GroupID: "g", UserID: "o", Role: protocol.RoleOwner, JoinTime: 1}
	b := GroupMember{GroupID: "g", UserID: "b", Role: protocol.RoleMember, JoinTime: 3}
	g := Group{GroupID: "g", Name: "G", MemberVersion: 5}
	cases := []struct {
		name        string
		in          groupMembersInput
		wantGroups  []Group
		wantRemoved []GroupMember
	}{
		{"the whole list as of a newer version: stored with it", groupMembersInput{GroupID: "g", Members: []GroupMember{o}, Full: true, Version: 9},
			[]Group{{GroupID: "g", Name: "G", MemberVersion: 9}}, []GroupMember{b}},
		{"a list older than the stored members is dropped", groupMembersInput{GroupID: "g", Members: []GroupMember{o}, Full: true, Version: 4},
			nil, nil},
		{"unless the server is behind the stored version", groupMembersInput{GroupID: "g", Members: []GroupMember{o}, Full: true, Version: 4, Reset: true},
			[]Group{{GroupID: "g", Name: "G", MemberVersion: 4}}, []GroupMember{b}},
		{"an app's read without a version leaves the version", groupMembersInput{GroupID: "g", Members: []GroupMember{o}, Full: true},
			nil, []GroupMember{b}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := localState{Self: "o", Groups: map[string]Group{"g": g}, Members: map[string]GroupMember{"o": o, "b": b}}
			res, err := step(l, c.in)
			require.NoError(t, err)
			assert.Equal(t, c.wantGroups, res.Changes.Groups)
			assert.Equal(t, c.wantRemoved, res.Changes.RemovedGroupMembers)
		})
	}
}

func TestGroupKeepsStoredMemberVersion(t *testing.T) {
	l := localState{Self: "me", Groups: map[string]Group{"g": {GroupID: "g", Name: "G", MyRole: protocol.RoleMember, MemberVersion: 3}}}
	res, err := step(l, groupInput{Group: Group{GroupID: "g", Name: "G2", MemberVersion: 8}})
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.Changes.Groups[0].MemberVersion, "the server's version is not the stored members'")
	assert.Equal(t, int64(3), res.Value.(Group).MemberVersion)
	res, err = step(l, groupInput{Group: Group{GroupID: "g", Name: "G", MyRole: protocol.RoleMember, MemberVersion: 8}})
	require.NoError(t, err)
	assert.True(t, res.Changes.Empty(), "only the server's version differs: nothing to write")
	res, err = step(l, groupListInput{List: []Group{{GroupID: "g", Name: "G", MyRole: protocol.RoleMember, MemberVersion: 8}}})
	require.NoError(t, err)
	assert.True(t, res.Changes.Empty())
	res, err = step(localState{Self: "me"}, groupInput{Group: Group{GroupID: "h", MemberVersion: 8}})
	require.NoError(t, err)
	assert.Equal(t, int64(0), res.Changes.Groups[0].MemberVersion, "a new group has no members stored")
}

func TestFetchedGroupsKeepStoredMemberVersion(t *testing.T) {
	l := localState{Self: "me", Groups: map[string]Group{"g": {GroupID: "g", Name: "G", MemberVersion: 3}}}
	res, err := step(l, profilesInput{Groups: []Group{{GroupID: "g", Name: "G", MemberVersion: 8}, {GroupID: "h", MemberVersion: 8}}})
	require.NoError(t, err)
	assert.Equal(t, []Group{{GroupID: "g", Name: "G", MemberVersion: 3}, {GroupID: "h"}}, res.Changes.Groups)
}
