package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// count returns how many of d's events so far match.
func count(d *device, match func(core.Event) bool) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, ev := range d.events {
		if match(ev) {
			n++
		}
	}
	return n
}

// waitEvents waits until d has had n events that match.
func (d *device) waitEvents(what string, n int, match func(core.Event) bool) {
	d.t.Helper()
	d.waitFor(what, func() bool {
		k := 0
		for _, ev := range d.events {
			if match(ev) {
				k++
			}
		}
		return k >= n
	})
}

// away takes d off the network until back is called.
func (d *device) away() (back func()) {
	d.dial.down.Store(true)
	d.dial.cut()
	d.waitState(core.ConnDisconnected)
	return func() {
		d.dial.down.Store(false)
		d.waitState(core.ConnConnected)
	}
}

// TestFriendLifecycle: a request fires once, is refused, asked again and
// accepted, given a remark and deleted, while a second device of the
// requester is away for each change and learns of it when it is back.
func TestFriendLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a1 := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	for _, d := range []*device{a1, a2, b} {
		d.waitState(core.ConnConnected)
	}
	ctx := context.Background()
	received := func(ev core.Event) bool { _, ok := ev.(core.FriendRequestReceived); return ok }
	refused := func(ev core.Event) bool { r, ok := ev.(core.FriendRequestRefused); return ok && r.UserID == "bob" }

	require.NoError(t, a1.c.AddFriend(ctx, "bob", "hi"))
	b.waitEvents("the request", 1, received)
	// Asking again while it is pending: no second request, no second event.
	require.NoError(t, a1.c.AddFriend(ctx, "bob", "hi"))
	reqs, err := b.c.FriendRequests(ctx)
	require.NoError(t, err)
	require.Len(t, reqs, 1)
	assert.Equal(t, protocol.FriendRequestPending, reqs[0].State)
	assert.Equal(t, 1, count(b, received), "friendRequestReceived fires once")
	n, err := b.c.FriendRequestUnhandledCount(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 0, count(a1, received), "one's own request is not 'received'")

	// Refused while a2 is away.
	back := a2.away()
	require.NoError(t, b.c.RefuseFriendRequest(ctx, "alice"))
	a1.waitEvents("refused", 1, refused)
	n, err = b.c.FriendRequestUnhandledCount(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n, "refused: handled")
	back()
	a2.waitEvents("refused, learned after being away", 1, refused)
	rs, err := a2.c.FriendRequests(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, protocol.FriendRequestRefused, rs[0].State)
	assert.NotZero(t, rs[0].HandleTime)

	// Asked again and accepted.
	require.NoError(t, a1.c.AddFriend(ctx, "bob", "please"))
	b.waitEvents("the second request", 2, received)
	require.NoError(t, b.c.AcceptFriendRequest(ctx, "alice"))
	a2.waitEvents("friend added", 1, func(ev core.Event) bool { f, ok := ev.(core.FriendAdded); return ok && f.User.UserID == "bob" })

	// A remark set on a1 while a2 is away.
	back = a2.away()
	require.NoError(t, a1.c.SetFriendRemark(ctx, "bob", "Bobby"))
	fs, err := a1.c.FriendList(ctx)
	require.NoError(t, err)
	require.Len(t, fs, 1)
	assert.Equal(t, "Bobby", fs[0].Remark)
	back()
	a2.waitEvents("the remark", 1, func(ev core.Event) bool { f, ok := ev.(core.FriendInfoChanged); return ok && f.User.Remark == "Bobby" })
	us, err := b.c.FriendList(ctx)
	require.NoError(t, err)
	require.Len(t, us, 1)
	assert.Empty(t, us[0].Remark, "alice's remark is hers")
	cached, err := a2.c.UsersInfo(ctx, []string{"bob"})
	require.NoError(t, err)
	require.Len(t, cached, 1)
	assert.Empty(t, cached[0].Remark, "a profile carries no remark")

	// Deleted by bob while a2 is away.
	back = a2.away()
	deleted := func(who string) func(core.Event) bool {
		return func(ev core.Event) bool { d, ok := ev.(core.FriendDeleted); return ok && d.UserID == who }
	}
	require.NoError(t, b.c.DeleteFriend(ctx, "alice"))
	a1.waitEvents("deleted", 1, deleted("bob"))
	b.waitEvents("deleted", 1, deleted("alice"))
	back()
	a2.waitEvents("deleted, learned after being away", 1, deleted("bob"))
	for _, d := range []*device{a1, a2} {
		fs, err := d.c.FriendList(ctx)
		require.NoError(t, err)
		assert.Empty(t, fs, d.userID)
	}
	assert.Equal(t, 1, count(a1, deleted("bob")), "friendDeleted once")
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(b.c.DeleteFriend(ctx, "alice")))
}

