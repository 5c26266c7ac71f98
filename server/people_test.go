package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

func TestFriendRefuseDeleteRemark(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, a2, b := e.dial(aTok), e.dial(aTok), e.dial(bTok)

	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob, Message: "hi"}, nil)
	for _, cl := range []*client{a, a2, b} {
		fr := decode[protocol.FriendRequest](t, cl.push(protocol.PushFriendRequest))
		assert.Equal(t, protocol.FriendRequestPending, fr.State)
	}
	// Asking again while pending pushes nothing: the request fires once.
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob, Message: "hi"}, nil)
	b.ping()
	b.noPush()
	a.noPush()

	a.wantError(protocol.ReqRefuseFriend, protocol.UserIDReq{UserID: bob}, protocol.CodeNotFound) // one's own request
	b.wantError(protocol.ReqRefuseFriend, protocol.UserIDReq{UserID: "bad_id"}, protocol.CodeInvalidArgument)
	b.do(protocol.ReqRefuseFriend, protocol.UserIDReq{UserID: alice}, nil)
	for _, cl := range []*client{a, a2, b} {
		fr := decode[protocol.FriendRequest](t, cl.push(protocol.PushFriendRequest))
		assert.Equal(t, protocol.FriendRequestRefused, fr.State)
		assert.NotZero(t, fr.HandleTime)
		assert.Equal(t, alice, fr.FromUserID)
	}
	b.wantError(protocol.ReqRefuseFriend, protocol.UserIDReq{UserID: alice}, protocol.CodeNotFound) // refused already
	var rr protocol.FriendRequestsResp
	a.do(protocol.ReqListFriendRequests, nil, &rr)
	require.Len(t, rr.Requests, 1)
	assert.Equal(t, protocol.FriendRequestRefused, rr.Requests[0].State)
	assert.NotZero(t, rr.Requests[0].HandleTime)

	// A refused user may ask again; this time bob accepts.
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, nil)
	for _, cl := range []*client{a, a2, b} {
		cl.push(protocol.PushFriendRequest)
	}
	b.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: alice}, nil)
	for _, cl := range []*client{a, a2, b} {
		cl.push(protocol.PushFriendRequest)
		cl.push(protocol.PushFriendAdded)
	}

	// A remark is the caller's own: only their devices hear of it.
	a.wantError(protocol.ReqSetFriendRemark, protocol.SetFriendRemarkReq{UserID: bob, Remark: strings.Repeat("x", 129)}, protocol.CodeInvalidArgument)
	b.wantError(protocol.ReqSetFriendRemark, protocol.SetFriendRemarkReq{UserID: "ghost", Remark: "x"}, protocol.CodeNotFound)
	a.do(protocol.ReqSetFriendRemark, protocol.SetFriendRemarkReq{UserID: bob, Remark: "Bobby"}, nil)
	for _, cl := range []*client{a, a2} {
		u := decode[protocol.User](t, cl.push(protocol.PushFriendChanged))
		assert.Equal(t, bob, u.UserID)
		assert.Equal(t, "Bobby", u.Remark)
	}
	b.ping()
	b.noPush()
	var fl protocol.UsersResp
	a.do(protocol.ReqListFriends, nil, &fl)
	require.Len(t, fl.Users, 1)
	assert.Equal(t, "Bobby", fl.Users[0].Remark)
	var bl protocol.UsersResp
	b.do(protocol.ReqListFriends, nil, &bl)
	require.Len(t, bl.Users, 1)
	assert.Empty(t, bl.Users[0].Remark, "alice's remark is not bob's")

	// Deleting ends it for both, and both sides' devices are told who.
	b.do(protocol.ReqDeleteFriend, protocol.UserIDReq{UserID: alice}, nil)
	for _, cl := range []*client{a, a2} {
		assert.Equal(t, bob, decode[protocol.UserIDReq](t, cl.push(protocol.PushFriendDeleted)).UserID)
	}
	assert.Equal(t, alice, decode[protocol.UserIDReq](t, b.push(protocol.PushFriendDeleted)).UserID)
	b.wantError(protocol.ReqDeleteFriend, protocol.UserIDReq{UserID: alice}, protocol.CodeNotFound)
	b.wantError(protocol.ReqDeleteFriend, protocol.UserIDReq{UserID: bob}, protocol.CodeInvalidArgument)
	var after protocol.UsersResp
	a.do(protocol.ReqListFriends, nil, &after)
	assert.Empty(t, after.Users)
	a.wantError(protocol.ReqSetFriendRemark, protocol.SetFriendRemarkReq{UserID: bob, Remark: "x"}, protocol.CodeNotFound)
}

