package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
	"parley/server/store"
)

// storedGroup returns d's stored copy of a group.
func storedGroup(t *testing.T, d *device, groupID string) (core.Group, bool) {
	t.Helper()
	gs, err := d.store.Groups(context.Background())
	require.NoError(t, err)
	i := slices.IndexFunc(gs, func(g core.Group) bool { return g.GroupID == groupID })
	if i < 0 {
		return core.Group{}, false
	}
	return gs[i], true
}

// serverGroup returns the group as the server stores it and its whole
// member list as a member's live device reads it.
func serverGroup(t *testing.T, d *device, groupID string) (core.Group, []core.GroupMember) {
	t.Helper()
	ctx := context.Background()
	g, err := d.e.st.Group(ctx, groupID)
	require.NoError(t, err)
	var all []core.GroupMember
	for {
		page, err := d.c.GroupMembersPage(ctx, groupID, len(all), protocol.MaxGroupMembersPage)
		require.NoError(t, err)
		all = append(all, page...)
		if len(page) < protocol.MaxGroupMembersPage {
			return *g, all
		}
	}
}

// waitMembersAsOf waits until d stores the group's members as of version.
func waitMembersAsOf(d *device, groupID string, version int64) {
	d.t.Helper()
	d.waitFor(fmt.Sprintf("members as of version %d", version), func() bool {
		g, ok := storedGroup(d.t, d, groupID)
		return ok && g.MemberVersion == version
	})
}

// TestGroupMembersCatchUpByVersion: a device away while a member is added,
// another kicked and a third made admin stores, once back, exactly the
// group's current members and the server's member version, having asked
// for the changes since its version (group.memberChanges), never for the
// list (group.members).
func TestGroupMembersCatchUpByVersion(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carl", "dave", "erin"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	cd := &countDialer{}
	b := e.device("bob", deviceOpt{cfg: func(c *core.Config) { cd.inner = c.Dialer; c.Dialer = cd }})
	g, err := a.c.CreateGroup(ctx, "Team", []string{"bob", "carl", "dave"})
	require.NoError(t, err)
	b.waitFor("the group stored", func() bool { _, ok := storedGroup(t, b, g.GroupID); return ok })

	// A first notification: bob has no members stored, so it reads the
	// whole list, as of the group's version.
	name := "Team 2"
	_, err = a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: g.GroupID, Name: &name})
	require.NoError(t, err)
	sg, _ := serverGroup(t, a, g.GroupID)
	waitMembersAsOf(b, g.GroupID, sg.MemberVersion)
	require.Positive(t, cd.askedOf(protocol.ReqGetGroupMembers), "no version stored: the list is read")

	back := b.away()
	cd.reset()
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqInviteToGroup, protocol.GroupUsersReq{GroupID: g.GroupID, UserIDs: []string{"erin"}}))
	require.NoError(t, a.c.KickGroupMember(ctx, g.GroupID, "dave"))
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: g.GroupID, UserID: "carl", Role: protocol.RoleAdmin}))
	sg, want := serverGroup(t, a, g.GroupID)
	require.Equal(t, sg.MemberVersion, int64(3)+mustStored(t, b, g.GroupID).MemberVersion, "three changes")
	back()

	waitMembersAsOf(b, g.GroupID, sg.MemberVersion)
	b.c.WaitEvents()
	got, err := b.store.GroupMembers(ctx, g.GroupID)
	require.NoError(t, err)
	assert.Equal(t, want, got, "exactly the current members")
	assert.Positive(t, cd.askedOf(protocol.ReqGroupMemberChanges), "asked for the changes")
	assert.Zero(t, cd.askedOf(protocol.ReqGetGroupMembers), "never for the list")
	b.waitEvents("groupMembersChanged with the current members", 1, func(ev core.Event) bool {
		c, ok := ev.(core.GroupMembersChanged)
		return ok && c.GroupID == g.GroupID && slices.Equal(c.Members, want)
	})

	// A change seen online moves the version too, by the changes alone.
	cd.reset()
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqMuteGroupMember, protocol.MuteGroupMemberReq{GroupID: g.GroupID, UserID: "erin", Seconds: 60}))
	sg, want = serverGroup(t, a, g.GroupID)
	waitMembersAsOf(b, g.GroupID, sg.MemberVersion)
	got, err = b.store.GroupMembers(ctx, g.GroupID)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Zero(t, cd.askedOf(protocol.ReqGetGroupMembers))
}

func mustStored(t *testing.T, d *device, groupID string) core.Group {
	t.Helper()
	g, ok := storedGroup(t, d, groupID)
	require.True(t, ok, "group %s stored", groupID)
	return g
}

// TestGroupMembersWholeListEveryPage: with no version stored, a device
// reads a group larger than one page of group.members whole, every page,
// and stores all its members.
func TestGroupMembersWholeListEveryPage(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	ctx := context.Background()
	n := protocol.MaxGroupMembersPage + 20
	ids := []string{"bob"}
	now := time.Now().UnixMilli()
	for i := len(ids); i < n-1; i++ {
		id := fmt.Sprintf("m%04d", i)
		require.NoError(t, e.st.CreateUser(ctx, &store.User{UserID: id, Nickname: id, CreateTime: now}))
		ids = append(ids, id)
	}
	_, err := e.st.CreateGroup(ctx, store.NewGroup{GroupID: "big", Name: "Big", OwnerUserID: "alice", MemberUserIDs: ids, CreateTime: now})
	require.NoError(t, err)
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	_, err = b.c.JoinedGroupList(ctx)
	require.NoError(t, err)

	name := "Bigger"
	_, err = a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: "big", Name: &name})
	require.NoError(t, err)
	sg, want := serverGroup(t, a, "big")
	require.Len(t, want, n)
	waitMembersAsOf(b, "big", sg.MemberVersion)
	got, err := b.store.GroupMembers(ctx, "big")
	require.NoError(t, err)
	assert.Len(t, got, n, "every page stored")
	assert.True(t, slices.Equal(want, got), "the server's members")
}

// TestGroupMembersAllPages: GroupMembers (getGroupMembers with count 0)
// answers every member of a group larger than one page of group.members,
// and stores them all; from an offset, the rest of them.
func TestGroupMembersAllPages(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	ctx := context.Background()
	n := protocol.MaxGroupMembersPage + 30
	var ids []string
	now := time.Now().UnixMilli()
	for i := 1; i < n; i++ {
		id := fmt.Sprintf("m%04d", i)
		require.NoError(t, e.st.CreateUser(ctx, &store.User{UserID: id, Nickname: id, CreateTime: now}))
		ids = append(ids, id)
	}
	_, err := e.st.CreateGroup(ctx, store.NewGroup{GroupID: "big", Name: "Big", OwnerUserID: "alice", MemberUserIDs: ids, CreateTime: now})
	require.NoError(t, err)
	a := e.device("alice", deviceOpt{})

	all, err := a.c.GroupMembers(ctx, "big")
	require.NoError(t, err)
	require.Equal(t, n, len(all), "every member, not the first page")
	assert.Equal(t, "alice", all[0].UserID, "the owner first")
	seen := map[string]bool{}
	for _, m := range all {
		seen[m.UserID] = true
	}
	assert.Len(t, seen, n, "each once")
	stored, err := a.store.GroupMembers(ctx, "big")
	require.NoError(t, err)
	assert.True(t, slices.Equal(all, stored), "all stored")

	rest, err := a.c.GroupMembersPage(ctx, "big", 510, 0)
	require.NoError(t, err)
	assert.Equal(t, all[510:], rest, "from an offset, the rest")
}
