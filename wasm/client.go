//go:build js

package main

import (
	"context"
	"log/slog"
	"math"
	"syscall/js"
	"time"

	"parley/blobjs"
	"parley/core"
	eventlistener "parley/event_listener"
	"parley/indexdb"
	"parley/protocol"
	wasmwrapper "parley/wasm_wrapper"
	"parley/wsjs"
)

// clientOptions are createClient's options that reach Go (wasmURL is
// index.js's business).
type clientOptions struct {
	ServerURL string
	DBName    string
	LogLevel  string
	// TokenWillExpireBefore is createClient's tokenWillExpireBefore (ms); 0 is core's default.
	TokenWillExpireBefore time.Duration
}

// handle is one JS client: a core.Client and the JS object that exposes it.
type handle struct {
	c   *core.Client
	em  *eventlistener.Emitter
	log *slog.Logger
	obj js.Value
	// funcs are the JS functions of obj, released by close.
	funcs wasmwrapper.Funcs
	// unwatch removes the network event listeners.
	unwatch func()
}

func newHandle(ctx context.Context, opts clientOptions) (*handle, error) {
	log := newLogger(opts.LogLevel)
	dbPrefix := opts.DBName
	c, err := core.New(core.Config{
		ServerURL: opts.ServerURL,
		Dialer:    wsjs.Dialer{},
		HTTP:      blobjs.Fetch{},
		OpenStore: func(ctx context.Context, userID string) (core.Store, error) {
			return indexdb.Open(ctx, indexdb.DBName(dbPrefix, userID), indexdb.Config{Logger: log})
		},
		Logger:                log,
		TokenWillExpireBefore: opts.TokenWillExpireBefore,
	})
	if err != nil {
		return nil, err
	}
	h := &handle{c: c, em: eventlistener.New(jsEvents...), log: log, obj: js.Global().Get("Object").New()}
	c.On(h.deliver)

	// The functions live until the app calls close(); a client the app
	// drops without closing keeps them for the page's lifetime.
	for name, fn := range h.methods() {
		h.obj.Set(name, h.funcs.Add(wasmwrapper.Promise(log, fn)))
	}
	for name, fn := range h.fileMethods() {
		h.obj.Set(name, h.funcs.Add(wasmwrapper.Promise(log, fn)))
	}
	for name, fn := range h.convMethods() {
		h.obj.Set(name, h.funcs.Add(wasmwrapper.Promise(log, fn)))
	}
	h.obj.Set("on", h.funcs.Add(js.FuncOf(h.on)))
	// Not a method of the surface: host.js's, for the tabs it serves (not
	// enumerable, so the client's own keys stay the surface's).
	js.Global().Get("Object").Call("defineProperty", h.obj, hostMarksName, map[string]any{
		"value": h.funcs.Add(wasmwrapper.Promise(log, h.conversationMarks)),
	})
	h.unwatch = h.watchNetwork()
	return h, nil
}

// hostMarksName is the client's function that host.js calls for a tab's
// baseline: core's ConversationMarks, [{conversationID, seq, updatedAt}].
const hostMarksName = "conversationMarks"

// conversationMarks resolves to core.ConversationMarks: a tab needs no
// more of the list to know what it holds.
func (h *handle) conversationMarks([]js.Value) (any, error) {
	marks, err := h.c.ConversationMarks(context.Background())
	if err != nil {
		return nil, err
	}
	if marks == nil {
		marks = []core.ConversationMark{}
	}
	return marks, nil
}

// watchNetwork passes the platform's online and offline events (a page's
// or a worker's) to the client, so that the connection state follows the
// network at once instead of after a missed ping. It returns the function
// that stops it.
func (h *handle) watchNetwork() func() {
	g := js.Global()
	if g.Get("addEventListener").Type() != js.TypeFunction {
		return func() {}
	}
	if nav := g.Get("navigator"); nav.Type() == js.TypeObject && nav.Get("onLine").Type() == js.TypeBoolean {
		h.c.SetOnline(nav.Get("onLine").Bool())
	}
	online := h.funcs.Add(js.FuncOf(func(js.Value, []js.Value) any { h.c.SetOnline(true); return nil }))
	offline := h.funcs.Add(js.FuncOf(func(js.Value, []js.Value) any { h.c.SetOnline(false); return nil }))
	g.Call("addEventListener", "online", online)
	g.Call("addEventListener", "offline", offline)
	return func() {
		g.Call("removeEventListener", "online", online)
		g.Call("removeEventListener", "offline", offline)
	}
}