func TestBlockList(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, a2, b := e.dial(aTok), e.dial(aTok), e.dial(bTok)

	a.do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: bob}, nil)
	for _, cl := range []*client{a, a2} {
		bc := decode[protocol.BlockChanged](t, cl.push(protocol.PushBlockChanged))
		assert.Equal(t, protocol.BlockChanged{UserID: bob, Blocked: true, User: protocol.User{UserID: bob, Username: "bob", Nickname: bc.User.Nickname}}, bc)
	}
	b.ping()
	b.noPush() // the blocked user is not told
	var bl protocol.UsersResp
	a.do(protocol.ReqListBlocked, nil, &bl)
	require.Len(t, bl.Users, 1)
	assert.Equal(t, bob, bl.Users[0].UserID)

	// Enforced: bob's messages and requests to alice are refused.
	b.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "m1", RecvID: alice, ContentType: protocol.ContentText, Content: text("hi")}, protocol.CodePermissionDenied)
	b.wantError(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: alice}, protocol.CodePermissionDenied)

	a.do(protocol.ReqUnblockUser, protocol.UserIDReq{UserID: bob}, nil)
	for _, cl := range []*client{a, a2} {
		assert.False(t, decode[protocol.BlockChanged](t, cl.push(protocol.PushBlockChanged)).Blocked)
	}
	var after protocol.UsersResp
	a.do(protocol.ReqListBlocked, nil, &after)
	assert.Empty(t, after.Users)
	b.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: alice}, nil)
}

func TestProfileChangesReachRelatedUsers(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	_, cTok := e.register("carol")
	_, dTok := e.register("dave")
	a, a2, b, c, d := e.dial(aTok), e.dial(aTok), e.dial(bTok), e.dial(cTok), e.dial(dTok)
	// bob is alice's friend, carol shares a group with her, dave is a stranger.
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, nil)
	b.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: alice}, nil)
	var g protocol.Group
	c.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "G", MemberUserIDs: []string{alice}}, &g)
	var before protocol.ChangedProfilesResp
	b.do(protocol.ReqChangedProfiles, protocol.ChangedProfilesReq{}, &before)
	drain := func(cl *client) {
		cl.ping()
		for {
			select {
			case <-cl.pushes:
				continue
			default:
			}
			return
		}
	}
	for _, cl := range []*client{a, a2, b, c, d} {
		drain(cl)
	}

	nick, ex := "Alice A.", `{"title":"CTO"}`
	var me protocol.User
	a.do(protocol.ReqSetSelf, protocol.SetSelfReq{Nickname: &nick, Ex: &ex}, &me)
	assert.Equal(t, ex, me.Ex)
	for _, cl := range []*client{a, a2, b, c} {
		u := decode[protocol.User](t, cl.push(protocol.PushUserChanged))
		assert.Equal(t, protocol.User{UserID: alice, Username: "alice", Nickname: nick, Ex: ex, FaceURL: u.FaceURL}, u)
	}
	d.ping()
	d.noPush() // a stranger is not told

	// Away, bob catches up from his cursor: only alice's change.
	var after protocol.ChangedProfilesResp
	b.do(protocol.ReqChangedProfiles, protocol.ChangedProfilesReq{Cursor: before.Cursor}, &after)
	require.Len(t, after.Users, 1)
	assert.Equal(t, nick, after.Users[0].Nickname)
	assert.Greater(t, after.Cursor, before.Cursor)
	var none protocol.ChangedProfilesResp
	b.do(protocol.ReqChangedProfiles, protocol.ChangedProfilesReq{Cursor: after.Cursor}, &none)
	assert.Empty(t, none.Users)
	assert.Equal(t, after.Cursor, none.Cursor)
	var strangers protocol.ChangedProfilesResp
	d.do(protocol.ReqChangedProfiles, protocol.ChangedProfilesReq{}, &strangers)
	assert.Empty(t, strangers.Users, "dave is not related to alice")

	big := strings.Repeat("x", protocol.MaxExLen+1)
	a.wantError(protocol.ReqSetSelf, protocol.SetSelfReq{Ex: &big}, protocol.CodeInvalidArgument)
}

