package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
	"parley/server"
	"parley/server/store"
)

// countDialer counts the bytes of the frames its connections read and
// write (after WebSocket decompression: what the SDK handles), the bytes
// read by frame type (a response repeats its request's type), and the
// frames written by type (what the SDK asked for).
type countDialer struct {
	inner       core.Dialer
	read, wrote atomic.Int64
	mu          sync.Mutex
	byType      map[string]int64
	asked       map[string]int
}

// readOf returns the bytes read so far in frames of type typ.
func (d *countDialer) readOf(typ string) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byType[typ]
}

// askedOf returns how many frames of type typ were written so far.
func (d *countDialer) askedOf(typ string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked[typ]
}

// reset forgets what was counted so far.
func (d *countDialer) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.read.Store(0)
	d.wrote.Store(0)
	d.byType, d.asked = nil, nil
}

func (d *countDialer) Dial(ctx context.Context, url string) (core.Conn, error) {
	c, err := d.inner.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return &countConn{Conn: c, d: d}, nil
}

type countConn struct {
	core.Conn
	d *countDialer
}

func (c *countConn) Read(ctx context.Context) ([]byte, error) {
	p, err := c.Conn.Read(ctx)
	c.d.read.Add(int64(len(p)))
	if f, ferr := protocol.DecodeFrame(p); err == nil && ferr == nil {
		c.d.mu.Lock()
		if c.d.byType == nil {
			c.d.byType = map[string]int64{}
		}
		c.d.byType[f.Type] += int64(len(p))
		c.d.mu.Unlock()
	}
	return p, err
}

func (c *countConn) Write(ctx context.Context, p []byte) error {
	c.d.wrote.Add(int64(len(p)))
	if f, err := protocol.DecodeFrame(p); err == nil {
		c.d.mu.Lock()
		if c.d.asked == nil {
			c.d.asked = map[string]int{}
		}
		c.d.asked[f.Type]++
		c.d.mu.Unlock()
	}
	return c.Conn.Write(ctx, p)
}

// TestMeasureSocialCatchUp measures issue 14's catch-up of a large social
// graph (docs/benchmarks.md, "Social catch-up"): a user with 5,000
// friends and 500 groups, one of 2,000 members; a device away during 3
// changes, and a fresh device's first sync. A measurement, not a check:
// it runs with PARLEY_MEASURE=1 only, and logs its numbers.
func TestMeasureSocialCatchUp(t *testing.T) {
	if os.Getenv("PARLEY_MEASURE") == "" {
		t.Skip("a measurement; set PARLEY_MEASURE=1 to run it")
	}
	const friends, groups, bigGroup = 5000, 500, 2000
	e := newEnv(t, nil)
	ctx := context.Background()
	e.user("alice")
	now := time.Now().UnixMilli()
	seedStart := time.Now()
	ids := make([]string, friends)
	for i := range ids {
		ids[i] = fmt.Sprintf("f%05d", i)
		require.NoError(t, e.st.CreateUser(ctx, &store.User{UserID: ids[i], Nickname: "Friend " + ids[i], CreateTime: now}))
		require.NoError(t, e.st.PutFriendRequest(ctx, store.FriendRequest{FromUserID: ids[i], ToUserID: "alice", State: protocol.FriendRequestPending, CreateTime: now}))
		require.NoError(t, e.st.AcceptFriendRequest(ctx, ids[i], "alice", now))
	}
	_, err := e.st.CreateGroup(ctx, store.NewGroup{GroupID: "big", Name: "Big", OwnerUserID: "alice", MemberUserIDs: ids[:bigGroup-1], CreateTime: now})
	require.NoError(t, err)
	for i := 1; i < groups; i++ {
		_, err := e.st.CreateGroup(ctx, store.NewGroup{GroupID: fmt.Sprintf("g%03d", i), Name: fmt.Sprintf("Group %d", i), OwnerUserID: "alice", MemberUserIDs: ids[i : i+2], CreateTime: now})
		require.NoError(t, err)
	}
	t.Logf("seeded %d friends, %d groups in %v", friends, groups, time.Since(seedStart))

	measure := func(what string, o deviceOpt) *device {
		cd := &countDialer{}
		o.cfg = func(c *core.Config) { cd.inner = c.Dialer; c.Dialer = cd }
		start := time.Now()
		d := e.device("alice", o)
		t.Logf("%s: caught up in %v; %d bytes read, %d written", what, time.Since(start).Round(time.Millisecond), cd.read.Load(), cd.wrote.Load())
		return d
	}
	first := measure("fresh device, first sync", deviceOpt{})
	first.logout()

	// Away: a friend renames themselves, a friend leaves, a member joins
	// the big group... three changes, made on the server directly.
	nick := "Renamed"
	_, err = e.st.UpdateProfile(ctx, ids[10], &nick, nil)
	require.NoError(t, err)
	e.user("newcomer")
	require.NoError(t, e.post("/api/v1/admin/friends", adminSecret, map[string]string{"userID": "newcomer", "friendUserID": "alice"}, nil))
	require.NoError(t, e.st.RemoveGroupMember(ctx, "g001", ids[1]))
	measure("the same device back after 3 changes", deviceOpt{store: first.store})
}

