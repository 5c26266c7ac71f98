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

// TestSocialCatchUpIsIncremental: a device away while a friend is added,
// one deleted, one blacklisted, a group joined and one left finds its
// stored lists right after reconnecting, and was sent only the changed
// rows (user.socialChanges), not the friend list, requests or blacklist.
func TestSocialCatchUpIsIncremental(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, id := range []string{"alice", "bob", "carol", "dave", "erin"} {
		e.user(id)
	}
	// Many friends, so that a whole list would show in the bytes.
	now := time.Now().UnixMilli()
	var friends []string
	for i := 0; i < 300; i++ {
		id := fmt.Sprintf("f%03d", i)
		friends = append(friends, id)
		require.NoError(t, e.st.CreateUser(ctx, &store.User{UserID: id, Nickname: "Friend " + id, CreateTime: now}))
		require.NoError(t, e.st.PutFriendRequest(ctx, store.FriendRequest{FromUserID: id, ToUserID: "alice", State: protocol.FriendRequestPending, CreateTime: now}))
		require.NoError(t, e.st.AcceptFriendRequest(ctx, id, "alice", now))
	}
	require.NoError(t, e.post("/api/v1/admin/friends", adminSecret, map[string]string{"userID": "carol", "friendUserID": "alice"}, nil))
	a1 := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	d := e.device("dave", deviceOpt{})
	old, err := b.c.CreateGroup(ctx, "Old", []string{"alice"})
	require.NoError(t, err)
	cd := &countDialer{}
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop, cfg: func(c *core.Config) { cd.inner = c.Dialer; c.Dialer = cd }})
	a2.waitFor("the old group stored", func() bool {
		gs, err := a2.store.Groups(ctx)
		return err == nil && slices.ContainsFunc(gs, func(g core.Group) bool { return g.GroupID == old.GroupID })
	})
	fs, err := a2.store.Friends(ctx)
	require.NoError(t, err)
	require.Len(t, fs, 301, "the first sync read the whole list")

	back := a2.away()
	// While away: dave becomes a friend, carol is deleted, erin blocked,
	// a group joined and the old one left.
	require.NoError(t, d.c.AddFriend(ctx, "alice", "hi"))
	require.NoError(t, a1.c.AcceptFriendRequest(ctx, "dave"))
	require.NoError(t, a1.c.DeleteFriend(ctx, "carol"))
	require.NoError(t, a1.c.AddBlack(ctx, "erin"))
	joined, err := d.c.CreateGroup(ctx, "New", []string{"alice"})
	require.NoError(t, err)
	require.NoError(t, a1.c.QuitGroup(ctx, old.GroupID))
	listsBefore := cd.readOf(protocol.ReqListFriends) + cd.readOf(protocol.ReqListFriendRequests) + cd.readOf(protocol.ReqListBlocked)
	readBefore := cd.read.Load()
	back()
	a2.waitFor("the groups caught up", func() bool {
		gs, err := a2.store.Groups(ctx)
		if err != nil {
			return false
		}
		has := func(id string) bool {
			return slices.ContainsFunc(gs, func(g core.Group) bool { return g.GroupID == id })
		}
		return has(joined.GroupID) && !has(old.GroupID)
	})
	a2.waitFor("the friends caught up", func() bool {
		fs, err := a2.store.Friends(ctx)
		return err == nil && slices.ContainsFunc(fs, func(u core.User) bool { return u.UserID == "dave" })
	})

	fs, err = a2.store.Friends(ctx)
	require.NoError(t, err)
	ids := sortedIDs(fs)
	assert.Len(t, ids, 301)
	assert.Contains(t, ids, "dave")
	assert.NotContains(t, ids, "carol")
	assert.Subset(t, ids, friends)
	black, err := a2.store.BlackList(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"erin"}, sortedIDs(black))
	rs, err := a2.store.FriendRequests(ctx)
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(rs, func(r core.FriendRequest) bool {
		return r.FromUserID == "dave" && r.State == protocol.FriendRequestAccepted
	}), "dave's request, accepted")

	// Only the changed rows came: no list was read again.
	lists := cd.readOf(protocol.ReqListFriends) + cd.readOf(protocol.ReqListFriendRequests) + cd.readOf(protocol.ReqListBlocked)
	assert.Equal(t, listsBefore, lists, "no whole list read after reconnecting")
	assert.NotZero(t, cd.readOf(protocol.ReqSocialChanges))
	assert.Less(t, cd.readOf(protocol.ReqSocialChanges), int64(2000), "three users' rows")
	t.Logf("back: %d bytes read, of them %d socialChanges", cd.read.Load()-readBefore, cd.readOf(protocol.ReqSocialChanges))
}