func TestSearchUsers(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("annabel")
	_, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	var r protocol.UsersResp
	b.do(protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: "  ANNA "}, &r)
	require.Len(t, r.Users, 1)
	assert.Equal(t, "annabel", r.Users[0].Username)

	// Opting out hides the user from search, not from user.get.
	no := false
	a.do(protocol.ReqSetSelf, protocol.SetSelfReq{Searchable: &no}, nil)
	var hidden protocol.UsersResp
	b.do(protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: "anna"}, &hidden)
	assert.Empty(t, hidden.Users)

	b.wantError(protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: " "}, protocol.CodeInvalidArgument)
	b.wantError(protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: strings.Repeat("x", protocol.MaxSearchKeyword+1)}, protocol.CodeInvalidArgument)
	b.wantError(protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: "x", Count: protocol.MaxSearchCount + 1}, protocol.CodeInvalidArgument)
	b.wantError(protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: "x", Offset: -1}, protocol.CodeInvalidArgument)

	// Searching is limited per user: a burst, then rate_limited.
	limited := false
	for i := 0; i < 30 && !limited; i++ {
		f := b.call(protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: "bo"})
		limited = f.Error != nil && f.Error.Code == protocol.CodeRateLimited
	}
	assert.True(t, limited, "searches past the burst are refused")
	// Another user's searches are not.
	a.do(protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: "bo"}, &r)
}

func ptr[T any](v T) *T { return &v }

func TestAdminUpdateAndRevokeUser(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, nil)
	b.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: alice}, nil)
	for _, cl := range []*client{a, b} {
		cl.ping()
		for len(cl.pushes) > 0 {
			<-cl.pushes
		}
	}

	st, body := e.post("/api/v1/admin/users/update", adminSecret, server.AdminUpdateUserReq{UserID: alice, Nickname: ptr("Alice (Support)"), Ex: ptr(`{"staff":true}`)})
	require.Equal(t, http.StatusOK, st, string(body))
	var u protocol.User
	require.NoError(t, json.Unmarshal(body, &u))
	assert.Equal(t, "Alice (Support)", u.Nickname)
	for _, cl := range []*client{a, b} {
		assert.Equal(t, "Alice (Support)", decode[protocol.User](t, cl.push(protocol.PushUserChanged)).Nickname, "pushed as a setSelf would")
	}
	st, body = e.post("/api/v1/admin/users/update", adminSecret, server.AdminUpdateUserReq{UserID: alice, Nickname: ptr("  ")})
	wantHTTPError(t, st, body, http.StatusBadRequest, protocol.CodeInvalidArgument)
	st, body = e.post("/api/v1/admin/users/update", adminSecret, server.AdminUpdateUserReq{UserID: "ghost", Nickname: ptr("x")})
	wantHTTPError(t, st, body, http.StatusNotFound, protocol.CodeNotFound)

	// Revoking ends every session of the user: connections close, tokens fail.
	st, body = e.post("/api/v1/admin/users/revoke", adminSecret, server.AdminUserIDReq{UserID: alice})
	require.Equal(t, http.StatusNoContent, st, string(body))
	assert.Equal(t, "token_revoked", decode[protocol.Kicked](t, a.push(protocol.PushKicked)).Reason)
	a.waitClosed()
	_, resp, err := e.tryDial(aTok, nil)
	require.Error(t, err)
	if resp != nil {
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	b.ping() // bob's session is untouched
	st, body = e.post("/api/v1/admin/users/revoke", adminSecret, server.AdminUserIDReq{UserID: "ghost"})
	wantHTTPError(t, st, body, http.StatusNotFound, protocol.CodeNotFound)
}