// TestMeasureGroupMembersCatchUp measures issue 14's catch-up of a large
// group's members (docs/benchmarks.md, "Group members catch-up"): a device
// of a member of a 2,000-member group is away while 3 members change (one
// added, one kicked, one made admin, by the owner's requests, so each is a
// notification); back, it catches up. It logs the bytes the device read
// and wrote from its return until its groupMembersChanged, and the time.
// A measurement, not a check: it runs with PARLEY_MEASURE=1 only, and
// uses nothing newer than the code it compares with.
func TestMeasureGroupMembersCatchUp(t *testing.T) {
	if os.Getenv("PARLEY_MEASURE") == "" {
		t.Skip("a measurement; set PARLEY_MEASURE=1 to run it")
	}
	const size = 2000
	e := newEnv(t, func(c *server.Config) { c.MaxGroupSize = size + 10 })
	ctx := context.Background()
	for _, u := range []string{"alice", "bob", "newcomer"} {
		e.user(u)
	}
	now := time.Now().UnixMilli()
	ids := []string{"bob"}
	for i := len(ids); i < size-1; i++ {
		id := fmt.Sprintf("m%04d", i)
		require.NoError(t, e.st.CreateUser(ctx, &store.User{UserID: id, Nickname: "Member " + id, CreateTime: now}))
		ids = append(ids, id)
	}
	_, err := e.st.CreateGroup(ctx, store.NewGroup{GroupID: "big", Name: "Big", OwnerUserID: "alice", MemberUserIDs: ids, CreateTime: now})
	require.NoError(t, err)
	a := e.device("alice", deviceOpt{})
	cd := &countDialer{}
	b := e.device("bob", deviceOpt{cfg: func(c *core.Config) { cd.inner = c.Dialer; c.Dialer = cd }})
	_, err = b.c.JoinedGroupList(ctx)
	require.NoError(t, err)
	changed := func(ev core.Event) bool { c, ok := ev.(core.GroupMembersChanged); return ok && c.GroupID == "big" }

	// Online, a first notification: bob stores the members.
	name := "Bigger"
	_, err = a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: "big", Name: &name})
	require.NoError(t, err)
	b.waitEvents("the members stored", 1, changed)
	b.c.WaitEvents()
	stored, err := b.store.GroupMembers(ctx, "big")
	require.NoError(t, err)
	t.Logf("online after a notification: %d members stored; %d bytes read", len(stored), cd.read.Load())

	back := b.away()
	before := count(b, changed)
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqInviteToGroup, protocol.GroupUsersReq{GroupID: "big", UserIDs: []string{"newcomer"}}))
	require.NoError(t, a.c.KickGroupMember(ctx, "big", "m0005"))
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: "big", UserID: "m0006", Role: protocol.RoleAdmin}))
	cd.reset()
	start := time.Now()
	back()
	b.waitEvents("the members caught up", before+1, changed)
	took := time.Since(start)
	b.c.WaitEvents()
	stored, err = b.store.GroupMembers(ctx, "big")
	require.NoError(t, err)
	has := func(id string) bool {
		return slices.ContainsFunc(stored, func(m core.GroupMember) bool { return m.UserID == id })
	}
	t.Logf("back after 3 member changes: caught up in %v; %d bytes read, %d written; group.members %d bytes in %d requests, group.memberChanges %d bytes in %d; %d members stored (newcomer %v, m0005 %v)",
		took.Round(time.Millisecond), cd.read.Load(), cd.wrote.Load(),
		cd.readOf(protocol.ReqGetGroupMembers), cd.askedOf(protocol.ReqGetGroupMembers),
		cd.readOf("group.memberChanges"), cd.askedOf("group.memberChanges"), len(stored), has("newcomer"), has("m0005"))
}

