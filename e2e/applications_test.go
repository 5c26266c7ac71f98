package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// TestGroupApplicationsWhileAway: applications to a group under approval
// are stored on every device of those who decide them and of the
// applicant, from the pushes, from the answers to the join and the
// decision, and from the catch-up of a device that was away; the stored
// ones are listed and counted with the server gone.
func TestGroupApplicationsWhileAway(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		e.user(u)
	}
	ctx := context.Background()
	a1 := e.device("alice", deviceOpt{})
	a2 := e.device("alice", deviceOpt{platform: protocol.PlatformDesktop})
	b := e.device("bob", deviceOpt{})
	g, err := a1.c.CreateGroup(ctx, "Club", []string{"bob"})
	require.NoError(t, err)
	approval := protocol.JoinPolicyApproval
	_, err = a1.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: g.GroupID, JoinPolicy: &approval})
	require.NoError(t, err)
	require.NoError(t, a1.c.GroupRequest(ctx, protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: g.GroupID, UserID: "bob", Role: protocol.RoleAdmin}))
	b.waitMembers(g.GroupID, "bob admin", func(ms []core.GroupMember) bool { m, _ := member(ms, "bob"); return m.Role == protocol.RoleAdmin })

	received := func(userID string) func(core.Event) bool {
		return func(ev core.Event) bool {
			r, ok := ev.(core.GroupApplicationReceived)
			return ok && r.Application.GroupID == g.GroupID && r.Application.UserID == userID
		}
	}
	refused := func(userID string) func(core.Event) bool {
		return func(ev core.Event) bool {
			r, ok := ev.(core.GroupApplicationRefused)
			return ok && r.Application.GroupID == g.GroupID && r.Application.UserID == userID
		}
	}
	accepted := func(userID string) func(core.Event) bool {
		return func(ev core.Event) bool {
			r, ok := ev.(core.GroupApplicationAccepted)
			return ok && r.Application.GroupID == g.GroupID && r.Application.UserID == userID
		}
	}
	unhandled := func(d *device) int {
		t.Helper()
		n, err := d.c.GroupApplicationUnhandledCount(ctx)
		require.NoError(t, err)
		return n
	}
	stored := func(d *device) map[string]string { // applicant -> state
		t.Helper()
		as, err := d.store.GroupApplications(ctx)
		require.NoError(t, err)
		out := map[string]string{}
		for _, a := range as {
			if a.GroupID == g.GroupID {
				out[a.UserID] = a.State
			}
		}
		return out
	}

	// Alice's second device goes away; carol and dave apply, and bob
	// refuses dave, meanwhile.
	back := a2.away()
	c := e.device("carol", deviceOpt{})
	require.NoError(t, c.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID, Message: "may I?"}))
	assert.Equal(t, map[string]string{"carol": protocol.ApplicationPending}, stored(c), "the join's answer is stored when it returns")
	assert.Zero(t, unhandled(c), "one's own application is not for one to decide")
	d := e.device("dave", deviceOpt{})
	require.NoError(t, d.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID}))
	b.waitEvents("dave's application, live", 1, received("dave"))
	require.NoError(t, b.c.GroupRequest(ctx, protocol.ReqRefuseGroupApplication, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "dave"}))
	assert.Equal(t, protocol.ApplicationRefused, stored(b)["dave"], "the decision's answer is stored when it returns")
	a1.waitEvents("carol's application, live", 1, received("carol"))
	a1.waitEvents("dave's refusal, live", 1, refused("dave"))
	assert.Equal(t, protocol.ApplicationRefused, stored(a1)["dave"])
	assert.Equal(t, 1, unhandled(a1))
	d.waitEvents("the refusal at the applicant", 1, refused("dave"))
	assert.Equal(t, protocol.ApplicationRefused, stored(d)["dave"])

	// Back: the catch-up brings both applications as they are now, and
	// announces each as it is now, once.
	back()
	a2.waitEvents("carol's application after being away", 1, received("carol"))
	a2.waitEvents("dave's refusal after being away", 1, refused("dave"))
	a2.c.WaitEvents()
	assert.Equal(t, map[string]string{"carol": protocol.ApplicationPending, "dave": protocol.ApplicationRefused}, stored(a2))
	assert.Equal(t, 1, count(a2, received("carol")), "groupApplicationReceived fires once")
	assert.Equal(t, 1, count(a2, refused("dave")), "groupApplicationRefused fires once")
	assert.Zero(t, count(a2, received("dave")), "a decided application is not announced as one to decide")
	assert.Equal(t, 1, unhandled(a2))

	// The server goes: the stored applications are listed and counted.
	e.stop()
	a2.waitState(core.ConnDisconnected)
	as, err := a2.c.GroupApplications(ctx)
	require.NoError(t, err)
	require.Len(t, as, 2)
	assert.Equal(t, "dave", as[0].UserID, "newest activity first: the refusal")
	assert.Equal(t, core.GroupApplication{GroupID: g.GroupID, UserID: "carol", Message: "may I?", State: protocol.ApplicationPending, CreateTime: as[1].CreateTime}, as[1])
	assert.Equal(t, 1, unhandled(a2))

	// Back again: alice accepts carol; every device of the deciders and
	// carol's store it decided.
	e.restart(nil)
	a1.waitState(core.ConnConnected)
	require.NoError(t, a1.c.GroupRequest(ctx, protocol.ReqAcceptGroupApplication, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "carol"}))
	assert.Equal(t, protocol.ApplicationAccepted, stored(a1)["carol"])
	assert.Zero(t, unhandled(a1))
	for _, dv := range []*device{a1, a2, b, c} {
		dv.waitEvents("carol accepted", 1, accepted("carol"))
		assert.Equal(t, protocol.ApplicationAccepted, stored(dv)["carol"])
	}
	assert.Zero(t, unhandled(a2))
	as, err = c.c.GroupApplications(ctx)
	require.NoError(t, err)
	require.Len(t, as, 1, "the applicant lists her own")
	assert.Equal(t, protocol.ApplicationAccepted, as[0].State)

	// Dave applies again; bob has it to decide until alice makes him a
	// plain member: then his stored copy no longer counts.
	require.NoError(t, d.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID, Message: "again"}))
	for _, dv := range []*device{a1, b} {
		dv.waitEvents("dave's second application", 2, received("dave"))
	}
	assert.Equal(t, 1, unhandled(b))
	require.NoError(t, a1.c.GroupRequest(ctx, protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: g.GroupID, UserID: "bob", Role: protocol.RoleMember}))
	b.waitFor("bob a plain member", func() bool {
		for _, ev := range b.events {
			if gc, ok := ev.(core.GroupChanged); ok && gc.Group.GroupID == g.GroupID && gc.Group.MyRole == protocol.RoleMember {
				return true
			}
		}
		return false
	})
	assert.Zero(t, unhandled(b), "a plain member decides nothing")
	assert.Equal(t, 1, unhandled(a1))

	// Admin again, then removed from the group: nothing left to decide.
	require.NoError(t, a1.c.GroupRequest(ctx, protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: g.GroupID, UserID: "bob", Role: protocol.RoleAdmin}))
	b.waitMembers(g.GroupID, "bob admin again", func(ms []core.GroupMember) bool { m, _ := member(ms, "bob"); return m.Role == protocol.RoleAdmin })
	b.waitFor("bob's group admin again", func() bool {
		gs, err := b.store.Groups(ctx)
		return err == nil && len(gs) == 1 && gs[0].MyRole == protocol.RoleAdmin
	})
	assert.Equal(t, 1, unhandled(b))
	require.NoError(t, a1.c.KickGroupMember(ctx, g.GroupID, "bob"))
	b.waitEvents("bob removed", 1, func(ev core.Event) bool {
		r, ok := ev.(core.GroupMemberRemoved)
		return ok && r.GroupID == g.GroupID && r.UserID == "bob"
	})
	assert.Zero(t, unhandled(b), "nor does a former member")
}

