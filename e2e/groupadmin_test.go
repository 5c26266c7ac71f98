package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// waitMembers waits for a groupMembersChanged of groupID that ok accepts
// and returns its list.
func (d *device) waitMembers(groupID string, what string, ok func(ms []core.GroupMember) bool) []core.GroupMember {
	d.t.Helper()
	var got []core.GroupMember
	d.waitFor("groupMembersChanged: "+what, func() bool {
		for _, ev := range d.events {
			if m, is := ev.(core.GroupMembersChanged); is && m.GroupID == groupID && ok(m.Members) {
				got = m.Members
				return true
			}
		}
		return false
	})
	return got
}

func member(ms []core.GroupMember, userID string) (core.GroupMember, bool) {
	i := slices.IndexFunc(ms, func(m core.GroupMember) bool { return m.UserID == userID })
	if i < 0 {
		return core.GroupMember{}, false
	}
	return ms[i], true
}

// notices returns the notification kinds of a conversation's history.
func notices(d *device, conv string) []string {
	var kinds []string
	for _, m := range d.history(conv) {
		if m.ContentType != protocol.ContentNotification {
			continue
		}
		var n protocol.NotificationContent
		if err := json.Unmarshal(m.Content, &n); err == nil {
			kinds = append(kinds, n.Kind)
		}
	}
	return kinds
}

// TestGroupAdministration: an owner, an admin made by her and a member who
// joins an open group; info, roles, mutes and nicknames reach every
// member's device live, a member away catches up on what changed (the
// notifications in her timeline, the group and its members stored), and
// the owner hands the group over, leaves, and the new owner dismisses it.
func TestGroupAdministration(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	g, err := a.c.CreateGroup(ctx, "Crew", []string{"bob"})
	require.NoError(t, err)
	assert.Equal(t, protocol.RoleOwner, g.MyRole)
	conv := protocol.GroupConversationID(g.GroupID)

	// Info and policy: the member learns them live.
	intro, open := "We sail at dawn", protocol.JoinPolicyOpen
	ng, err := a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: g.GroupID, Introduction: &intro, JoinPolicy: &open})
	require.NoError(t, err)
	assert.Equal(t, intro, ng.Introduction)
	b.waitFor("groupChanged with the introduction", func() bool {
		for _, ev := range b.events {
			if gc, ok := ev.(core.GroupChanged); ok && gc.Group.Introduction == intro && gc.Group.MyRole == protocol.RoleMember {
				return true
			}
		}
		return false
	})

	// A role: bob becomes admin, on his device too.
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: g.GroupID, UserID: "bob", Role: protocol.RoleAdmin}))
	b.waitMembers(g.GroupID, "bob admin", func(ms []core.GroupMember) bool {
		m, ok := member(ms, "bob")
		return ok && m.Role == protocol.RoleAdmin
	})
	gs, err := b.c.GroupsInfo(ctx, []string{g.GroupID})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	assert.Equal(t, protocol.RoleAdmin, gs[0].MyRole)

	// Carol joins the open group; everyone's list has her.
	c := e.device("carol", deviceOpt{})
	require.NoError(t, c.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID}))
	for _, d := range []*device{a, b, c} {
		d.waitMembers(g.GroupID, "carol in", func(ms []core.GroupMember) bool { _, ok := member(ms, "carol"); return ok && len(ms) == 3 })
	}

	// The admin mutes her: her sends fail; the owner may not be muted by him.
	require.NoError(t, b.c.GroupRequest(ctx, protocol.ReqMuteGroupMember, protocol.MuteGroupMemberReq{GroupID: g.GroupID, UserID: "carol", Seconds: 600}))
	err = b.c.GroupRequest(ctx, protocol.ReqMuteGroupMember, protocol.MuteGroupMemberReq{GroupID: g.GroupID, UserID: "alice", Seconds: 600})
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(err))
	c.waitMembers(g.GroupID, "carol muted", func(ms []core.GroupMember) bool { m, _ := member(ms, "carol"); return m.MuteEndTime > 0 })
	m, err := c.c.CreateTextMessage("let me speak")
	require.NoError(t, err)
	_, err = c.c.SendMessage(ctx, m, "", g.GroupID)
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(err), "a muted member's send")

	// Carol goes away; meanwhile she is unmuted, the group renamed and her
	// nickname set. She catches up on all of it.
	c.logout()
	require.NoError(t, b.c.GroupRequest(ctx, protocol.ReqMuteGroupMember, protocol.MuteGroupMemberReq{GroupID: g.GroupID, UserID: "carol", Seconds: 0}))
	name := "Crew of the Dawn"
	_, err = a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: g.GroupID, Name: &name})
	require.NoError(t, err)
	require.NoError(t, b.c.GroupRequest(ctx, protocol.ReqSetGroupMemberNickname, protocol.GroupMemberNicknameReq{GroupID: g.GroupID, UserID: "carol", Nickname: "Caz"}))
	a.waitMembers(g.GroupID, "Caz", func(ms []core.GroupMember) bool { m, _ := member(ms, "carol"); return m.Nickname == "Caz" })
	c2 := e.device("carol", deviceOpt{store: c.store})
	c2.waitMembers(g.GroupID, "carol unmuted, named", func(ms []core.GroupMember) bool {
		m, _ := member(ms, "carol")
		return m.MuteEndTime == 0 && m.Nickname == "Caz"
	})
	stored, err := c.store.Groups(ctx)
	require.NoError(t, err)
	require.Len(t, stored, 1)
	assert.Equal(t, name, stored[0].Name)
	assert.Equal(t, []string{"memberAdded", "muted", "unmuted", "infoChanged"}, notices(c2, conv),
		"her timeline tells what happened since she joined, in order")
	// Stored: readable without the server.
	ms, err := c.store.GroupMembers(ctx, g.GroupID)
	require.NoError(t, err)
	assert.Len(t, ms, 3)
	page, err := c2.c.GroupMembersPage(ctx, g.GroupID, 1, 1)
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, "bob", page[0].UserID)
	c2.send("", g.GroupID, "I'm back")

	// The owner cannot leave; she hands the group to bob, then leaves.
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(a.c.QuitGroup(ctx, g.GroupID)))
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqTransferGroupOwner, protocol.TransferGroupOwnerReq{GroupID: g.GroupID, NewOwnerUserID: "bob"}))
	require.NoError(t, a.c.QuitGroup(ctx, g.GroupID))
	b.waitMembers(g.GroupID, "bob owner, alice gone", func(ms []core.GroupMember) bool {
		m, _ := member(ms, "bob")
		_, in := member(ms, "alice")
		return m.Role == protocol.RoleOwner && !in
	})

	// Bob dismisses it: carol's device hears it and the group is gone.
	require.NoError(t, b.c.GroupRequest(ctx, protocol.ReqDismissGroup, protocol.GroupIDReq{GroupID: g.GroupID}))
	c2.waitFor("groupDismissed", func() bool {
		return slices.ContainsFunc(c2.events, func(ev core.Event) bool { d, ok := ev.(core.GroupDismissed); return ok && d.GroupID == g.GroupID })
	})
	gs, err = c2.c.JoinedGroupList(ctx)
	require.NoError(t, err)
	assert.Empty(t, gs)
	assert.True(t, conversation(t, c2, conv).Removed)
	ms, err = c.store.GroupMembers(ctx, g.GroupID)
	require.NoError(t, err)
	assert.Empty(t, ms, "the members leave with the group")
	gs, err = b.c.JoinedGroupList(ctx)
	require.NoError(t, err)
	assert.Empty(t, gs)
}