// close is client.close(): it closes the core client (logging out locally),
// drops every JS handler and releases every JS function of the client, so
// that nothing of it stays reachable. index.js stops calling the functions
// before it calls this one.
func (h *handle) close(ctx context.Context) error {
	h.unwatch()
	err := h.c.Close(ctx)
	h.em.Close()
	h.funcs.Release()
	return err
}

// deliver passes a core event to its JS handlers, converting the payload
// only when someone listens.
func (h *handle) deliver(ev core.Event) {
	name := ev.EventName()
	if h.em.Count(name) == 0 {
		return
	}
	p, err := wasmwrapper.ToJS(nonNil(h.signed(ev.EventPayload())))
	if err != nil {
		h.log.Error("cannot convert event payload", "event", name, "err", err)
		return
	}
	h.em.Emit(name, p)
}

// on is client.on(name, handler): it returns the unsubscribe function, or
// an Error (with .code) that index.js throws.
func (h *handle) on(_ js.Value, args []js.Value) any {
	name, err := wasmwrapper.StringArg("on", "name", args, 0)
	if err != nil {
		return wasmwrapper.ErrorValue(err)
	}
	fn := js.Undefined()
	if len(args) > 1 {
		fn = args[1]
	}
	off, err := h.em.On(name, fn)
	if err != nil {
		return wasmwrapper.ErrorValue(err)
	}
	return off
}

// nonNil turns nil slices into empty ones so JS gets [] rather than null.
func nonNil(v any) any {
	switch x := v.(type) {
	case []core.Message:
		if x == nil {
			return []core.Message{}
		}
	case []core.Conversation:
		if x == nil {
			return []core.Conversation{}
		}
	case []core.User:
		if x == nil {
			return []core.User{}
		}
	case []core.Group:
		if x == nil {
			return []core.Group{}
		}
	case []core.FriendRequest:
		if x == nil {
			return []core.FriendRequest{}
		}
	case []core.GroupMember:
		if x == nil {
			return []core.GroupMember{}
		}
	case core.History:
		if x.Messages == nil {
			x.Messages = []core.Message{}
		}
		return x
	}
	return v
}

const maxInt = math.MaxInt32

