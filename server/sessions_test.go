package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"parley/protocol"
	"parley/server"
)

func (e *env) platformToken(userID, platform string) string {
	e.t.Helper()
	st, body := e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: userID, Platform: platform})
	if st != http.StatusOK {
		e.t.Fatalf("admin token %s: %d %s", userID, st, body)
	}
	var tr protocol.TokenResp
	json.Unmarshal(body, &tr)
	return tr.Token
}

func TestSinglePerPlatformReplacesOlderSession(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.SessionPolicy = server.SessionsSinglePerPlatform })
	e.adminUser("sam")
	e.adminUser("pat")
	web1 := e.dial(e.platformToken("sam", protocol.PlatformWeb))
	ios := e.dial(e.platformToken("sam", protocol.PlatformIOS))
	patWeb := e.dial(e.platformToken("pat", protocol.PlatformWeb))
	web1.ping()

	// A second web login (a new token, or the same one) replaces the first.
	web2 := e.dial(e.platformToken("sam", protocol.PlatformWeb))
	if k := decode[protocol.Kicked](t, web1.push(protocol.PushKicked)); k.Reason != "replaced" {
		t.Fatalf("kicked %+v", k)
	}
	if err := web1.waitClosed(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("old session closed with %v", err)
	}
	// The new session, the other platform and other users are untouched.
	web2.ping()
	ios.ping()
	patWeb.ping()
	ios.noPush()
	patWeb.noPush()
	web2.noPush()
	// Messages reach the surviving sessions.
	patWeb.sendText("p1", "sam", "", "still there?")
	web2.push(protocol.PushMessage)
	ios.push(protocol.PushMessage)

	// The same on the other platform.
	ios2 := e.dial(e.platformToken("sam", protocol.PlatformIOS))
	if k := decode[protocol.Kicked](t, ios.push(protocol.PushKicked)); k.Reason != "replaced" {
		t.Fatalf("kicked %+v", k)
	}
	ios.waitClosed()
	ios2.ping()
	web2.ping()
	web2.noPush()
}

func TestMultiSessionPolicyKeepsAll(t *testing.T) {
	e := newEnv(t)
	e.adminUser("sam")
	a := e.dial(e.platformToken("sam", protocol.PlatformWeb))
	b := e.dial(e.platformToken("sam", protocol.PlatformWeb))
	a.ping()
	b.ping()
	a.noPush()
	if _, err := server.New(t.Context(), server.Config{Store: e.cfg.Store, AdminSecret: "x", SessionPolicy: "one"}); err == nil {
		t.Fatal("unknown session policy accepted")
	}
}

func TestGroupKick(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{"own", "mem", "out"} {
		e.adminUser(u)
	}
	st, body := e.post("/api/v1/admin/groups", adminSecret, server.AdminCreateGroupReq{OwnerUserID: "own", Name: "g", MemberUserIDs: []string{"mem", "out"}})
	if st != http.StatusCreated {
		t.Fatalf("group: %d %s", st, body)
	}
	var g protocol.Group
	json.Unmarshal(body, &g)
	own, mem, out := e.dial(e.token("own")), e.dial(e.token("mem")), e.dial(e.token("out"))

	own.wantError(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "own"}, protocol.CodeInvalidArgument)
	own.wantError(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "nobody"}, protocol.CodeNotFound)
	own.wantError(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: "bad_id", UserID: "out"}, protocol.CodeInvalidArgument)
	mem.wantError(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "out"}, protocol.CodePermissionDenied)
	own.do(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "out"}, nil)

	// The removed member and the remaining ones all learn it, with the new
	// count.
	for _, c := range []*client{own, mem, out} {
		// The notification first: the removed member's timeline ends with it.
		n := decode[protocol.Message](t, c.push(protocol.PushMessage))
		if n.ContentType != protocol.ContentNotification || !strings.Contains(string(n.Content), `"kind":"memberRemoved"`) {
			t.Fatalf("notification %+v", n)
		}
		r := decode[protocol.GroupMemberRemoved](t, c.push(protocol.PushGroupMemberRemoved))
		if r.GroupID != g.GroupID || r.UserID != "out" || r.OperatorUserID != "own" || r.Reason != protocol.RemovedKicked || r.Group.MemberCount != 2 {
			t.Fatalf("push.groupMemberRemoved %+v", r)
		}
	}
	out.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "x", GroupID: g.GroupID, ContentType: protocol.ContentText, Content: text("hi")}, protocol.CodePermissionDenied)
	own.wantError(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: g.GroupID, UserID: "out"}, protocol.CodeNotFound)
	mem.sendText("m1", "", g.GroupID, "still here")
	// A push to out would be queued before the answer to this ping.
	out.ping()
	out.noPush()
	own.push(protocol.PushMessage)

	// Leaving: the owner may not, a member may, once.
	own.wantError(protocol.ReqQuitGroup, protocol.GroupIDReq{GroupID: g.GroupID}, protocol.CodePermissionDenied)
	out.wantError(protocol.ReqQuitGroup, protocol.GroupIDReq{GroupID: g.GroupID}, protocol.CodePermissionDenied)
	mem.do(protocol.ReqQuitGroup, protocol.GroupIDReq{GroupID: g.GroupID}, nil)
	for _, c := range []*client{own, mem} {
		c.push(protocol.PushMessage) // the notification
		r := decode[protocol.GroupMemberRemoved](t, c.push(protocol.PushGroupMemberRemoved))
		if r.UserID != "mem" || r.OperatorUserID != "mem" || r.Reason != protocol.RemovedQuit || r.Group.MemberCount != 1 {
			t.Fatalf("push.groupMemberRemoved %+v", r)
		}
	}
	mem.wantError(protocol.ReqQuitGroup, protocol.GroupIDReq{GroupID: g.GroupID}, protocol.CodePermissionDenied)
	var gs protocol.GroupsResp
	mem.do(protocol.ReqListGroups, nil, &gs)
	if len(gs.Groups) != 0 {
		t.Fatalf("left group still listed: %+v", gs.Groups)
	}
	out.noPush()
}

func TestBlockUser(t *testing.T) {
	e := newEnv(t)
	a, aTok := e.register("blocker")
	b, bTok := e.register("pest")
	ac, bc := e.dial(aTok), e.dial(bTok)
	ac.wantError(protocol.ReqBlockUser, protocol.UserIDReq{UserID: a}, protocol.CodeInvalidArgument)
	ac.wantError(protocol.ReqBlockUser, protocol.UserIDReq{UserID: "nobody"}, protocol.CodeNotFound)
	ac.do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: b}, nil)
	ac.push(protocol.PushBlockChanged)
	bc.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "x", RecvID: a, ContentType: protocol.ContentText, Content: text("hey")}, protocol.CodePermissionDenied)
	bc.wantError(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: a}, protocol.CodePermissionDenied)
	// The blocker may still write; blocking is one-way.
	ac.sendText("a1", b, "", "go away")
	bc.push(protocol.PushMessage)
	ac.do(protocol.ReqUnblockUser, protocol.UserIDReq{UserID: b}, nil)
	ac.push(protocol.PushBlockChanged)
	bc.sendText("b1", a, "", "sorry")
	// The first message the blocker gets is the one after the unblock.
	m := decode[protocol.Message](t, ac.push(protocol.PushMessage))
	if m.ClientMsgID != "b1" {
		t.Fatalf("delivered %+v", m)
	}
}
