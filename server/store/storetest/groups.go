package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server/store"
)

func ptr[T any](v T) *T { return &v }

func testGroupAdmin(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "a", "m", "n")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "o", MemberUserIDs: []string{"a", "m"}, CreateTime: 1})
	require.NoError(t, err)
	g, err := s.Group(ctx, "g1")
	require.NoError(t, err)
	assert.Equal(t, protocol.JoinPolicyApproval, g.JoinPolicy, "the default policy")

	g, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{Introduction: ptr("intro"), Notification: ptr("news"),
		JoinPolicy: ptr(protocol.JoinPolicyOpen), IsMuted: ptr(true)})
	require.NoError(t, err)
	assert.Equal(t, "G", g.Name, "an unset field is kept")
	assert.Equal(t, "intro", g.Introduction)
	assert.Equal(t, "news", g.Notification)
	assert.Equal(t, protocol.JoinPolicyOpen, g.JoinPolicy)
	assert.True(t, g.IsMuted)
	_, err = s.UpdateGroup(ctx, "nope", store.GroupUpdate{Name: ptr("x")})
	require.ErrorIs(t, err, store.ErrNotFound)

	// Roles, mutes and nicknames.
	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleAdmin))
	require.ErrorIs(t, s.SetGroupMemberRole(ctx, "g1", "n", protocol.RoleAdmin), store.ErrNotMember)
	require.NoError(t, s.SetGroupMemberMute(ctx, "g1", "m", 500))
	require.NoError(t, s.SetGroupMemberNickname(ctx, "g1", "m", "Em"))
	require.ErrorIs(t, s.SetGroupMemberNickname(ctx, "g1", "n", "x"), store.ErrNotMember)
	mm, err := s.GroupMember(ctx, "g1", "m")
	require.NoError(t, err)
	assert.Equal(t, "Em", mm.Nickname)
	assert.Equal(t, int64(500), mm.MuteEndTime)
	for _, c := range []struct {
		user  string
		now   int64
		muted bool
	}{
		{"m", 499, true}, {"m", 500, true}, // the group is muted too
		{"a", 499, false}, {"o", 499, false}, {"n", 1, false},
	} {
		got, err := s.GroupSendMuted(ctx, "g1", c.user, c.now)
		require.NoError(t, err)
		assert.Equal(t, c.muted, got, "%s at %d", c.user, c.now)
	}
	_, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{IsMuted: ptr(false)})
	require.NoError(t, err)
	for now, want := range map[int64]bool{499: true, 500: false} {
		got, err := s.GroupSendMuted(ctx, "g1", "m", now)
		require.NoError(t, err)
		assert.Equal(t, want, got, "m's own mute at %d", now)
	}

	// Transfer: the old owner becomes a member.
	g, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{OwnerUserID: ptr("a")})
	require.NoError(t, err)
	assert.Equal(t, "a", g.OwnerUserID)
	for id, role := range map[string]string{"a": protocol.RoleOwner, "o": protocol.RoleMember} {
		m, err := s.GroupMember(ctx, "g1", id)
		require.NoError(t, err)
		assert.Equal(t, role, m.Role, id)
	}
	_, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{OwnerUserID: ptr("n")})
	require.ErrorIs(t, err, store.ErrNotMember)
	g, _ = s.Group(ctx, "g1")
	assert.Equal(t, "a", g.OwnerUserID, "a failed transfer changes nothing")
}

func testAddGroupMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "m", "n", "p")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "o", MemberUserIDs: []string{"m"}, CreateTime: 1})
	require.NoError(t, err)
	append1(t, s, group("o", "g1", "k1", 2))
	append1(t, s, group("o", "g1", "k2", 3))
	oBefore, err := s.Conversation(ctx, "o", "sg_g1")
	require.NoError(t, err)

	added, err := s.AddGroupMembers(ctx, "g1", []string{"n", "m", "n"}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"n"}, added, "members already in are left out")
	_, err = s.AddGroupMembers(ctx, "g1", []string{"ghost"}, 10)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AddGroupMembers(ctx, "nope", []string{"p"}, 10)
	require.ErrorIs(t, err, store.ErrNotFound)

	st, err := s.Conversation(ctx, "n", "sg_g1")
	require.NoError(t, err)
	assert.Equal(t, int64(3), st.MinSeq, "no history before the join")
	oAfter, err := s.Conversation(ctx, "o", "sg_g1")
	require.NoError(t, err)
	assert.Greater(t, oAfter.GroupVersion, oBefore.Version, "the others' next sync reports the change")
	r := append1(t, s, group("n", "g1", "k3", 11))
	require.NoError(t, r.Err, "a new member sends")
	assert.ElementsMatch(t, []string{"o", "m", "n"}, r.Recipients)

	// A removed member who comes back is no longer marked removed.
	require.NoError(t, s.RemoveGroupMember(ctx, "g1", "m"))
	append1(t, s, group("o", "g1", "k4", 12))
	added, err = s.AddGroupMembers(ctx, "g1", []string{"m"}, 13)
	require.NoError(t, err)
	assert.Equal(t, []string{"m"}, added)
	st, err = s.Conversation(ctx, "m", "sg_g1")
	require.NoError(t, err)
	assert.False(t, st.Removed)
	assert.Equal(t, int64(5), st.MinSeq)
	assert.Equal(t, 0, int(st.MaxSeq-st.ReadSeq), "what they missed is not unread")
	require.NoError(t, append1(t, s, group("m", "g1", "k5", 14)).Err)
}

func testDismissGroup(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "m")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "o", MemberUserIDs: []string{"m"}, CreateTime: 1})
	require.NoError(t, err)
	append1(t, s, group("o", "g1", "k1", 2))
	require.NoError(t, s.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "g1", UserID: "m", CreateTime: 2}))
	members, err := s.DismissGroup(ctx, "g1")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"o", "m"}, members)
	g, err := s.Group(ctx, "g1")
	require.NoError(t, err)
	assert.True(t, g.Dismissed)
	assert.Equal(t, 0, g.MemberCount)
	for _, id := range members {
		st, err := s.Conversation(ctx, id, "sg_g1")
		require.NoError(t, err)
		assert.True(t, st.Removed, id)
		assert.Equal(t, int64(1), st.MaxSeq, id)
	}
	gs, err := s.UserGroups(ctx, "o")
	require.NoError(t, err)
	assert.Empty(t, gs)
	_, err = s.DismissGroup(ctx, "g1")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AddGroupMembers(ctx, "g1", []string{"m"}, 3)
	require.ErrorIs(t, err, store.ErrNotFound, "nobody joins a dismissed group")
	_, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{Name: ptr("x")})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GroupApplication(ctx, "g1", "m")
	require.ErrorIs(t, err, store.ErrNotFound, "pending applications go with the group")
}

// testApplicationChanges: making and deciding an application logs a
// social change, keyed by group and applicant, for the applicant and
// the group's owner and admins at that moment, and no one else.
func testApplicationChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "a", "m", "x")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "g1", OwnerUserID: "o", MemberUserIDs: []string{"a", "m"}, CreateTime: 1})
	require.NoError(t, err)
	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleAdmin))
	changes := func(id string) []store.SocialChange {
		t.Helper()
		chs, err := s.SocialChanges(ctx, id, 0, 10)
		require.NoError(t, err)
		return chs
	}
	require.NoError(t, s.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "g1", UserID: "x", CreateTime: 5}))
	for _, id := range []string{"o", "a", "x"} {
		assert.Equal(t, []store.SocialChange{{UserID: id, OtherUserID: "x", GroupID: "g1", Version: 1}}, changes(id), id)
	}
	assert.Empty(t, changes("m"), "a plain member decides nothing")

	// The admin demoted: the decision reaches the owner and the applicant.
	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleMember))
	require.NoError(t, s.DecideGroupApplication(ctx, "g1", "x", protocol.ApplicationRefused, 9))
	assert.Equal(t, []store.SocialChange{{UserID: "o", OtherUserID: "x", GroupID: "g1", Version: 1}, {UserID: "o", OtherUserID: "x", GroupID: "g1", Version: 2}}, changes("o"))
	assert.Len(t, changes("x"), 2)
	assert.Len(t, changes("a"), 1)
	u, err := s.User(ctx, "x")
	require.NoError(t, err)
	assert.Equal(t, int64(2), u.SocialVersion, "the version moves with the log")

	// No pending application to decide: nothing logged.
	require.ErrorIs(t, s.DecideGroupApplication(ctx, "g1", "x", protocol.ApplicationAccepted, 10), store.ErrNotFound)
	assert.Len(t, changes("o"), 2)
}

