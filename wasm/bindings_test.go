//go:build js

package main

import (
	"context"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// settle waits for a JS promise.
func settle(t *testing.T, p js.Value) (v js.Value, rejected bool) {
	t.Helper()
	type res struct {
		v   js.Value
		rej bool
	}
	ch := make(chan res, 1)
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- res{v: a[0]}; return nil })
	fail := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- res{v: a[0], rej: true}; return nil })
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	select {
	case r := <-ch:
		return r.v, r.rej
	case <-time.After(20 * time.Second):
		t.Fatal("promise did not settle")
	}
	return js.Undefined(), false
}

func jsEval(expr string) js.Value {
	return js.Global().Call("eval", "("+expr+")")
}

// newTestHandle makes a client whose server never answers (nothing listens
// on port 1), which is enough for local data and argument checks.
func newTestHandle(t *testing.T, db string) *handle {
	t.Helper()
	h, err := newHandle(context.Background(), clientOptions{ServerURL: "http://127.0.0.1:1", DBName: db + strings.ReplaceAll(t.Name(), "/", "-"), LogLevel: "off"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func call(t *testing.T, h *handle, method string, args ...any) (js.Value, bool) {
	t.Helper()
	f := h.obj.Get(method)
	if f.Type() != js.TypeFunction {
		t.Fatalf("client has no method %s", method)
	}
	return settle(t, f.Invoke(args...))
}

// TestBindingsFollowTheSurface checks the client object against the table
// in surface.go: a function for each method and for on, and nothing else;
// on accepts each event.
func TestBindingsFollowTheSurface(t *testing.T) {
	h := newTestHandle(t, "surface")
	want := []string{"on"}
	for _, m := range jsMethods {
		want = append(want, m.Name)
	}
	var got []string
	keys := js.Global().Get("Object").Call("keys", h.obj)
	for i := range keys.Length() {
		got = append(got, keys.Index(i).String())
	}
	assert.ElementsMatch(t, want, got, "the client's functions differ from surface.go's methods")
	for _, name := range want {
		assert.Equal(t, js.TypeFunction, h.obj.Get(name).Type(), "client.%s is not a function", name)
	}

	handler := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	defer handler.Release()
	for _, e := range jsEvents {
		off := h.obj.Call("on", e, handler)
		if !assert.Equal(t, js.TypeFunction, off.Type(), "on(%q) = %v", e, off) {
			continue
		}
		assert.Equal(t, 1, h.em.Count(e), "on(%q) registered no handler", e)
		off.Invoke()
		assert.Zero(t, h.em.Count(e), "on(%q)'s unsubscribe left the handler", e)
	}
}

func TestArgumentErrors(t *testing.T) {
	h := newTestHandle(t, "args")
	cases := []struct {
		method string
		arg    string // JS expression; "" for no argument
		want   string // substring of the message
	}{
		{"login", `{userID: 1, token: "t"}`, "login: userID must be a string"},
		{"login", `{userID: "u"}`, "login: token is required"},
		{"login", `"u"`, "login: argument must be an object"},
		{"getUsersInfo", `{userIDs: "a"}`, "getUsersInfo: userIDs must be an array"},
		{"getUsersInfo", `{}`, "getUsersInfo: userIDs is required"},
		{"setSelfInfo", `{nickname: 5}`, "setSelfInfo: nickname must be a string"},
		{"findUserByUsername", `{}`, "findUserByUsername: username is required"},
		{"createTextMessage", `{text: "hi"}`, "createTextMessage: text must be a string"},
		{"createTextMessage", ``, "createTextMessage: text must be a string"},
		{"sendMessage", `{recvID: "b"}`, "sendMessage: message is required"},
		{"sendMessage", `{message: {clientMsgID: 7}, recvID: "b"}`, "sendMessage: message.clientMsgID must be a string"},
		{"sendMessage", `{message: {clientMsgID: "c"}, recvID: 3}`, "sendMessage: recvID must be a string"},
		{"getConversationList", `{offset: -1}`, "getConversationList: offset must be between"},
		{"getConversationList", `{count: 1.5}`, "getConversationList: count must be an integer"},
		{"getHistoryMessages", `{conversationID: "si_a_b"}`, "getHistoryMessages: count is required"},
		{"getHistoryMessages", `{conversationID: "si_a_b", count: 0}`, "getHistoryMessages: count must be between 1 and 500"},
		{"getHistoryMessages", `{count: 5}`, "getHistoryMessages: conversationID is required"},
		{"getHistoryMessages", `{conversationID: "si_a_b", count: 5, beforeSeq: "9"}`, "getHistoryMessages: beforeSeq must be a number"},
		{"getUnsentMessages", `{conversationID: 1}`, "getUnsentMessages: conversationID must be a string"},
		{"markConversationAsRead", `{}`, "markConversationAsRead: conversationID is required"},
		{"setConversationPinned", `{conversationID: "x", isPinned: "yes"}`, "setConversationPinned: isPinned must be a boolean"},
		{"setConversationDraft", `{conversationID: "x", draftText: 1}`, "setConversationDraft: draftText must be a string"},
		{"addFriend", `{userID: ""}`, "addFriend: userID must not be empty"},
		{"acceptFriendRequest", ``, "acceptFriendRequest: userID is required"},
		{"createGroup", `{name: "g", memberUserIDs: ["a", 2]}`, "createGroup: memberUserIDs[1] must be a string"},
		{"createGroup", `{memberUserIDs: []}`, "createGroup: name is required"},
		{"getGroupMembers", `{groupID: null}`, "getGroupMembers: groupID is required"},
		{"kickGroupMember", `{groupID: "g"}`, "kickGroupMember: userID is required"},
		{"quitGroup", `{}`, "quitGroup: groupID is required"},
		{"setGroupMemberRole", `{groupID: "g", userID: "u"}`, "setGroupMemberRole: role is required"},
		{"muteGroupMember", `{groupID: "g", userID: "u", seconds: "60"}`, "muteGroupMember: seconds must be a number"},
		{"setGroupInfo", `{name: "x"}`, "setGroupInfo: groupID is required"},
		{"getGroupMembers", `{groupID: "g", count: 501}`, "getGroupMembers: count must be between 0 and 500"},
		{"getConversation", `{conversationID: {}}`, "getConversation: conversationID must be a string"},
	}
	for _, tc := range cases {
		var args []any
		if tc.arg != "" {
			args = append(args, jsEval(tc.arg))
		}
		v, rej := call(t, h, tc.method, args...)
		if !rej {
			t.Errorf("%s(%s) resolved", tc.method, tc.arg)
			continue
		}
		if code := v.Get("code").String(); code != "invalid_argument" || !strings.Contains(v.Get("message").String(), tc.want) {
			t.Errorf("%s(%s): code %q message %q, want invalid_argument and %q", tc.method, tc.arg, code, v.Get("message").String(), tc.want)
		}
	}
}

func TestNotLoggedIn(t *testing.T) {
	h := newTestHandle(t, "nli")
	for _, m := range []string{"getSelfUserInfo", "getConversationList", "getTotalUnreadCount", "getFriendList", "getJoinedGroupList", "logout"} {
		v, rej := call(t, h, m)
		if !rej || v.Get("code").String() != "not_logged_in" {
			t.Errorf("%s before login: rejected %v with %v", m, rej, v)
		}
	}
	if v, rej := call(t, h, "getLoginUserID"); rej || v.String() != "" {
		t.Errorf("getLoginUserID before login = %v", v)
	}
}

// TestLocalLifecycle logs in with the server away (login must not wait for
// it), reads local data, logs out and logs in as someone else.
func TestLocalLifecycle(t *testing.T) {
	h := newTestHandle(t, "life")
	for _, user := range []string{"alice", "bob"} {
		if v, rej := call(t, h, "login", jsEval(`{userID: "`+user+`", token: "t"}`)); rej {
			t.Fatalf("login %s: %v", user, v.Get("message"))
		}
		if v, _ := call(t, h, "getLoginUserID"); v.String() != user {
			t.Fatalf("getLoginUserID = %v, want %s", v, user)
		}
		list, rej := call(t, h, "getConversationList")
		if rej || !js.Global().Get("Array").Call("isArray", list).Bool() || list.Length() != 0 {
			t.Fatalf("getConversationList = %v (rejected %v)", list, rej)
		}
		n, rej := call(t, h, "getTotalUnreadCount")
		if rej || n.Type() != js.TypeNumber || n.Int() != 0 {
			t.Fatalf("getTotalUnreadCount = %v", n)
		}
		m, rej := call(t, h, "createTextMessage", "hello")
		if rej || m.Get("status").String() != "created" || m.Get("clientMsgID").String() == "" || m.Get("text").String() != "hello" {
			t.Fatalf("createTextMessage = %v", js.Global().Get("JSON").Call("stringify", m))
		}
		again, rej := call(t, h, "login", jsEval(`{userID: "x", token: "t"}`))
		if !rej || again.Get("code").String() != "invalid_argument" {
			t.Fatalf("second login: %v", again)
		}
		if v, rej := call(t, h, "logout"); rej {
			t.Fatalf("logout: %v", v.Get("message"))
		}
	}
}

func TestOn(t *testing.T) {
	h := newTestHandle(t, "on")
	on := h.obj.Get("on")
	bad := on.Invoke("nope", js.Global().Get("Function").New())
	if !bad.InstanceOf(js.Global().Get("Error")) || bad.Get("code").String() != "invalid_argument" {
		t.Fatalf("on(unknown) = %v", bad)
	}
	got := make(chan string, 4)
	fn := js.FuncOf(func(_ js.Value, a []js.Value) any { got <- a[0].Get("state").String(); return nil })
	defer fn.Release()
	off := on.Invoke("connectionStateChanged", fn)
	if off.Type() != js.TypeFunction {
		t.Fatalf("on returned %v", off)
	}
	if v, rej := call(t, h, "login", jsEval(`{userID: "carol", token: "t"}`)); rej {
		t.Fatalf("login: %v", v.Get("message"))
	}
	select {
	case s := <-got:
		if s != "connecting" && s != "disconnected" {
			t.Fatalf("first state %q", s)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no connectionStateChanged after login")
	}
	off.Invoke()
	call(t, h, "logout")
}

// TestClose logs in (server away), registers a handler, closes: the core
// client is closed, the handlers are gone and every JS function of the
// client is released.
func TestClose(t *testing.T) {
	h := newTestHandle(t, "close")
	if v, rej := call(t, h, "login", jsEval(`{userID: "closer", token: "t"}`)); rej {
		t.Fatalf("login: %v", v.Get("message"))
	}
	handler := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	defer handler.Release()
	off := h.obj.Call("on", "newMessages", handler)
	if off.Type() != js.TypeFunction || h.em.Count("newMessages") != 1 {
		t.Fatalf("on: %v", off)
	}
	if h.funcs.Len() == 0 {
		t.Fatal("no functions recorded")
	}
	if v, rej := call(t, h, "close"); rej {
		t.Fatalf("close: %v", v.Get("message"))
	}
	if n := h.funcs.Len(); n != 0 {
		t.Errorf("%d functions still held after close", n)
	}
	if n := h.em.Count("newMessages"); n != 0 {
		t.Errorf("%d handlers after close", n)
	}
	if _, err := h.c.ConversationList(context.Background(), 0, 0); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("core call after close: %v", err)
	}
	if h.c.LoginUserID() != "" {
		t.Errorf("still logged in as %q", h.c.LoginUserID())
	}
}