func TestAdminDisableUser(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	a := e.dial(aTok)
	st, body := e.post("/api/v1/admin/users/disable", adminSecret, server.AdminDisableUserReq{UserID: alice, Disabled: true})
	require.Equal(t, http.StatusNoContent, st, string(body))
	assert.Equal(t, "token_revoked", decode[protocol.Kicked](t, a.push(protocol.PushKicked)).Reason, "the sessions end")
	a.waitClosed()

	// Sign-in, new tokens and old ones are refused while disabled.
	st, body = e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "alice", Password: "password-alice"})
	wantHTTPError(t, st, body, http.StatusForbidden, protocol.CodePermissionDenied)
	_, _, err := e.tryDial(aTok, nil)
	assert.Error(t, err, "an old token no longer opens a connection")
	st, body = e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: alice})
	wantHTTPError(t, st, body, http.StatusForbidden, protocol.CodePermissionDenied)

	st, body = e.post("/api/v1/admin/users/disable", adminSecret, server.AdminDisableUserReq{UserID: alice})
	require.Equal(t, http.StatusNoContent, st, string(body))
	b := e.dial(e.token(alice))
	b.ping()
	st, body = e.post("/api/v1/admin/users/disable", adminSecret, server.AdminDisableUserReq{UserID: "ghost", Disabled: true})
	wantHTTPError(t, st, body, http.StatusNotFound, protocol.CodeNotFound)
}

func TestAdminSendAsUser(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	send := protocol.SendReq{ClientMsgID: "welcome-1", RecvID: bob, ContentType: protocol.ContentText, Content: text("Welcome aboard!")}
	st, body := e.post("/api/v1/admin/messages", adminSecret, server.AdminSendReq{SendID: alice, SendReq: send})
	require.Equal(t, http.StatusOK, st, string(body))
	var sr protocol.SendResp
	require.NoError(t, json.Unmarshal(body, &sr))
	assert.Equal(t, int64(1), sr.Seq)
	for _, cl := range []*client{a, b} {
		m := decode[protocol.Message](t, cl.push(protocol.PushMessage))
		assert.Equal(t, alice, m.SendID, "as alice, on every device of both")
		assert.Equal(t, sr.ServerMsgID, m.ServerMsgID)
	}
	// The clientMsgID is the idempotency key here too.
	st, body = e.post("/api/v1/admin/messages", adminSecret, server.AdminSendReq{SendID: alice, SendReq: send})
	require.Equal(t, http.StatusOK, st, string(body))
	var again protocol.SendResp
	require.NoError(t, json.Unmarshal(body, &again))
	assert.True(t, again.Duplicate)
	assert.Equal(t, sr.Seq, again.Seq)

	// Checked as alice's own send: bob's block holds, bad content is refused.
	b.do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: alice}, nil)
	send.ClientMsgID = ""
	st, body = e.post("/api/v1/admin/messages", adminSecret, server.AdminSendReq{SendID: alice, SendReq: send})
	wantHTTPError(t, st, body, http.StatusForbidden, protocol.CodePermissionDenied)
	st, body = e.post("/api/v1/admin/messages", adminSecret, server.AdminSendReq{SendID: bob, SendReq: protocol.SendReq{RecvID: alice, ContentType: protocol.ContentText, Content: text(" ")}})
	wantHTTPError(t, st, body, http.StatusBadRequest, protocol.CodeInvalidArgument)
	st, body = e.post("/api/v1/admin/messages", adminSecret, server.AdminSendReq{SendID: "ghost", SendReq: send})
	wantHTTPError(t, st, body, http.StatusNotFound, protocol.CodeNotFound)
}

func TestSocialVersionMovesWithEveryChange(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	version := func(cl *client) int64 {
		var v protocol.SocialVersionResp
		cl.do(protocol.ReqSocialVersion, nil, &v)
		return v.Version
	}
	steps := []struct {
		name string
		do   func()
		both bool
	}{
		{"request", func() { a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, nil) }, true},
		{"refuse", func() { b.do(protocol.ReqRefuseFriend, protocol.UserIDReq{UserID: alice}, nil) }, true},
		{"request again", func() { a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, nil) }, true},
		{"accept", func() { b.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: alice}, nil) }, true},
		{"remark", func() { a.do(protocol.ReqSetFriendRemark, protocol.SetFriendRemarkReq{UserID: bob, Remark: "B"}, nil) }, false},
		{"block", func() { a.do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: bob}, nil) }, false},
		{"unblock", func() { a.do(protocol.ReqUnblockUser, protocol.UserIDReq{UserID: bob}, nil) }, false},
		{"delete", func() { a.do(protocol.ReqDeleteFriend, protocol.UserIDReq{UserID: bob}, nil) }, true},
	}
	for _, st := range steps {
		va, vb := version(a), version(b)
		st.do()
		assert.Greater(t, version(a), va, st.name)
		if st.both {
			assert.Greater(t, version(b), vb, "%s: the other side", st.name)
		} else {
			assert.Equal(t, vb, version(b), "%s: the other side's lists did not change", st.name)
		}
	}
	// Asking again while pending changes nothing.
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, nil)
	va := version(a)
	a.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: bob}, nil)
	assert.Equal(t, va, version(a))
}