// testPromotionApplications: a member made admin or owner gets a social
// change for each pending application of the group (and not the decided
// ones), in the promotion's transaction; a demotion, or a promotion of
// one who already decided, logs nothing.
func testPromotionApplications(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "a", "m", "x", "y", "z")
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "g1", OwnerUserID: "o", MemberUserIDs: []string{"a", "m"}, CreateTime: 1})
	require.NoError(t, err)
	_, err = s.CreateGroup(ctx, store.NewGroup{GroupID: "g2", Name: "g2", OwnerUserID: "o", CreateTime: 1})
	require.NoError(t, err)
	changes := func(id string) []store.SocialChange {
		t.Helper()
		chs, err := s.SocialChanges(ctx, id, 0, 10)
		require.NoError(t, err)
		return chs
	}
	for i, id := range []string{"x", "y", "z"} {
		require.NoError(t, s.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "g1", UserID: id, CreateTime: int64(5 + i)}))
	}
	require.NoError(t, s.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "g2", UserID: "x", CreateTime: 9}))
	require.NoError(t, s.DecideGroupApplication(ctx, "g1", "y", protocol.ApplicationRefused, 10))
	require.Empty(t, changes("a"))

	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleAdmin))
	assert.Equal(t, []store.SocialChange{
		{UserID: "a", OtherUserID: "z", GroupID: "g1", Version: 1},
		{UserID: "a", OtherUserID: "x", GroupID: "g1", Version: 2},
	}, changes("a"), "the pending applications of that group only, newest first")
	u, err := s.User(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, int64(2), u.SocialVersion, "the version moves with the log")

	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleAdmin))
	assert.Len(t, changes("a"), 2, "already admin: nothing new")
	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleMember))
	assert.Len(t, changes("a"), 2, "a demotion logs nothing")

	// Made owner from member: the same; the old owner, now a member, gets nothing.
	oBefore := len(changes("o"))
	_, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{OwnerUserID: ptr("m")})
	require.NoError(t, err)
	assert.Equal(t, []store.SocialChange{
		{UserID: "m", OtherUserID: "z", GroupID: "g1", Version: 1},
		{UserID: "m", OtherUserID: "x", GroupID: "g1", Version: 2},
	}, changes("m"))
	assert.Len(t, changes("o"), oBefore)

	// An admin made owner could decide already: nothing new.
	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleAdmin))
	aBefore := len(changes("a"))
	_, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{OwnerUserID: ptr("a")})
	require.NoError(t, err)
	assert.Len(t, changes("a"), aBefore)

	require.ErrorIs(t, s.SetGroupMemberRole(ctx, "g1", "x", protocol.RoleAdmin), store.ErrNotMember)
	assert.Len(t, changes("x"), 2, "a refused promotion logs nothing")

	pending, err := s.GroupPendingApplications(ctx, "g1", 10)
	require.NoError(t, err)
	assert.Equal(t, []protocol.GroupApplication{
		{GroupID: "g1", UserID: "z", State: protocol.ApplicationPending, CreateTime: 7},
		{GroupID: "g1", UserID: "x", State: protocol.ApplicationPending, CreateTime: 5},
	}, pending, "the group's pending applications, newest first")
	pending, err = s.GroupPendingApplications(ctx, "g1", 1)
	require.NoError(t, err)
	assert.Len(t, pending, 1)
	pending, err = s.GroupPendingApplications(ctx, "nope", 10)
	require.NoError(t, err)
	assert.Empty(t, pending)
}