// TestBlackList: a block made on one device is stored and announced once,
// enforced by the server, and reaches a device that was away; lifting it
// reaches every device live.
func TestBlackList(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a1 := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	for _, d := range []*device{a1, a2, b} {
		d.waitState(core.ConnConnected)
	}
	ctx := context.Background()
	changed := func(ids ...string) func(core.Event) bool {
		return func(ev core.Event) bool {
			bl, ok := ev.(core.BlackListChanged)
			if !ok || len(bl.Users) != len(ids) {
				return false
			}
			for i, u := range bl.Users {
				if u.UserID != ids[i] {
					return false
				}
			}
			return true
		}
	}

	back := a2.away()
	require.NoError(t, a1.c.AddBlack(ctx, "bob"))
	bl, err := a1.c.BlackList(ctx)
	require.NoError(t, err)
	require.Len(t, bl, 1)
	assert.Equal(t, "bob", bl[0].UserID)
	assert.NotEmpty(t, bl[0].Nickname, "with the profile")

	// Enforced by the server: bob's message and request are refused.
	m, err := b.c.CreateTextMessage("hello?")
	require.NoError(t, err)
	_, err = b.c.SendMessage(ctx, m, "alice", "")
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(err))
	assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(b.c.AddFriend(ctx, "alice", "")))

	back()
	a2.waitEvents("the block, learned after being away", 1, changed("bob"))
	offline := a2.away()
	bl, err = a2.c.BlackList(ctx)
	require.NoError(t, err)
	require.Len(t, bl, 1, "stored: readable offline")
	offline()

	require.NoError(t, a1.c.RemoveBlack(ctx, "bob"))
	a2.waitEvents("the unblock, live", 1, changed())
	a1.waitEvents("the unblock", 1, changed())
	assert.Equal(t, 1, count(a1, changed("bob")), "blackListChanged once for the block (the server's push adds nothing)")
	assert.Equal(t, 1, count(a1, changed()), "and once for the unblock")
	require.NoError(t, b.c.AddFriend(ctx, "alice", "sorry"))
}

// TestProfileChangesReachEveryone: a rename with ex reaches the user's
// other device, a friend and a fellow group member live, and a friend's
// device that was away when it next connects, each once; a stranger never.
func TestProfileChangesReachEveryone(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		e.user(u)
	}
	ctx := context.Background()
	a1 := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b1 := e.device("bob", deviceOpt{})
	b2 := e.device("bob", deviceOpt{platform: protocol.PlatformDesktop})
	c := e.device("carol", deviceOpt{})
	d := e.device("dave", deviceOpt{})
	for _, dv := range []*device{a1, a2, b1, b2, c, d} {
		dv.waitState(core.ConnConnected)
	}
	require.NoError(t, a1.c.AddFriend(ctx, "bob", ""))
	b1.waitEvents("request", 1, func(ev core.Event) bool { _, ok := ev.(core.FriendRequestReceived); return ok })
	require.NoError(t, b1.c.AcceptFriendRequest(ctx, "alice"))
	_, err := c.c.CreateGroup(ctx, "G", []string{"alice"})
	require.NoError(t, err)
	b2.waitEvents("friend added", 1, func(ev core.Event) bool { _, ok := ev.(core.FriendAdded); return ok })

	renamed := func(ev core.Event) bool {
		u, ok := ev.(core.UsersInfoChanged)
		return ok && len(u.Users) == 1 && u.Users[0].UserID == "alice" && u.Users[0].Nickname == "Alice A." && u.Users[0].Ex == `{"title":"CTO"}`
	}
	back := b2.away()
	nick, ex := "Alice A.", `{"title":"CTO"}`
	me, err := a1.c.SetSelfInfo(ctx, core.SelfInfoUpdate{Nickname: &nick, Ex: &ex})
	require.NoError(t, err)
	assert.Equal(t, ex, me.Ex)
	for _, dv := range []*device{a1, a2, b1, c} {
		dv.waitEvents("the rename, live", 1, renamed)
	}
	a2.waitEvents("selfInfoUpdated on the other device", 1, func(ev core.Event) bool { s, ok := ev.(core.SelfInfoUpdated); return ok && s.User.Nickname == nick })
	back()
	b2.waitEvents("the rename, caught up after being away", 1, renamed)
	us, err := b2.c.UsersInfo(ctx, []string{"alice"})
	require.NoError(t, err)
	require.Len(t, us, 1)
	assert.Equal(t, nick, us[0].Nickname)
	fs, err := b2.c.FriendList(ctx)
	require.NoError(t, err)
	require.Len(t, fs, 1)
	assert.Equal(t, nick, fs[0].Nickname)

	// Reconnecting again brings nothing new: each change is announced once.
	finished := func(ev core.Event) bool { sp, ok := ev.(core.SyncProgressed); return ok && sp.Phase == core.SyncFinish }
	n := count(b2, finished)
	back = b2.away()
	back()
	b2.waitEvents("the next catch-up", n+1, finished)
	for _, dv := range []*device{a1, a2, b1, b2, c} {
		assert.Equal(t, 1, count(dv, renamed), dv.userID)
	}
	assert.Zero(t, count(d, renamed), "a stranger is not told")
}

// TestSearchUsers: found by username prefix and nickname substring, paged;
// a user who opts out is not found.
func TestSearchUsers(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	nick := "Bobby Tables"
	_, err := b.c.SetSelfInfo(ctx, core.SelfInfoUpdate{Nickname: &nick})
	require.NoError(t, err)
	us, err := a.c.SearchUsers(ctx, "tabl", 0, 0)
	require.NoError(t, err)
	require.Len(t, us, 1)
	assert.Equal(t, "bob", us[0].UserID)
	cached, err := a.c.UsersInfo(ctx, []string{"bob"})
	require.NoError(t, err)
	assert.Equal(t, nick, cached[0].Nickname, "found profiles are cached")

	no := false
	_, err = b.c.SetSelfInfo(ctx, core.SelfInfoUpdate{Searchable: &no})
	require.NoError(t, err)
	us, err = a.c.SearchUsers(ctx, "tabl", 0, 0)
	require.NoError(t, err)
	assert.Empty(t, us, "opted out")
	_, err = a.c.SearchUsers(ctx, " ", 0, 0)
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
}