// TestGroupApplicationsCatchUpByVersion: an admin's device away while
// two users apply and one is refused finds both as they are now when it
// is back, announced once each, from the changes since its social version
// (user.socialChanges): it never asks for the whole list
// (group.applications).
func TestGroupApplicationsCatchUpByVersion(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	g, err := a.c.CreateGroup(ctx, "Club", []string{"bob"})
	require.NoError(t, err)
	approval := protocol.JoinPolicyApproval
	_, err = a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: g.GroupID, JoinPolicy: &approval})
	require.NoError(t, err)
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: g.GroupID, UserID: "bob", Role: protocol.RoleAdmin}))
	cd := &countDialer{}
	b := e.device("bob", deviceOpt{cfg: func(c *core.Config) { cd.inner = c.Dialer; c.Dialer = cd }})
	b.waitFor("the first catch-up's social version stored", func() bool {
		_, ok, err := b.store.SocialVersion(ctx)
		return err == nil && ok
	})
	require.Positive(t, cd.askedOf(protocol.ReqGroupApplications), "a fresh store reads the list")

	finished := func(ev core.Event) bool {
		sp, ok := ev.(core.SyncProgressed)
		return ok && sp.Phase == core.SyncFinish
	}
	match := func(kind string, userID string) func(core.Event) bool {
		return func(ev core.Event) bool {
			var ap core.GroupApplication
			switch r := ev.(type) {
			case core.GroupApplicationReceived:
				ap = r.Application
			case core.GroupApplicationRefused:
				ap = r.Application
			default:
				return false
			}
			return ev.EventName() == kind && ap.GroupID == g.GroupID && ap.UserID == userID
		}
	}
	back := b.away()
	cd.reset()
	c := e.device("carol", deviceOpt{})
	require.NoError(t, c.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID, Message: "may I?"}))
	d := e.device("dave", deviceOpt{})
	require.NoError(t, d.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID}))
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqRefuseGroupApplication, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "dave"}))
	want, err := a.c.GroupApplications(ctx)
	require.NoError(t, err)
	require.Len(t, want, 2)
	finishes := count(b, finished)
	back()

	b.waitEvents("the catch-up after being away", finishes+1, finished)
	b.c.WaitEvents()
	got, err := b.store.GroupApplications(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, got, "exactly the server's applications, as they are now")
	assert.Equal(t, 1, count(b, match("groupApplicationReceived", "carol")), "carol's application announced once")
	assert.Equal(t, 1, count(b, match("groupApplicationRefused", "dave")), "dave's refusal announced once")
	assert.Zero(t, count(b, match("groupApplicationReceived", "dave")), "a decided application is not one to decide")
	n, err := b.c.GroupApplicationUnhandledCount(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Positive(t, cd.askedOf(protocol.ReqSocialChanges), "asked for the changes")
	assert.Zero(t, cd.askedOf(protocol.ReqGroupApplications), "never for the list")
}

