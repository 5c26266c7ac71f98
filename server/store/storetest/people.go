package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server/store"
)

func testFriendLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c")

	// Refusing: only a pending request, once.
	require.NoError(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "a", ToUserID: "b", Message: "hi", CreateTime: 1}))
	_, err := s.RefuseFriendRequest(ctx, "b", "a", 2)
	assert.ErrorIs(t, err, store.ErrNotFound, "refusing a request that was never made")
	r, err := s.RefuseFriendRequest(ctx, "a", "b", 3)
	require.NoError(t, err)
	assert.Equal(t, store.FriendRequest{FromUserID: "a", ToUserID: "b", Message: "hi", State: protocol.FriendRequestRefused, CreateTime: 1, HandleTime: 3}, *r)
	_, err = s.RefuseFriendRequest(ctx, "a", "b", 4)
	assert.ErrorIs(t, err, store.ErrNotFound, "refusing twice")
	ok, err := s.AreFriends(ctx, "a", "b")
	require.NoError(t, err)
	assert.False(t, ok)

	// The list holds every state, both directions, latest activity first.
	require.NoError(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "c", ToUserID: "a", CreateTime: 2}))
	all, err := s.AllFriendRequests(ctx, "a", 10)
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, []string{protocol.FriendRequestRefused, protocol.FriendRequestPending}, []string{all[0].State, all[1].State})
	all, err = s.AllFriendRequests(ctx, "a", 1)
	require.NoError(t, err)
	assert.Len(t, all, 1, "limit")
	pending, err := s.FriendRequests(ctx, "a", 10)
	require.NoError(t, err)
	assert.Len(t, pending, 1, "FriendRequests lists the pending ones only")

	// A refused request may be made again.
	require.NoError(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "a", ToUserID: "b", Message: "again", CreateTime: 5}))
	r, err = s.FriendRequest(ctx, "a", "b")
	require.NoError(t, err)
	assert.Equal(t, protocol.FriendRequestPending, r.State)
	assert.Zero(t, r.HandleTime)

	// Remarks are per side; deleting ends both sides.
	require.NoError(t, s.AcceptFriendRequest(ctx, "a", "b", 6))
	assert.ErrorIs(t, s.SetFriendRemark(ctx, "a", "c", "x"), store.ErrNotFound, "remark for a non-friend")
	require.NoError(t, s.SetFriendRemark(ctx, "a", "b", "Bobby"))
	fa, err := s.Friends(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, []store.Friend{{FriendUserID: "b", Remark: "Bobby", CreateTime: 6}}, fa)
	fb, err := s.Friends(ctx, "b")
	require.NoError(t, err)
	assert.Equal(t, []store.Friend{{FriendUserID: "a", CreateTime: 6}}, fb)

	assert.ErrorIs(t, s.DeleteFriend(ctx, "a", "c"), store.ErrNotFound)
	require.NoError(t, s.DeleteFriend(ctx, "b", "a"))
	for _, p := range [][2]string{{"a", "b"}, {"b", "a"}} {
		ok, err := s.AreFriends(ctx, p[0], p[1])
		require.NoError(t, err)
		assert.False(t, ok, "%v after delete", p)
	}
	fa, err = s.Friends(ctx, "a")
	require.NoError(t, err)
	assert.Empty(t, fa)
	assert.ErrorIs(t, s.DeleteFriend(ctx, "a", "b"), store.ErrNotFound, "deleting twice")

	// After a delete they may ask again, and a new friendship has no remark.
	require.NoError(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "b", ToUserID: "a", CreateTime: 7}))
	require.NoError(t, s.AcceptFriendRequest(ctx, "b", "a", 8))
	fa, err = s.Friends(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, []store.Friend{{FriendUserID: "b", CreateTime: 8}}, fa)
}

func testBlockList(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c", "d")
	ids, err := s.BlockedUsers(ctx, "a", 10)
	require.NoError(t, err)
	assert.Empty(t, ids)
	require.NoError(t, s.BlockUser(ctx, "a", "b", 1))
	require.NoError(t, s.BlockUser(ctx, "a", "c", 2))
	require.NoError(t, s.BlockUser(ctx, "a", "b", 3)) // again: keeps its place
	require.NoError(t, s.BlockUser(ctx, "d", "a", 4))
	ids, err = s.BlockedUsers(ctx, "a", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "b"}, ids, "most recent first, a's own only")
	ids, err = s.BlockedUsers(ctx, "a", 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, ids, "limit")
	require.NoError(t, s.UnblockUser(ctx, "a", "c"))
	ids, err = s.BlockedUsers(ctx, "a", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, ids)
}