func testGroupApplications(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "a", "m", "x", "y")
	for _, g := range []string{"g1", "g2"} {
		_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: g, Name: g, OwnerUserID: "o", MemberUserIDs: []string{"a", "m"}, CreateTime: 1})
		require.NoError(t, err)
	}
	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleAdmin))
	require.NoError(t, s.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "g1", UserID: "x", Message: "hi", CreateTime: 5}))
	require.NoError(t, s.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "g2", UserID: "x", CreateTime: 6}))
	require.NoError(t, s.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "g1", UserID: "y", CreateTime: 7}))
	n, err := s.PendingApplications(ctx, "x")
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	key := func(as []protocol.GroupApplication) (out []string) {
		for _, a := range as {
			out = append(out, a.GroupID+"/"+a.UserID)
		}
		return out
	}
	for user, want := range map[string][]string{
		"o": {"g1/y", "g2/x", "g1/x"}, // owner of both, newest first
		"a": {"g1/y", "g1/x"},         // admin of g1 only
		"m": nil,                      // a plain member decides nothing
		"x": {"g2/x", "g1/x"},         // their own
	} {
		as, err := s.GroupApplications(ctx, user, 10)
		require.NoError(t, err)
		assert.Equal(t, want, key(as), user)
	}
	as, err := s.GroupApplications(ctx, "o", 1)
	require.NoError(t, err)
	assert.Len(t, as, 1, "limit")

	require.NoError(t, s.DecideGroupApplication(ctx, "g1", "x", protocol.ApplicationAccepted, 9))
	require.ErrorIs(t, s.DecideGroupApplication(ctx, "g1", "x", protocol.ApplicationRefused, 10), store.ErrNotFound, "decided once")
	require.ErrorIs(t, s.DecideGroupApplication(ctx, "g1", "nobody", protocol.ApplicationRefused, 10), store.ErrNotFound)
	a, err := s.GroupApplication(ctx, "g1", "x")
	require.NoError(t, err)
	assert.Equal(t, protocol.GroupApplication{GroupID: "g1", UserID: "x", Message: "hi", State: protocol.ApplicationAccepted, CreateTime: 5, HandleTime: 9}, *a)
	n, err = s.PendingApplications(ctx, "x")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	// Applying again makes it pending again.
	require.NoError(t, s.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "g1", UserID: "x", Message: "again", CreateTime: 11}))
	a, err = s.GroupApplication(ctx, "g1", "x")
	require.NoError(t, err)
	assert.Equal(t, protocol.ApplicationPending, a.State)
	assert.Equal(t, int64(0), a.HandleTime)

	// Bans.
	for _, step := range []struct {
		do   func() error
		want bool
	}{
		{func() error { return nil }, false},
		{func() error { return s.BanGroupUser(ctx, "g1", "x", 1) }, true},
		{func() error { return s.BanGroupUser(ctx, "g1", "x", 2) }, true},
		{func() error { return s.UnbanGroupUser(ctx, "g1", "x") }, false},
		{func() error { return s.UnbanGroupUser(ctx, "g1", "x") }, false},
	} {
		require.NoError(t, step.do())
		b, err := s.GroupBanned(ctx, "g1", "x")
		require.NoError(t, err)
		assert.Equal(t, step.want, b)
	}
}

func testGroupMemberChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "o", "a", "m", "n", "p")
	g, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "o", MemberUserIDs: []string{"a", "m"}, CreateTime: 1})
	require.NoError(t, err)
	assert.Equal(t, int64(1), g.MemberVersion, "a new group starts at 1")
	g, err = s.Group(ctx, "g1")
	require.NoError(t, err)
	assert.Equal(t, int64(1), g.MemberVersion)
	chs, err := s.GroupMemberChanges(ctx, "g1", 0, 10)
	require.NoError(t, err)
	assert.Empty(t, chs, "creation is not logged: version 1 is the start")

	// Every change of a member is one version, logged with that member.
	_, err = s.AddGroupMembers(ctx, "g1", []string{"n", "p", "m"}, 5)
	require.NoError(t, err)
	require.NoError(t, s.SetGroupMemberRole(ctx, "g1", "a", protocol.RoleAdmin))
	require.NoError(t, s.SetGroupMemberMute(ctx, "g1", "m", 500))
	require.NoError(t, s.SetGroupMemberNickname(ctx, "g1", "n", "En"))
	require.NoError(t, s.RemoveGroupMember(ctx, "g1", "p"))
	_, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{OwnerUserID: ptr("a")})
	require.NoError(t, err)
	_, err = s.UpdateGroup(ctx, "g1", store.GroupUpdate{Name: ptr("G2")})
	require.NoError(t, err)
	require.ErrorIs(t, s.SetGroupMemberRole(ctx, "g1", "ghost", protocol.RoleAdmin), store.ErrNotMember)

	g, err = s.Group(ctx, "g1")
	require.NoError(t, err)
	assert.Equal(t, int64(9), g.MemberVersion, "2 added, role, mute, nickname, removal, transfer (2); not the name nor a failed change")
	ugs, err := s.UserGroups(ctx, "o")
	require.NoError(t, err)
	require.Len(t, ugs, 1)
	assert.Equal(t, int64(9), ugs[0].MemberVersion)

	chs, err = s.GroupMemberChanges(ctx, "g1", 1, 100)
	require.NoError(t, err)
	var users []string
	for i, ch := range chs {
		assert.Equal(t, int64(i+2), ch.Version, "ascending, one version each")
		users = append(users, ch.UserID)
	}
	assert.Equal(t, []string{"n", "p", "a", "m", "n", "p", "a", "o"}, users)
	byUser := map[string]*protocol.GroupMember{}
	for _, ch := range chs {
		byUser[ch.UserID] = ch.Member
	}
	require.NotNil(t, byUser["a"])
	assert.Equal(t, protocol.GroupMember{GroupID: "g1", UserID: "a", Role: protocol.RoleOwner, JoinTime: 1}, *byUser["a"], "the row as it is now")
	require.NotNil(t, byUser["m"])
	assert.Equal(t, int64(500), byUser["m"].MuteEndTime)
	require.NotNil(t, byUser["n"])
	assert.Equal(t, "En", byUser["n"].Nickname)
	assert.Equal(t, int64(5), byUser["n"].JoinTime)
	assert.Equal(t, protocol.RoleMember, byUser["o"].Role)
	assert.Nil(t, byUser["p"], "a removed member has no row")

	chs, err = s.GroupMemberChanges(ctx, "g1", 7, 1)
	require.NoError(t, err)
	require.Len(t, chs, 1)
	assert.Equal(t, int64(8), chs[0].Version, "since is exclusive; limit bounds")
	chs, err = s.GroupMemberChanges(ctx, "g1", 9, 10)
	require.NoError(t, err)
	assert.Empty(t, chs)
	chs, err = s.GroupMemberChanges(ctx, "nope", 0, 10)
	require.NoError(t, err)
	assert.Empty(t, chs)

	// The log keeps the last GroupMemberChangeLog changes.
	for i := 0; i < store.GroupMemberChangeLog; i++ {
		require.NoError(t, s.SetGroupMemberMute(ctx, "g1", "m", int64(i)))
	}
	chs, err = s.GroupMemberChanges(ctx, "g1", 0, store.GroupMemberChangeLog+5)
	require.NoError(t, err)
	require.Len(t, chs, store.GroupMemberChangeLog)
	assert.Equal(t, int64(10), chs[0].Version, "the oldest are pruned")

	// A dismissed group's log goes with its members.
	_, err = s.DismissGroup(ctx, "g1")
	require.NoError(t, err)
	chs, err = s.GroupMemberChanges(ctx, "g1", 0, 10)
	require.NoError(t, err)
	assert.Empty(t, chs)
}
