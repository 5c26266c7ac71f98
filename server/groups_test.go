package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

// notice reads the next push.message and returns its notification content.
func notice(t *testing.T, c *client) map[string]any {
	t.Helper()
	m := decode[protocol.Message](t, c.push(protocol.PushMessage))
	require.Equal(t, protocol.ContentNotification, m.ContentType)
	var n map[string]any
	require.NoError(t, json.Unmarshal(m.Content, &n))
	return n
}

func TestGroupAdministration(t *testing.T) {
	e := newEnv(t)
	tok := map[string]string{}
	for _, u := range []string{"own", "adm", "mem", "nu", "app"} {
		tok[u] = e.adminUser(u)
	}
	own, adm, mem := e.dial(tok["own"]), e.dial(tok["adm"]), e.dial(tok["mem"])
	var g protocol.Group
	own.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "Team", MemberUserIDs: []string{"adm", "mem"}}, &g)
	for _, c := range []*client{own, adm, mem} {
		c.push(protocol.PushGroup)
	}
	gid := g.GroupID

	// Roles: the owner only.
	adm.wantError(protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: gid, UserID: "mem", Role: protocol.RoleAdmin}, protocol.CodePermissionDenied)
	own.do(protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: gid, UserID: "adm", Role: protocol.RoleAdmin}, nil)
	for _, c := range []*client{own, adm, mem} {
		n := notice(t, c)
		assert.Equal(t, "roleChanged", n["kind"])
		assert.Equal(t, "own", n["operatorUserID"])
		assert.Equal(t, []any{"adm"}, n["userIDs"])
		assert.Equal(t, "admin", n["role"])
	}

	// Info: owner and admins; a plain member is refused.
	intro, policy := "We build things", protocol.JoinPolicyOpen
	mem.wantError(protocol.ReqSetGroupInfo, protocol.SetGroupInfoReq{GroupID: gid, Introduction: &intro}, protocol.CodePermissionDenied)
	adm.wantError(protocol.ReqSetGroupInfo, protocol.SetGroupInfoReq{GroupID: gid}, protocol.CodeInvalidArgument)
	var ng protocol.Group
	adm.do(protocol.ReqSetGroupInfo, protocol.SetGroupInfoReq{GroupID: gid, Introduction: &intro, JoinPolicy: &policy}, &ng)
	assert.Equal(t, intro, ng.Introduction)
	assert.Equal(t, protocol.JoinPolicyOpen, ng.JoinPolicy)
	assert.Equal(t, protocol.RoleAdmin, ng.MyRole)
	n := notice(t, mem)
	assert.Equal(t, "infoChanged", n["kind"])
	assert.Equal(t, []any{"introduction", "joinPolicy"}, n["fields"])
	notice(t, own)
	notice(t, adm)

	// Mutes: the admin mutes the member, whose sends fail; the admin may
	// not mute the owner.
	adm.wantError(protocol.ReqMuteGroupMember, protocol.MuteGroupMemberReq{GroupID: gid, UserID: "own", Seconds: 60}, protocol.CodePermissionDenied)
	adm.do(protocol.ReqMuteGroupMember, protocol.MuteGroupMemberReq{GroupID: gid, UserID: "mem", Seconds: 60}, nil)
	n = notice(t, mem)
	assert.Equal(t, "muted", n["kind"])
	assert.NotZero(t, n["muteEndTime"])
	notice(t, own)
	notice(t, adm)
	mem.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "x1", GroupID: gid, ContentType: protocol.ContentText, Content: text("hi")}, protocol.CodePermissionDenied)
	var ms protocol.GroupMembersResp
	own.do(protocol.ReqGetGroupMembers, protocol.GroupMembersReq{GroupID: gid, Offset: 2, Count: 1}, &ms)
	require.Len(t, ms.Members, 1, "paged")
	assert.Equal(t, "mem", ms.Members[0].UserID)
	assert.Positive(t, ms.Members[0].MuteEndTime)
	adm.do(protocol.ReqMuteGroupMember, protocol.MuteGroupMemberReq{GroupID: gid, UserID: "mem", Seconds: 0}, nil)
	for _, c := range []*client{own, adm, mem} {
		assert.Equal(t, "unmuted", notice(t, c)["kind"])
	}
	mem.sendText("x2", "", gid, "free again")
	for _, c := range []*client{own, adm} {
		c.push(protocol.PushMessage)
	}
	// The whole group muted: members wait, admins talk.
	own.do(protocol.ReqMuteGroup, protocol.MuteGroupReq{GroupID: gid, IsMuted: true}, nil)
	for _, c := range []*client{own, adm, mem} {
		assert.Equal(t, "muted", notice(t, c)["kind"])
	}
	mem.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "x3", GroupID: gid, ContentType: protocol.ContentText, Content: text("hi")}, protocol.CodePermissionDenied)
	adm.sendText("x4", "", gid, "admins may")
	for _, c := range []*client{own, mem} {
		c.push(protocol.PushMessage)
	}

	// Nicknames: oneself or someone below; no notification, a push.
	mem.wantError(protocol.ReqSetGroupMemberNickname, protocol.GroupMemberNicknameReq{GroupID: gid, UserID: "adm", Nickname: "x"}, protocol.CodePermissionDenied)
	mem.do(protocol.ReqSetGroupMemberNickname, protocol.GroupMemberNicknameReq{GroupID: gid, UserID: "mem", Nickname: "Em"}, nil)
	for _, c := range []*client{own, adm, mem} {
		gm := decode[protocol.GroupMember](t, c.push(protocol.PushGroupMember))
		assert.Equal(t, "Em", gm.Nickname)
	}

	// Open group: anyone joins; the new member gets the group, everyone the
	// notification, and the history before the join is not theirs.
	nu := e.dial(tok["nu"])
	var jr protocol.JoinGroupResp
	nu.do(protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: gid}, &jr)
	assert.True(t, jr.Joined)
	pg := decode[protocol.Group](t, nu.push(protocol.PushGroup))
	assert.Equal(t, protocol.RoleMember, pg.MyRole)
	assert.Equal(t, 4, pg.MemberCount)
	for _, c := range []*client{own, adm, mem, nu} {
		n := notice(t, c)
		assert.Equal(t, "memberAdded", n["kind"])
		assert.Equal(t, []any{"nu"}, n["userIDs"])
	}
	nu.wantError(protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: gid}, protocol.CodeAlreadyExists)

	// Approval: an application, decided by an admin.
	policy = protocol.JoinPolicyApproval
	own.do(protocol.ReqSetGroupInfo, protocol.SetGroupInfoReq{GroupID: gid, JoinPolicy: &policy}, nil)
	for _, c := range []*client{own, adm, mem, nu} {
		notice(t, c)
	}
	nu.wantError(protocol.ReqInviteToGroup, protocol.GroupUsersReq{GroupID: gid, UserIDs: []string{"app"}}, protocol.CodePermissionDenied)
	app := e.dial(tok["app"])
	app.do(protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: gid, Message: "let me in"}, &jr)
	assert.False(t, jr.Joined)
	require.NotNil(t, jr.Application, "the answer carries the application made")
	assert.Equal(t, protocol.GroupApplication{GroupID: gid, UserID: "app", Message: "let me in", State: "pending", CreateTime: jr.Application.CreateTime}, *jr.Application)
	for _, c := range []*client{own, adm, app} {
		a := decode[protocol.GroupApplication](t, c.push(protocol.PushGroupApplication))
		assert.Equal(t, *jr.Application, a)
	}
	mem.noPush()
	var as protocol.GroupApplicationsResp
	mem.do(protocol.ReqGroupApplications, nil, &as)
	assert.Empty(t, as.Applications, "a plain member decides nothing")
	adm.do(protocol.ReqGroupApplications, nil, &as)
	require.Len(t, as.Applications, 1)
	mem.wantError(protocol.ReqAcceptGroupApplication, protocol.GroupMemberReq{GroupID: gid, UserID: "app"}, protocol.CodePermissionDenied)
	var decided protocol.GroupApplication
	adm.do(protocol.ReqAcceptGroupApplication, protocol.GroupMemberReq{GroupID: gid, UserID: "app"}, &decided)
	assert.Equal(t, protocol.ApplicationAccepted, decided.State, "the answer is the application as decided")
	assert.NotZero(t, decided.HandleTime)
	adm.wantError(protocol.ReqRefuseGroupApplication, protocol.GroupMemberReq{GroupID: gid, UserID: "app"}, protocol.CodeNotFound)
	a := decode[protocol.GroupApplication](t, app.push(protocol.PushGroupApplication))
	assert.Equal(t, decided, a)
	app.push(protocol.PushGroup)
	assert.Equal(t, "memberAdded", notice(t, app)["kind"])

	// Invite policy: joining is refused, the owner invites.
	policy = protocol.JoinPolicyInvite
	own.do(protocol.ReqSetGroupInfo, protocol.SetGroupInfoReq{GroupID: gid, JoinPolicy: &policy}, nil)

	// Transfer, then the old owner may leave; the new owner dismisses.
	adm.wantError(protocol.ReqTransferGroupOwner, protocol.TransferGroupOwnerReq{GroupID: gid, NewOwnerUserID: "adm"}, protocol.CodePermissionDenied)
	own.wantError(protocol.ReqTransferGroupOwner, protocol.TransferGroupOwnerReq{GroupID: gid, NewOwnerUserID: "stranger"}, protocol.CodeNotFound)
	own.do(protocol.ReqTransferGroupOwner, protocol.TransferGroupOwnerReq{GroupID: gid, NewOwnerUserID: "adm"}, nil)
	var gi protocol.Group
	own.do(protocol.ReqGetGroupInfo, protocol.GroupIDReq{GroupID: gid}, &gi)
	assert.Equal(t, "adm", gi.OwnerUserID)
	assert.Equal(t, protocol.RoleMember, gi.MyRole)
	own.do(protocol.ReqQuitGroup, protocol.GroupIDReq{GroupID: gid}, nil)
	var gs protocol.GroupsResp
	adm.do(protocol.ReqGetGroupsInfo, protocol.GroupIDsReq{GroupIDs: []string{gid, gid, "gnosuch"}}, &gs)
	require.Len(t, gs.Groups, 1)
	assert.Equal(t, protocol.RoleOwner, gs.Groups[0].MyRole)
	assert.Equal(t, 4, gs.Groups[0].MemberCount)
	mem.wantError(protocol.ReqDismissGroup, protocol.GroupIDReq{GroupID: gid}, protocol.CodePermissionDenied)
	adm.do(protocol.ReqDismissGroup, protocol.GroupIDReq{GroupID: gid}, nil)
	mem.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "x5", GroupID: gid, ContentType: protocol.ContentText, Content: text("hi")}, protocol.CodePermissionDenied)
	// mem's timeline: app added, the policy change, the transfer, the owner's quit,
	// then the dismissal.
	for _, kind := range []string{"memberAdded", "infoChanged", "ownerTransferred", "memberRemoved"} {
		assert.Equal(t, kind, notice(t, mem)["kind"])
	}
	mem.push(protocol.PushGroupMemberRemoved)
	assert.Equal(t, "dismissed", notice(t, mem)["kind"])
	assert.True(t, decode[protocol.Group](t, mem.push(protocol.PushGroup)).Dismissed)
	adm.do(protocol.ReqListGroups, nil, &gs)
	assert.Empty(t, gs.Groups)
	app.wantError(protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: gid}, protocol.CodeNotFound)
}