func testProfiles(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c", "d", "x")
	// b is a's friend, c shares a group with a, d and x are strangers.
	require.NoError(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "a", ToUserID: "b", CreateTime: 1}))
	require.NoError(t, s.AcceptFriendRequest(ctx, "a", "b", 2))
	_, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g1", Name: "G", OwnerUserID: "c", MemberUserIDs: []string{"a"}, CreateTime: 3})
	require.NoError(t, err)
	related, err := s.RelatedUserIDs(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c"}, related)
	related, err = s.RelatedUserIDs(ctx, "x")
	require.NoError(t, err)
	assert.Empty(t, related)

	nick, ex := "Bee", `{"city":"Oslo"}`
	b, err := s.UpdateUserProfile(ctx, "b", store.ProfileChange{Nickname: &nick, Ex: &ex})
	require.NoError(t, err)
	assert.Equal(t, "Bee", b.Nickname)
	assert.Equal(t, ex, b.Ex)
	assert.Equal(t, "", b.FaceURL)
	assert.Positive(t, b.ProfileVersion)
	face := "https://f/x.png"
	d, err := s.UpdateUserProfile(ctx, "d", store.ProfileChange{FaceURL: &face})
	require.NoError(t, err)
	c, err := s.UpdateUserProfile(ctx, "c", store.ProfileChange{})
	require.NoError(t, err)
	assert.Greater(t, d.ProfileVersion, b.ProfileVersion)
	assert.Greater(t, c.ProfileVersion, d.ProfileVersion)
	_, err = s.UpdateUserProfile(ctx, "ghost", store.ProfileChange{Nickname: &nick})
	assert.ErrorIs(t, err, store.ErrNotFound)

	ids := func(us []*store.User) []string {
		out := []string{}
		for _, u := range us {
			out = append(out, u.UserID)
		}
		return out
	}
	got, err := s.ChangedProfiles(ctx, "a", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c"}, ids(got), "related users only, ascending by version")
	assert.Equal(t, ex, got[0].Ex)
	got, err = s.ChangedProfiles(ctx, "a", b.ProfileVersion, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, ids(got), "above the cursor only")
	got, err = s.ChangedProfiles(ctx, "a", 0, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, ids(got), "limit")
	self, err := s.UpdateUserProfile(ctx, "a", store.ProfileChange{Ex: &ex})
	require.NoError(t, err)
	got, err = s.ChangedProfiles(ctx, "a", c.ProfileVersion, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, ids(got), "the user's own")
	u, err := s.User(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, self.ProfileVersion, u.ProfileVersion)
	assert.Equal(t, ex, u.Ex)
	// UpdateProfile versions too.
	nick2 := "Ay"
	u2, err := s.UpdateProfile(ctx, "a", &nick2, nil)
	require.NoError(t, err)
	assert.Greater(t, u2.ProfileVersion, self.ProfileVersion)
	assert.Equal(t, ex, u2.Ex, "left as it was")
}

func testSearch(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, u := range []store.User{
		{UserID: "u1", Username: "anna", Nickname: "Anna Smith"},
		{UserID: "u2", Username: "annabel", Nickname: "Bel"},
		{UserID: "u3", Username: "bob", Nickname: "Bobby Hanna"},
		{UserID: "u4", Username: "zed", Nickname: "Joanna"},
		{UserID: "u5", Nickname: "Hidden Anna"}, // admin-made: no username
		{UserID: "u6", Username: "pct_x", Nickname: "100%_done"},
	} {
		u.CreateTime = 1
		require.NoError(t, s.CreateUser(ctx, &u))
	}
	ids := func(keyword string, offset, limit int) []string {
		t.Helper()
		us, err := s.SearchUsers(ctx, keyword, offset, limit)
		require.NoError(t, err)
		out := []string{}
		for _, u := range us {
			out = append(out, u.UserID)
		}
		return out
	}
	assert.Equal(t, []string{"u1", "u2", "u3", "u4", "u5"}, ids("ann", 0, 10), "username prefix first, then nickname substring, by UserID")
	assert.Equal(t, []string{"u1", "u2"}, ids("an", 0, 10), "a short keyword: usernames only")
	assert.Equal(t, []string{"u2", "u3"}, ids("ann", 1, 2), "paged")
	assert.Equal(t, []string{"u3"}, ids("bobby", 0, 10), "a nickname, case-insensitively")
	assert.Empty(t, ids("nobody", 0, 10))
	assert.Equal(t, []string{"u6"}, ids("0%_", 0, 10), "wildcards are literal")
	assert.Empty(t, ids("a%", 0, 10), "a wildcard matches itself only")

	nick := "Anna S."
	_, err := s.UpdateUserProfile(ctx, "u3", store.ProfileChange{Nickname: &nick})
	require.NoError(t, err)
	assert.Equal(t, []string{"u1", "u2", "u3", "u4", "u5"}, ids("ann", 0, 10), "a rename is searched by its new name")
	assert.Empty(t, ids("bobby", 0, 10), "and no longer by the old one")

	require.NoError(t, s.SetSearchable(ctx, "u1", false))
	require.NoError(t, s.SetSearchable(ctx, "u5", false))
	assert.Equal(t, []string{"u2", "u3", "u4"}, ids("ann", 0, 10), "opted out: never listed")
	require.NoError(t, s.SetSearchable(ctx, "u1", true))
	assert.Equal(t, []string{"u1", "u2", "u3", "u4"}, ids("ann", 0, 10))
	assert.ErrorIs(t, s.SetSearchable(ctx, "ghost", false), store.ErrNotFound)
}

func testAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b")
	u, err := s.User(ctx, "a")
	require.NoError(t, err)
	assert.False(t, u.Disabled)
	require.NoError(t, s.SetDisabled(ctx, "a", true))
	u, err = s.User(ctx, "a")
	require.NoError(t, err)
	assert.True(t, u.Disabled)
	us, err := s.Users(ctx, []string{"a", "b"})
	require.NoError(t, err)
	for _, u := range us {
		assert.Equal(t, u.UserID == "a", u.Disabled, u.UserID)
	}
	require.NoError(t, s.SetDisabled(ctx, "a", false))
	u, err = s.User(ctx, "a")
	require.NoError(t, err)
	assert.False(t, u.Disabled)
	assert.ErrorIs(t, s.SetDisabled(ctx, "ghost", true), store.ErrNotFound)
}

func testSocialVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c")
	version := func(id string) int64 {
		u, err := s.User(ctx, id)
		require.NoError(t, err)
		return u.SocialVersion
	}
	assert.Zero(t, version("a"))
	require.NoError(t, s.RecordSocialChanges(ctx, store.SocialChange{UserID: "a", OtherUserID: "b"}, store.SocialChange{UserID: "b", OtherUserID: "a"}))
	require.NoError(t, s.RecordSocialChanges(ctx, store.SocialChange{UserID: "b", OtherUserID: "c"}, store.SocialChange{UserID: "ghost", OtherUserID: "b"}))
	assert.Equal(t, int64(1), version("a"))
	assert.Equal(t, int64(2), version("b"))

	chs, err := s.SocialChanges(ctx, "b", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []store.SocialChange{{UserID: "b", OtherUserID: "a", Version: 1}, {UserID: "b", OtherUserID: "c", Version: 2}}, chs)
	chs, err = s.SocialChanges(ctx, "b", 1, 10)
	require.NoError(t, err)
	assert.Equal(t, []store.SocialChange{{UserID: "b", OtherUserID: "c", Version: 2}}, chs)
	chs, err = s.SocialChanges(ctx, "b", 0, 1)
	require.NoError(t, err)
	assert.Len(t, chs, 1, "limit")
	chs, err = s.SocialChanges(ctx, "ghost", 0, 10)
	require.NoError(t, err)
	assert.Empty(t, chs)

	// The log keeps the last SocialChangeLog changes of each user.
	many := make([]store.SocialChange, store.SocialChangeLog+1)
	for i := range many {
		many[i] = store.SocialChange{UserID: "c", OtherUserID: "b"}
	}
	require.NoError(t, s.RecordSocialChanges(ctx, many...))
	chs, err = s.SocialChanges(ctx, "c", 0, store.SocialChangeLog+5)
	require.NoError(t, err)
	require.Len(t, chs, store.SocialChangeLog)
	assert.Equal(t, int64(2), chs[0].Version, "the oldest change pruned")
	assert.Equal(t, version("c"), chs[len(chs)-1].Version)
}

func testFriend(t *testing.T, s store.Store) {
	ctx := context.Background()
	addUsers(t, s, "a", "b", "c")
	require.NoError(t, s.PutFriendRequest(ctx, store.FriendRequest{FromUserID: "a", ToUserID: "b", State: protocol.FriendRequestPending, CreateTime: 5}))
	require.NoError(t, s.AcceptFriendRequest(ctx, "a", "b", 7))
	require.NoError(t, s.SetFriendRemark(ctx, "a", "b", "Bee"))
	f, err := s.Friend(ctx, "a", "b")
	require.NoError(t, err)
	assert.Equal(t, "b", f.FriendUserID)
	assert.Equal(t, "Bee", f.Remark)
	assert.NotZero(t, f.CreateTime)
	f, err = s.Friend(ctx, "b", "a")
	require.NoError(t, err)
	assert.Empty(t, f.Remark, "a remark is one side's")
	_, err = s.Friend(ctx, "a", "c")
	assert.ErrorIs(t, err, store.ErrNotFound)
}
