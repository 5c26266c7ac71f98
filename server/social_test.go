package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

func TestFriends(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	carol, cTok := e.register("carol")
	a, b, c := e.dial(aTok), e.dial(bTok), e.dial(cTok)

	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob, Message: "hi, it's alice"}, nil)
	fr := decode[protocol.FriendRequest](t, b.push(protocol.PushFriendRequest))
	if fr.FromUserID != alice || fr.ToUserID != bob || fr.Message != "hi, it's alice" || fr.State != protocol.FriendRequestPending ||
		fr.FromUser == nil || fr.FromUser.Username != "alice" {
		t.Fatalf("request push %+v", fr)
	}
	a.push(protocol.PushFriendRequest) // the requester's devices keep the request too
	for _, cl := range []*client{a, b} {
		var rr protocol.FriendRequestsResp
		cl.do(protocol.ReqListFriendRequests, nil, &rr)
		if len(rr.Requests) != 1 || rr.Requests[0].FromUserID != alice {
			t.Fatalf("requests %+v", rr)
		}
	}
	b.wantError(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: carol}, protocol.CodeNotFound)
	a.wantError(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: bob}, protocol.CodeNotFound) // one's own request
	b.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: alice}, nil)
	for _, cl := range []*client{a, b} {
		if fr := decode[protocol.FriendRequest](t, cl.push(protocol.PushFriendRequest)); fr.State != protocol.FriendRequestAccepted || fr.HandleTime == 0 {
			t.Fatalf("accepted request push %+v", fr)
		}
	}
	if u := decode[protocol.User](t, a.push(protocol.PushFriendAdded)); u.UserID != bob {
		t.Fatalf("alice told of %+v", u)
	}
	if u := decode[protocol.User](t, b.push(protocol.PushFriendAdded)); u.UserID != alice {
		t.Fatalf("bob told of %+v", u)
	}
	var fl protocol.UsersResp
	a.do(protocol.ReqListFriends, nil, &fl)
	if len(fl.Users) != 1 || fl.Users[0].UserID != bob {
		t.Fatalf("friends %+v", fl)
	}
	a.wantError(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, protocol.CodeAlreadyExists)
	a.wantError(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: alice}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: "ghost"}, protocol.CodeNotFound)
	a.wantError(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: "bad_id"}, protocol.CodeInvalidArgument)

	// Asking someone who already asked you accepts.
	c.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: alice}, nil)
	a.push(protocol.PushFriendRequest)
	c.push(protocol.PushFriendRequest)
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: carol}, nil)
	for _, cl := range []*client{a, c} {
		cl.push(protocol.PushFriendRequest)
		cl.push(protocol.PushFriendAdded)
	}
	c.do(protocol.ReqListFriends, nil, &fl)
	if len(fl.Users) != 1 || fl.Users[0].UserID != alice {
		t.Fatalf("carol's friends %+v", fl)
	}
	var rr protocol.FriendRequestsResp
	a.do(protocol.ReqListFriendRequests, nil, &rr)
	for _, r := range rr.Requests {
		if r.State != protocol.FriendRequestAccepted {
			t.Fatalf("requests left pending %+v", rr)
		}
	}
}

func TestGroups(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)

	var g protocol.Group
	a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "  Team  ", MemberUserIDs: []string{bob, bob, alice}}, &g)
	if !protocol.ValidID(g.GroupID) || g.Name != "Team" || g.OwnerUserID != alice || g.MemberCount != 2 {
		t.Fatalf("group %+v", g)
	}
	if g.MyRole != protocol.RoleOwner {
		t.Fatalf("the creator's role %q", g.MyRole)
	}
	for i, c := range []*client{a, b} {
		if pg := decode[protocol.Group](t, c.push(protocol.PushGroup)); pg.GroupID != g.GroupID {
			t.Fatalf("push.group %+v", pg)
		}
		var gl protocol.GroupsResp
		c.do(protocol.ReqListGroups, nil, &gl)
		if i == 1 {
			g.MyRole = protocol.RoleMember
		}
		if len(gl.Groups) != 1 || gl.Groups[0] != g {
			t.Fatalf("groups %+v, want %+v", gl, g)
		}
		var sr protocol.SyncResp
		c.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
		if len(sr.Conversations) != 1 || sr.Conversations[0].GroupID != g.GroupID || sr.Conversations[0].MaxSeq != 0 || sr.Conversations[0].LatestMessage != nil {
			t.Fatalf("sync %+v", sr)
		}
	}
	r := b.sendText("g1", "", g.GroupID, "hello team")
	if r.ConversationID != protocol.GroupConversationID(g.GroupID) || r.Seq != 1 {
		t.Fatalf("group ack %+v", r)
	}
	if m := decode[protocol.Message](t, a.push(protocol.PushMessage)); m.GroupID != g.GroupID || m.SessionType != protocol.SessionGroup || m.RecvID != "" {
		t.Fatalf("group push %+v", m)
	}

	a.wantError(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "", MemberUserIDs: []string{bob}}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: strings.Repeat("n", 129)}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "x", MemberUserIDs: []string{"ghost"}}, protocol.CodeNotFound)
	a.wantError(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "x", MemberUserIDs: []string{"bad_id"}}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqGetGroupMembers, protocol.GroupIDReq{}, protocol.CodeInvalidArgument)
}