func TestAdminGroupRoutes(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{"own", "mem", "bad"} {
		e.adminUser(u)
	}
	st, body := e.post("/api/v1/admin/groups", adminSecret, server.AdminCreateGroupReq{OwnerUserID: "own", Name: "G", MemberUserIDs: []string{"mem"}})
	require.Equal(t, http.StatusCreated, st, string(body))
	var g protocol.Group
	require.NoError(t, json.Unmarshal(body, &g))
	mem := e.dial(e.token("mem"))

	name := "Renamed"
	st, body = e.post("/api/v1/admin/groups/update", adminSecret, server.AdminUpdateGroupReq{
		SetGroupInfoReq: protocol.SetGroupInfoReq{GroupID: g.GroupID, Name: &name}, OwnerUserID: ptr("mem")})
	require.Equal(t, http.StatusOK, st, string(body))
	var ng protocol.Group
	require.NoError(t, json.Unmarshal(body, &ng))
	assert.Equal(t, "Renamed", ng.Name)
	assert.Equal(t, "mem", ng.OwnerUserID)
	n := notice(t, mem)
	assert.Equal(t, "ownerTransferred", n["kind"])
	assert.Equal(t, "", n["operatorUserID"], "the server did it")
	assert.Equal(t, "infoChanged", notice(t, mem)["kind"])

	st, _ = e.post("/api/v1/admin/groups/members/add", adminSecret, server.AdminGroupMembersReq{GroupID: g.GroupID, UserIDs: []string{"bad"}})
	require.Equal(t, http.StatusNoContent, st)
	assert.Equal(t, "memberAdded", notice(t, mem)["kind"])
	// A ban removes the member and keeps them out.
	st, _ = e.post("/api/v1/admin/groups/ban", adminSecret, server.AdminGroupBanReq{GroupID: g.GroupID, UserID: "bad", Banned: true})
	require.Equal(t, http.StatusNoContent, st)
	assert.Equal(t, "memberRemoved", notice(t, mem)["kind"])
	mem.push(protocol.PushGroupMemberRemoved)
	st, body = e.post("/api/v1/admin/groups/members/add", adminSecret, server.AdminGroupMembersReq{GroupID: g.GroupID, UserIDs: []string{"bad"}})
	assert.Equal(t, http.StatusForbidden, st, string(body))
	bad := e.dial(e.token("bad"))
	bad.wantError(protocol.ReqJoinGroup, protocol.JoinGroupReq{GroupID: g.GroupID}, protocol.CodePermissionDenied)
	mem.wantError(protocol.ReqInviteToGroup, protocol.GroupUsersReq{GroupID: g.GroupID, UserIDs: []string{"bad"}}, protocol.CodePermissionDenied)
	st, _ = e.post("/api/v1/admin/groups/ban", adminSecret, server.AdminGroupBanReq{GroupID: g.GroupID, UserID: "bad", Banned: false})
	require.Equal(t, http.StatusNoContent, st)
	mem.do(protocol.ReqInviteToGroup, protocol.GroupUsersReq{GroupID: g.GroupID, UserIDs: []string{"bad"}}, nil)

	st, body = e.post("/api/v1/admin/groups/members/remove", adminSecret, server.AdminGroupMembersReq{GroupID: g.GroupID, UserIDs: []string{"mem"}})
	assert.Equal(t, http.StatusBadRequest, st, "the owner cannot be removed: %s", body)
	st, _ = e.post("/api/v1/admin/groups/members/remove", adminSecret, server.AdminGroupMembersReq{GroupID: g.GroupID, UserIDs: []string{"own"}})
	assert.Equal(t, http.StatusNoContent, st)
	st, _ = e.post("/api/v1/admin/groups/update", adminSecret, server.AdminUpdateGroupReq{SetGroupInfoReq: protocol.SetGroupInfoReq{GroupID: "gnosuch", Name: &name}})
	assert.Equal(t, http.StatusNotFound, st)
}