// TestSocialChangesSince: user.socialChanges answers only the rows the
// changes after a version were about, as they are now, removals included;
// a version the log does not reach is TooOld.
func TestSocialChangesSince(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	carol, cTok := e.register("carol")
	dave, _ := e.register("dave")
	a, b, c := e.dial(aTok), e.dial(bTok), e.dial(cTok)
	changes := func(since int64) protocol.SocialChangesResp {
		var r protocol.SocialChangesResp
		a.do(protocol.ReqSocialChanges, protocol.SocialChangesReq{Since: since}, &r)
		return r
	}
	// Carol is a friend before the version the device holds.
	c.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: alice}, nil)
	a.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: carol}, nil)
	held := changes(0)
	require.False(t, held.TooOld, "the log reaches back to the first change")
	since := held.Version

	b.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: alice}, nil)
	a.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: bob}, nil)
	a.do(protocol.ReqSetFriendRemark, protocol.SetFriendRemarkReq{UserID: bob, Remark: "B"}, nil)
	a.do(protocol.ReqDeleteFriend, protocol.UserIDReq{UserID: carol}, nil)
	a.do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: dave}, nil)

	r := changes(since)
	require.False(t, r.TooOld)
	assert.False(t, r.HasMore)
	assert.Equal(t, since+5, r.Version)
	require.Len(t, r.Friends, 1)
	assert.Equal(t, bob, r.Friends[0].UserID)
	assert.Equal(t, "B", r.Friends[0].Remark)
	assert.ElementsMatch(t, []string{carol, dave}, r.RemovedFriends)
	require.Len(t, r.Black, 1)
	assert.Equal(t, dave, r.Black[0].UserID)
	assert.ElementsMatch(t, []string{bob, carol}, r.RemovedBlack)
	require.Len(t, r.Requests, 2, "bob's accepted request and carol's")
	for _, fr := range r.Requests {
		assert.Equal(t, protocol.FriendRequestAccepted, fr.State)
		require.NotNil(t, fr.FromUser)
		assert.Equal(t, fr.FromUserID, fr.FromUser.UserID)
	}

	// Paged from the last version answered: nothing more.
	none := changes(r.Version)
	assert.False(t, none.TooOld)
	assert.Equal(t, r.Version, none.Version)
	assert.Empty(t, none.Friends)
	assert.Empty(t, none.RemovedFriends)
	// A version never given is too old (another deployment's); so is a
	// negative one refused.
	assert.True(t, changes(r.Version+10).TooOld)
	a.wantError(protocol.ReqSocialChanges, protocol.SocialChangesReq{Since: -1}, protocol.CodeInvalidArgument)
}

// TestSocialChangesPaged: more than MaxSocialChanges changes come in pages
// that end where the next begins.
func TestSocialChangesPaged(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	b.do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: alice}, nil)
	a.do(protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: bob}, nil)
	for i := 0; i < protocol.MaxSocialChanges; i++ {
		a.do(protocol.ReqSetFriendRemark, protocol.SetFriendRemarkReq{UserID: bob, Remark: fmt.Sprint(i)}, nil)
	}
	var first protocol.SocialChangesResp
	a.do(protocol.ReqSocialChanges, protocol.SocialChangesReq{}, &first)
	require.True(t, first.HasMore)
	assert.Equal(t, int64(protocol.MaxSocialChanges), first.Version)
	var rest protocol.SocialChangesResp
	a.do(protocol.ReqSocialChanges, protocol.SocialChangesReq{Since: first.Version}, &rest)
	assert.False(t, rest.HasMore)
	assert.Equal(t, int64(protocol.MaxSocialChanges+2), rest.Version)
	require.Len(t, rest.Friends, 1)
	assert.Equal(t, fmt.Sprint(protocol.MaxSocialChanges-1), rest.Friends[0].Remark)
}