func TestProfiles(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)

	nick, face := "Alice!", "https://img/a.png"
	var u protocol.User
	a.do(protocol.ReqSetSelf, protocol.SetSelfReq{Nickname: &nick, FaceURL: &face}, &u)
	if u.Nickname != nick || u.FaceURL != face {
		t.Fatalf("setSelf %+v", u)
	}
	only := "Just Nick"
	a.do(protocol.ReqSetSelf, protocol.SetSelfReq{Nickname: &only}, &u)
	if u.Nickname != only || u.FaceURL != face {
		t.Fatalf("partial setSelf %+v", u)
	}
	emptyNick := " "
	a.wantError(protocol.ReqSetSelf, protocol.SetSelfReq{Nickname: &emptyNick}, protocol.CodeInvalidArgument)

	var ur protocol.UsersResp
	b.do(protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: []string{alice, "ghost", bob, alice}}, &ur)
	if len(ur.Users) != 2 || ur.Users[0].UserID != alice || ur.Users[0].Nickname != only || ur.Users[1].UserID != bob {
		t.Fatalf("getUsers %+v", ur)
	}
	b.do(protocol.ReqFindUser, protocol.FindUserReq{Username: "ALICE"}, &u)
	if u.UserID != alice {
		t.Fatalf("find %+v", u)
	}
	b.wantError(protocol.ReqFindUser, protocol.FindUserReq{Username: "nobody"}, protocol.CodeNotFound)
	b.wantError(protocol.ReqFindUser, protocol.FindUserReq{}, protocol.CodeNotFound)
}

// Names other users see refuse control and bidirectional formatting
// characters, and avatars must be web addresses or the server's files,
// wherever they are set: registration, the admin API, user.setSelf,
// group.create, friend requests.
func TestNamesAndAvatarsRefuseSpoofing(t *testing.T) {
	e := newEnv(t)
	bob, _ := e.register("bob")
	_, tok := e.register("mallory")
	c := e.dial(tok)
	for _, bad := range []string{"\u202Eecila", "nul\x00", "a\nb", "iso\u2066late"} {
		c.wantError(protocol.ReqSetSelf, protocol.SetSelfReq{Nickname: &bad}, protocol.CodeInvalidArgument)
		c.wantError(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: bad}, protocol.CodeInvalidArgument)
		st, body := e.post("/api/v1/auth/register", "", protocol.RegisterReq{Username: "spoof", Password: "long enough", Nickname: bad})
		wantHTTPError(t, st, body, http.StatusBadRequest, protocol.CodeInvalidArgument)
		st, body = e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: "spoof", Nickname: bad})
		wantHTTPError(t, st, body, http.StatusBadRequest, protocol.CodeInvalidArgument)
	}
	c.wantError(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob, Message: "hi \u202Egnp.exe"}, protocol.CodeInvalidArgument)
	for _, bad := range []string{"javascript:alert(document.cookie)", "data:text/html,<script>x</script>", "/etc/passwd", "https://u:p@evil.example/a.png"} {
		c.wantError(protocol.ReqSetSelf, protocol.SetSelfReq{FaceURL: &bad}, protocol.CodeInvalidArgument)
		c.wantError(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "g", FaceURL: bad}, protocol.CodeInvalidArgument)
		st, body := e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: "spoof", FaceURL: bad})
		wantHTTPError(t, st, body, http.StatusBadRequest, protocol.CodeInvalidArgument)
	}
	var me protocol.User
	c.do(protocol.ReqGetSelf, nil, &me)
	assert.Equal(t, "mallory", me.Nickname)
	assert.Empty(t, me.FaceURL)

	// What is fine stays fine.
	for _, face := range []string{"https://cdn.example/a.png", "/api/v1/files/f1", ""} {
		nick := "Zoë 👩‍💻"
		c.do(protocol.ReqSetSelf, protocol.SetSelfReq{Nickname: &nick, FaceURL: &face}, &me)
		assert.Equal(t, face, me.FaceURL)
	}
	c.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob, Message: "hi bob,\nremember me?"}, nil)
}

// Asking again while a friend request is pending succeeds and changes
// nothing: the target is told once, and the request keeps its message.
func TestAddFriendTwiceIsIdempotent(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob, Message: "first"}, nil)
	first := decode[protocol.FriendRequest](t, b.push(protocol.PushFriendRequest))
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob, Message: "second"}, nil)
	// Pushes and answers to one connection keep their order: after this
	// answer, a second push would have arrived.
	b.ping()
	b.noPush()
	var rr protocol.FriendRequestsResp
	b.do(protocol.ReqListFriendRequests, nil, &rr)
	require.Len(t, rr.Requests, 1)
	assert.Equal(t, "first", rr.Requests[0].Message)
	assert.Equal(t, first.CreateTime, rr.Requests[0].CreateTime)
}