// TestMeasureGroupApplicationsCatchUp measures issue 14's catch-up of
// group applications (docs/benchmarks.md, "Group applications catch-up"):
// the owner of a group with 200 pending applications has a device away
// while one more user applies and one application is refused; back, it
// catches up. It logs the bytes the device read and wrote from its return
// until the catch-up's finish, and the time. A measurement, not a check:
// it runs with PARLEY_MEASURE=1 only, and uses nothing newer than the
// code it compares with.
func TestMeasureGroupApplicationsCatchUp(t *testing.T) {
	if os.Getenv("PARLEY_MEASURE") == "" {
		t.Skip("a measurement; set PARLEY_MEASURE=1 to run it")
	}
	const pending = 200
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, u := range []string{"alice", "late"} {
		e.user(u)
	}
	now := time.Now().UnixMilli()
	_, err := e.st.CreateGroup(ctx, store.NewGroup{GroupID: "club", Name: "Club", OwnerUserID: "alice", CreateTime: now})
	require.NoError(t, err)
	for i := 0; i < pending; i++ {
		id := fmt.Sprintf("a%03d", i)
		require.NoError(t, e.st.CreateUser(ctx, &store.User{UserID: id, Nickname: "Applicant " + id, CreateTime: now}))
		require.NoError(t, e.st.PutGroupApplication(ctx, protocol.GroupApplication{GroupID: "club", UserID: id, Message: "may I join?", CreateTime: now + int64(i)}))
	}
	a := e.device("alice", deviceOpt{})
	approval := protocol.JoinPolicyApproval
	_, err = a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: "club", JoinPolicy: &approval})
	require.NoError(t, err)
	cd := &countDialer{}
	b := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop, cfg: func(c *core.Config) { cd.inner = c.Dialer; c.Dialer = cd }})
	b.waitFor("the first catch-up's social version stored", func() bool {
		_, ok, err := b.store.SocialVersion(ctx)
		return err == nil && ok
	})
	finished := func(ev core.Event) bool {
		sp, ok := ev.(core.SyncProgressed)
		return ok && sp.Phase == core.SyncFinish
	}
	b.waitEvents("the first catch-up", 1, finished)

	back := b.away()
	l := e.device("late", deviceOpt{})
	require.NoError(t, l.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: "club"}))
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqRefuseGroupApplication, protocol.GroupMemberReq{GroupID: "club", UserID: "a007"}))
	before := count(b, finished)
	cd.reset()
	start := time.Now()
	back()
	b.waitEvents("the catch-up after being away", before+1, finished)
	took := time.Since(start)
	b.c.WaitEvents()
	as, err := b.store.GroupApplications(ctx)
	require.NoError(t, err)
	t.Logf("back after 2 application changes: caught up in %v; %d bytes read, %d written; group.applications %d bytes in %d requests, user.socialChanges %d bytes in %d; %d applications stored (newest %s %s)",
		took.Round(time.Millisecond), cd.read.Load(), cd.wrote.Load(),
		cd.readOf(protocol.ReqGroupApplications), cd.askedOf(protocol.ReqGroupApplications),
		cd.readOf(protocol.ReqSocialChanges), cd.askedOf(protocol.ReqSocialChanges), len(as), as[0].UserID, as[0].State)
}