// TestGroupDismissedWhileAway: a member whose device is away when the owner
// dismisses the group hears groupDismissed once when it is back, not a
// plain removal, and the group is gone from its list.
func TestGroupDismissedWhileAway(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	g, err := a.c.CreateGroup(ctx, "Short-lived", []string{"bob"})
	require.NoError(t, err)
	b.waitFor("the group listed", func() bool {
		gs, err := b.c.JoinedGroupList(ctx)
		return err == nil && len(gs) == 1
	})

	back := b.away()
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqDismissGroup, protocol.GroupIDReq{GroupID: g.GroupID}))
	back()
	dismissedEv := func(ev core.Event) bool { d, ok := ev.(core.GroupDismissed); return ok && d.GroupID == g.GroupID }
	b.waitEvents("groupDismissed after being away", 1, dismissedEv)
	b.c.WaitEvents()
	assert.Equal(t, 1, count(b, dismissedEv), "groupDismissed fires once")
	assert.Zero(t, count(b, func(ev core.Event) bool { _, ok := ev.(core.GroupMemberRemoved); return ok }), "a dismissal is not announced as a removal")
	gs, err := b.c.JoinedGroupList(ctx)
	require.NoError(t, err)
	assert.Empty(t, gs)
	assert.True(t, conversation(t, b, protocol.GroupConversationID(g.GroupID)).Removed)
}