// methods returns every Promise method of the JS client, by JS name: the
// methods of the surface table (surface.go), no more and no fewer, as
// TestBindingsFollowTheSurface checks.
func (h *handle) methods() map[string]wasmwrapper.Func {
	c := h.c
	bg := context.Background
	// ok wraps a method result so nil slices become [].
	ok := func(v any, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return nonNil(v), nil
	}
	return map[string]wasmwrapper.Func{
		"login": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("login", args, 0)
			userID, token := a.RequiredString("userID"), a.RequiredString("token")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.Login(bg(), userID, token)
		},
		"logout": func([]js.Value) (any, error) {
			return nil, c.Logout(bg())
		},
		"setToken": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("setToken", args, 0)
			token := a.RequiredString("token")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.SetToken(bg(), token)
		},
		"close": func([]js.Value) (any, error) {
			return nil, h.close(bg())
		},
		"getLoginUserID": func([]js.Value) (any, error) {
			return c.LoginUserID(), nil
		},
		"getConnectionState": func([]js.Value) (any, error) {
			return string(c.ConnectionState()), nil
		},
		"getSelfUserInfo": func([]js.Value) (any, error) {
			return ok(c.SelfInfo(bg()))
		},
		"getUsersInfo": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getUsersInfo", args, 0)
			ids := a.Strings("userIDs", true, protocol.MaxGetUsers)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.UsersInfo(bg(), ids))
		},
		"setSelfInfo": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("setSelfInfo", args, 0)
			upd := core.SelfInfoUpdate{Nickname: a.OptionalString("nickname"), FaceURL: a.OptionalString("faceURL"), Ex: a.OptionalString("ex")}
			upd.Searchable = a.OptionalBool("searchable")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.SetSelfInfo(bg(), upd))
		},
		"findUserByUsername": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("findUserByUsername", args, 0)
			username := a.RequiredString("username")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.FindUserByUsername(bg(), username))
		},
		"createTextMessage": func(args []js.Value) (any, error) {
			text, err := wasmwrapper.StringArg("createTextMessage", "text", args, 0)
			if err != nil {
				return nil, err
			}
			m, err := c.CreateTextMessage(text)
			if err == nil {
				m = c.AddLinkPreview(bg(), m)
			}
			return ok(m, err)
		},
		"sendMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("sendMessage", args, 0)
			var m core.Message
			a.JSON("message", true, &m)
			recvID, groupID := a.String("recvID"), a.String("groupID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			sent, err := c.SendMessage(bg(), m, recvID, groupID)
			return ok(h.signed(sent), err)
		},
		"getConversationList": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getConversationList", args, 0)
			offset := a.Int("offset", 0, 0, maxInt)
			count := a.Int("count", 0, 0, maxInt)
			if err := a.Err(); err != nil {
				return nil, err
			}
			cs, err := c.ConversationList(bg(), int(offset), int(count))
			return ok(h.signed(cs), err)
		},
		"getConversation": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getConversation", args, 0)
			id := a.RequiredString("conversationID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			conv, err := c.Conversation(bg(), id)
			return ok(h.signLatest(bg(), []core.Conversation{conv})[0], err)
		},
		"getHistoryMessages": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getHistoryMessages", args, 0)
			id := a.RequiredString("conversationID")
			before := a.Int("beforeSeq", 0, 0, 1<<53)
			after := a.Int("afterSeq", -1, 0, 1<<53)
			count := a.RequiredInt("count", 1, protocol.MaxPullLimit)
			if err := a.Err(); err != nil {
				return nil, err
			}
			var hist core.History
			var err error
			switch {
			case after >= 0 && before > 0:
				return nil, protocol.Errorf(protocol.CodeInvalidArgument, "getHistoryMessages: beforeSeq and afterSeq exclude each other")
			case after >= 0:
				hist, err = c.HistoryMessagesAfter(bg(), id, after, int(count))
			default:
				hist, err = c.HistoryMessages(bg(), id, before, int(count))
			}
			return ok(h.signed(hist), err)
		},
		"getUnsentMessages": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getUnsentMessages", args, 0)
			id := a.RequiredString("conversationID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.UnsentMessages(bg(), id))
		},
		"markConversationAsRead": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("markConversationAsRead", args, 0)
			id := a.RequiredString("conversationID")
			seq := a.Int("seq", 0, 0, 1<<53)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.MarkConversationAsReadUpTo(bg(), id, seq)
		},
		"setConversationPinned": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("setConversationPinned", args, 0)
			id := a.RequiredString("conversationID")
			pinned := a.Bool("isPinned", true)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.SetConversationPinned(bg(), id, pinned)
		},
		"setConversationDraft": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("setConversationDraft", args, 0)
			id := a.RequiredString("conversationID")
			draft := a.String("draftText")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.SetConversationDraft(bg(), id, draft)
		},
		"getTotalUnreadCount": func([]js.Value) (any, error) {
			return ok(c.TotalUnreadCount(bg()))
		},
		"addFriend": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("addFriend", args, 0)
			userID, msg := a.RequiredString("userID"), a.String("message")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.AddFriend(bg(), userID, msg)
		},
		"acceptFriendRequest": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("acceptFriendRequest", args, 0)
			userID := a.RequiredString("userID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.AcceptFriendRequest(bg(), userID)
		},
		"getFriendList": func([]js.Value) (any, error) {
			return ok(c.FriendList(bg()))
		},
		"getFriendRequests": func([]js.Value) (any, error) {
			return ok(c.FriendRequests(bg()))
		},
		"refuseFriendRequest": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("refuseFriendRequest", args, 0)
			userID := a.RequiredString("userID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.RefuseFriendRequest(bg(), userID)
		},
		"deleteFriend": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("deleteFriend", args, 0)
			userID := a.RequiredString("userID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.DeleteFriend(bg(), userID)
		},
		"setFriendRemark": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("setFriendRemark", args, 0)
			userID, remark := a.RequiredString("userID"), a.String("remark")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.SetFriendRemark(bg(), userID, remark)
		},
		"getFriendRequestUnhandledCount": func([]js.Value) (any, error) {
			return ok(c.FriendRequestUnhandledCount(bg()))
		},
		"searchUsers": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("searchUsers", args, 0)
			kw := a.RequiredString("keyword")
			offset := a.Int("offset", 0, 0, protocol.MaxSearchOffset)
			count := a.Int("count", 0, 0, protocol.MaxSearchCount)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.SearchUsers(bg(), kw, int(offset), int(count)))
		},
		"addBlack": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("addBlack", args, 0)
			userID := a.RequiredString("userID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.AddBlack(bg(), userID)
		},
		"removeBlack": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("removeBlack", args, 0)
			userID := a.RequiredString("userID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.RemoveBlack(bg(), userID)
		},
		"getBlackList": func([]js.Value) (any, error) {
			return ok(c.BlackList(bg()))
		},
		"subscribeUsersStatus": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("subscribeUsersStatus", args, 0)
			ids := a.Strings("userIDs", true, protocol.MaxGetUsers)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.SubscribeUsersStatus(bg(), ids))
		},
		"unsubscribeUsersStatus": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("unsubscribeUsersStatus", args, 0)
			ids := a.Strings("userIDs", true, protocol.MaxGetUsers)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.UnsubscribeUsersStatus(bg(), ids)
		},
		"createGroup": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("createGroup", args, 0)
			name := a.RequiredString("name")
			members := a.Strings("memberUserIDs", true, 10000)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.CreateGroup(bg(), name, members))
		},
		"getJoinedGroupList": func([]js.Value) (any, error) {
			return ok(c.JoinedGroupList(bg()))
		},
		"kickGroupMember": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("kickGroupMember", args, 0)
			groupID, userID := a.RequiredString("groupID"), a.RequiredString("userID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.KickGroupMember(bg(), groupID, userID)
		},
		"quitGroup": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("quitGroup", args, 0)
			groupID := a.RequiredString("groupID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.QuitGroup(bg(), groupID)
		},
		"startCall": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("startCall", args, 0)
			conv, media := a.RequiredString("conversationID"), a.RequiredString("media")
			invitees := a.Strings("inviteeUserIDs", false, 100)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.StartCall(bg(), conv, media, invitees))
		},
		"acceptCall": h.callMethod("acceptCall", c.AcceptCall),
		"rejectCall": h.callMethod("rejectCall", c.RejectCall),
		"cancelCall": h.callMethod("cancelCall", c.CancelCall),
		"hangUpCall": h.callMethod("hangUpCall", c.HangUpCall),
		"sendCallSignal": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("sendCallSignal", args, 0)
			callID, to := a.RequiredString("callID"), a.RequiredString("toUserID")
			signal := a.RawJSON("signal")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.SendCallSignal(bg(), callID, to, signal)
		},
		"getCallConfig": func([]js.Value) (any, error) {
			return ok(c.CallConfig(bg()))
		},
		"getGroupMembers": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getGroupMembers", args, 0)
			id := a.RequiredString("groupID")
			offset := a.Int("offset", 0, 0, 1<<30)
			count := a.Int("count", 0, 0, protocol.MaxGroupMembersPage)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.GroupMembersPage(bg(), id, int(offset), int(count)))
		},
		// Group administration (contract §5): the requests that answer
		// nothing share one binding (groupRequest).
		"getGroupsInfo": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getGroupsInfo", args, 0)
			ids := a.Strings("groupIDs", true, protocol.MaxGroupsInfo)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.GroupsInfo(bg(), ids))
		},
		"setGroupInfo": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("setGroupInfo", args, 0)
			var req protocol.SetGroupInfoReq
			if a.Decode(&req, "groupID"); a.Err() != nil {
				return nil, a.Err()
			}
			return ok(c.SetGroupInfo(bg(), req))
		},
		"setGroupMemberRole":     groupRequest(c, "setGroupMemberRole", protocol.ReqSetGroupMemberRole, func() any { return new(protocol.GroupMemberRoleReq) }, "groupID", "userID", "role"),
		"transferGroupOwner":     groupRequest(c, "transferGroupOwner", protocol.ReqTransferGroupOwner, func() any { return new(protocol.TransferGroupOwnerReq) }, "groupID", "newOwnerUserID"),
		"inviteUserToGroup":      groupRequest(c, "inviteUserToGroup", protocol.ReqInviteToGroup, func() any { return new(protocol.GroupUsersReq) }, "groupID"),
		"acceptGroupApplication": groupRequest(c, "acceptGroupApplication", protocol.ReqAcceptGroupApplication, func() any { return new(protocol.GroupMemberReq) }, "groupID", "userID"),
		"refuseGroupApplication": groupRequest(c, "refuseGroupApplication", protocol.ReqRefuseGroupApplication, func() any { return new(protocol.GroupMemberReq) }, "groupID", "userID"),
		"muteGroup":              groupRequest(c, "muteGroup", protocol.ReqMuteGroup, func() any { return new(protocol.MuteGroupReq) }, "groupID"),
		"muteGroupMember":        groupRequest(c, "muteGroupMember", protocol.ReqMuteGroupMember, func() any { return new(protocol.MuteGroupMemberReq) }, "groupID", "userID"),
		"setGroupMemberNickname": groupRequest(c, "setGroupMemberNickname", protocol.ReqSetGroupMemberNickname, func() any { return new(protocol.GroupMemberNicknameReq) }, "groupID", "userID"),
		"dismissGroup":           groupRequest(c, "dismissGroup", protocol.ReqDismissGroup, func() any { return new(protocol.GroupIDReq) }, "groupID"),
		"joinGroup":              groupRequest(c, "joinGroup", protocol.ReqJoinGroup, func() any { return new(protocol.JoinGroupReq) }, "groupID"),
		"getGroupApplications": func([]js.Value) (any, error) {
			return ok(c.GroupApplications(bg()))
		},
		"getGroupApplicationUnhandledCount": func([]js.Value) (any, error) {
			return ok(c.GroupApplicationUnhandledCount(bg()))
		},

		// Changes to stored messages (issue 13).
		"revokeMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("revokeMessage", args, 0)
			id, msgID := a.RequiredString("conversationID"), a.RequiredString("clientMsgID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.RevokeMessage(bg(), id, msgID)
		},
		"editMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("editMessage", args, 0)
			id, msgID, text := a.RequiredString("conversationID"), a.RequiredString("clientMsgID"), a.RequiredString("text")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.EditMessage(bg(), id, msgID, text))
		},
		"deleteMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("deleteMessage", args, 0)
			id, msgID := a.RequiredString("conversationID"), a.RequiredString("clientMsgID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.DeleteMessage(bg(), id, msgID)
		},
		"pinMessage": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("pinMessage", args, 0)
			id, msgID := a.RequiredString("conversationID"), a.RequiredString("clientMsgID")
			pinned := a.Bool("isPinned", true)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.PinMessage(bg(), id, msgID, pinned)
		},
		"addReaction":    func(args []js.Value) (any, error) { return react(c, "addReaction", args, true) },
		"removeReaction": func(args []js.Value) (any, error) { return react(c, "removeReaction", args, false) },
		"getMessageReadInfo": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getMessageReadInfo", args, 0)
			id, msgID := a.RequiredString("conversationID"), a.RequiredString("clientMsgID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.MessageReadInfo(bg(), id, msgID))
		},
		"getPinnedMessages": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("getPinnedMessages", args, 0)
			id := a.RequiredString("conversationID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return ok(c.PinnedMessages(bg(), id))
		},
		"setConversationMuted": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("setConversationMuted", args, 0)
			id := a.RequiredString("conversationID")
			muted := a.Bool("isMuted", true)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.SetConversationMuted(bg(), id, muted)
		},
		"setTyping": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("setTyping", args, 0)
			id := a.RequiredString("conversationID")
			typing := a.Bool("typing", true)
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.SetTyping(bg(), id, typing)
		},
		"clearConversationMessages": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("clearConversationMessages", args, 0)
			id := a.RequiredString("conversationID")
			if err := a.Err(); err != nil {
				return nil, err
			}
			return nil, c.ClearConversationMessages(bg(), id)
		},
	}
}

// react is addReaction (add) and removeReaction: same arguments.
func react(c *core.Client, name string, args []js.Value, add bool) (any, error) {
	a := wasmwrapper.Object(name, args, 0)
	id, msgID, emoji := a.RequiredString("conversationID"), a.RequiredString("clientMsgID"), a.RequiredString("emoji")
	if err := a.Err(); err != nil {
		return nil, err
	}
	return nil, c.ReactMessage(context.Background(), id, msgID, emoji, add)
}