// TestGroupApplicationsAfterPromotion: carol applies while bob is a plain
// member with a device away; made admin, bob's device finds carol's
// application when it is back, stored and counted unhandled, from the
// changes since its social version: it never asks group.applications.
func TestGroupApplicationsAfterPromotion(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	g, err := a.c.CreateGroup(ctx, "Club", []string{"bob"})
	require.NoError(t, err)
	approval := protocol.JoinPolicyApproval
	_, err = a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: g.GroupID, JoinPolicy: &approval})
	require.NoError(t, err)
	cd := &countDialer{}
	b := e.device("bob", deviceOpt{cfg: func(c *core.Config) { cd.inner = c.Dialer; c.Dialer = cd }})
	b.waitFor("the first catch-up's social version stored", func() bool {
		_, ok, err := b.store.SocialVersion(ctx)
		return err == nil && ok
	})
	finished := func(ev core.Event) bool {
		sp, ok := ev.(core.SyncProgressed)
		return ok && sp.Phase == core.SyncFinish
	}
	back := b.away()
	cd.reset()
	c := e.device("carol", deviceOpt{})
	require.NoError(t, c.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID, Message: "may I?"}))
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: g.GroupID, UserID: "bob", Role: protocol.RoleAdmin}))
	want, err := a.c.GroupApplications(ctx)
	require.NoError(t, err)
	require.Len(t, want, 1)
	finishes := count(b, finished)
	back()

	b.waitEvents("the catch-up after being away", finishes+1, finished)
	b.c.WaitEvents()
	got, err := b.store.GroupApplications(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, got, "carol's application, made before bob could decide")
	waitRole(t, b, g.GroupID, protocol.RoleAdmin)
	n, err := b.c.GroupApplicationUnhandledCount(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Zero(t, cd.askedOf(protocol.ReqGroupApplications), "never asked for the list")
}

// TestGroupApplicationsPushedOnTransfer: bob, a plain member with a
// device connected, is handed the group; the device stores the group's
// pending application (carol's) from the push, without asking
// group.applications and without being away.
func TestGroupApplicationsPushedOnTransfer(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	g, err := a.c.CreateGroup(ctx, "Club", []string{"bob"})
	require.NoError(t, err)
	approval := protocol.JoinPolicyApproval
	_, err = a.c.SetGroupInfo(ctx, protocol.SetGroupInfoReq{GroupID: g.GroupID, JoinPolicy: &approval})
	require.NoError(t, err)
	cd := &countDialer{}
	b := e.device("bob", deviceOpt{cfg: func(c *core.Config) { cd.inner = c.Dialer; c.Dialer = cd }})
	b.waitFor("the first catch-up's social version stored", func() bool {
		_, ok, err := b.store.SocialVersion(ctx)
		return err == nil && ok
	})
	c := e.device("carol", deviceOpt{})
	require.NoError(t, c.c.GroupRequest(ctx, protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID, Message: "may I?"}))
	cd.reset()
	require.NoError(t, a.c.GroupRequest(ctx, protocol.ReqTransferGroupOwner, protocol.TransferGroupOwnerReq{GroupID: g.GroupID, NewOwnerUserID: "bob"}))

	b.waitEvents("carol's application", 1, func(ev core.Event) bool {
		r, ok := ev.(core.GroupApplicationReceived)
		return ok && r.Application.GroupID == g.GroupID && r.Application.UserID == "carol"
	})
	b.c.WaitEvents()
	got, err := b.store.GroupApplications(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	waitRole(t, b, g.GroupID, protocol.RoleOwner)
	n, err := b.c.GroupApplicationUnhandledCount(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Zero(t, cd.askedOf(protocol.ReqGroupApplications), "never asked for the list")
}

// waitRole waits until d's stored group groupID has MyRole role: the
// role-change notification refreshes the group after the catch-up, and
// the offline count leaves out the groups the store says d cannot decide.
func waitRole(t *testing.T, d *device, groupID, role string) {
	t.Helper()
	d.waitFor("the stored role "+role, func() bool {
		gs, err := d.store.Groups(context.Background())
		if err != nil {
			return false
		}
		for _, g := range gs {
			if g.GroupID == groupID {
				return g.MyRole == role
			}
		}
		return false
	})
}