// TestGroupMemberChanges: group.memberChanges names each changed member
// once, as they are now, removed ones apart; a version the log does not
// reach is tooOld; more than MaxGroupMemberChanges come in pages that end
// where the next begins.
func TestGroupMemberChanges(t *testing.T) {
	e := newEnv(t)
	tok := map[string]string{}
	for _, u := range []string{"own", "adm", "mem", "nu"} {
		tok[u] = e.adminUser(u)
	}
	own := e.dial(tok["own"])
	var g protocol.Group
	own.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "Team", MemberUserIDs: []string{"adm", "mem"}}, &g)
	assert.Equal(t, int64(1), g.MemberVersion)
	gid := g.GroupID

	changes := func(since int64) protocol.GroupMemberChangesResp {
		t.Helper()
		var r protocol.GroupMemberChangesResp
		own.do(protocol.ReqGroupMemberChanges, protocol.GroupMemberChangesReq{GroupID: gid, Since: since}, &r)
		return r
	}
	assert.Equal(t, protocol.GroupMemberChangesResp{Version: 1}, changes(1), "nothing new")
	assert.Equal(t, protocol.GroupMemberChangesResp{Version: 1, TooOld: true}, changes(0), "before the log: read the list")
	assert.Equal(t, protocol.GroupMemberChangesResp{Version: 1, TooOld: true}, changes(7), "a version never given")

	own.do(protocol.ReqInviteToGroup, protocol.GroupUsersReq{GroupID: gid, UserIDs: []string{"nu"}}, nil)
	own.do(protocol.ReqSetGroupMemberRole, protocol.GroupMemberRoleReq{GroupID: gid, UserID: "adm", Role: protocol.RoleAdmin}, nil)
	own.do(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: gid, UserID: "mem"}, nil)
	own.do(protocol.ReqSetGroupMemberNickname, protocol.GroupMemberNicknameReq{GroupID: gid, UserID: "nu", Nickname: "New"}, nil)
	var info protocol.Group
	own.do(protocol.ReqGetGroupInfo, protocol.GroupIDReq{GroupID: gid}, &info)
	assert.Equal(t, int64(5), info.MemberVersion, "group.info tells the version")

	r := changes(1)
	assert.Equal(t, int64(5), r.Version)
	assert.False(t, r.HasMore || r.TooOld)
	assert.Equal(t, []string{"mem"}, r.RemovedUserIDs)
	require.Len(t, r.Members, 2, "nu once, as now, and adm")
	assert.Equal(t, "adm", r.Members[0].UserID)
	assert.Equal(t, protocol.RoleAdmin, r.Members[0].Role)
	assert.Equal(t, "nu", r.Members[1].UserID)
	assert.Equal(t, "New", r.Members[1].Nickname)
	r = changes(3)
	assert.Equal(t, []string{"mem"}, r.RemovedUserIDs)
	require.Len(t, r.Members, 1)
	assert.Equal(t, "nu", r.Members[0].UserID)

	for i := 0; i <= protocol.MaxGroupMemberChanges; i++ {
		own.do(protocol.ReqSetGroupMemberNickname, protocol.GroupMemberNicknameReq{GroupID: gid, UserID: "adm", Nickname: fmt.Sprint("A", i)}, nil)
	}
	first := changes(5)
	require.True(t, first.HasMore)
	assert.Equal(t, int64(5+protocol.MaxGroupMemberChanges), first.Version, "the page ends at its last change")
	rest := changes(first.Version)
	assert.False(t, rest.HasMore)
	assert.Equal(t, int64(6+protocol.MaxGroupMemberChanges), rest.Version)
	require.Len(t, rest.Members, 1)
	assert.Equal(t, fmt.Sprint("A", protocol.MaxGroupMemberChanges), rest.Members[0].Nickname)
}

// TestRemovedMemberReadsUpToRemoval: a member who quit, and one whose
// group was dismissed, pull the group's messages up to the notification
// of what happened and nothing after it; their sends are refused.
func TestRemovedMemberReadsUpToRemoval(t *testing.T) {
	e := newEnv(t)
	tok := map[string]string{}
	for _, u := range []string{"own", "quitter", "stayer"} {
		tok[u] = e.adminUser(u)
	}
	own, quitter, stayer := e.dial(tok["own"]), e.dial(tok["quitter"]), e.dial(tok["stayer"])
	var g protocol.Group
	own.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "Team", MemberUserIDs: []string{"quitter", "stayer"}}, &g)
	conv := protocol.GroupConversationID(g.GroupID)
	pullAll := func(c *client) []protocol.Message {
		t.Helper()
		var pr protocol.PullResp
		c.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1, Limit: 100}}}, &pr)
		return pr.Messages
	}
	removedState := func(c *client) protocol.ConversationState {
		t.Helper()
		var sr protocol.SyncResp
		c.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
		for _, st := range sr.Conversations {
			if st.ConversationID == conv {
				require.True(t, st.Removed)
				return st
			}
		}
		t.Fatalf("no state of %s", conv)
		return protocol.ConversationState{}
	}
	kindOf := func(m protocol.Message) string {
		var n protocol.NotificationContent
		if m.ContentType != protocol.ContentNotification || json.Unmarshal(m.Content, &n) != nil {
			return ""
		}
		return n.Kind
	}
	sendRefused := func(c *client) {
		t.Helper()
		c.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "late", GroupID: g.GroupID, ContentType: protocol.ContentText, Content: text("late")},
			protocol.CodePermissionDenied)
	}

	own.sendText("m1", "", g.GroupID, "before")
	quitter.do(protocol.ReqQuitGroup, protocol.GroupIDReq{GroupID: g.GroupID}, nil)
	after := own.sendText("m2", "", g.GroupID, "after the quit")
	ms := pullAll(quitter)
	require.NotEmpty(t, ms)
	last := ms[len(ms)-1]
	assert.Equal(t, protocol.NotificationMemberRemoved, kindOf(last), "the quitter's timeline ends with the quit")
	assert.Equal(t, last.Seq, removedState(quitter).MaxSeq)
	assert.Less(t, last.Seq, after.Seq)
	quitSeq := last.Seq
	for _, m := range ms {
		assert.NotEqual(t, "m2", m.ClientMsgID, "a message after the quit")
	}
	sendRefused(quitter)

	own.do(protocol.ReqDismissGroup, protocol.GroupIDReq{GroupID: g.GroupID}, nil)
	ms = pullAll(stayer)
	require.NotEmpty(t, ms)
	last = ms[len(ms)-1]
	assert.Equal(t, protocol.NotificationDismissed, kindOf(last), "the timeline ends with the dismissal")
	st := removedState(stayer)
	assert.True(t, st.GroupDismissed)
	assert.Equal(t, last.Seq, st.MaxSeq)
	assert.True(t, slices.ContainsFunc(ms, func(m protocol.Message) bool { return m.ClientMsgID == "m2" }), "what was said before the dismissal")
	sendRefused(stayer)
	// The quitter still reads no further than the quit.
	ms = pullAll(quitter)
	assert.Equal(t, quitSeq, ms[len(ms)-1].Seq)
}
