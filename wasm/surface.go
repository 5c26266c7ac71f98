package main

import (
	"fmt"
	"strings"
)

// The JS surface of a client: its Promise methods and its events, declared
// once here. Everything else follows this table or is tested against it:
//   - client.go binds each method and no other (the js/wasm tests check its
//     bindings against the table) and accepts exactly these events in on();
//   - surface.gen.js, written from the table by go generate, gives index.js
//     its methods and the check it runs when parley.wasm loads;
//   - the native tests fail when surface.gen.js is stale, when index.d.ts
//     declares a different set of methods or argument shapes, when its
//     EventMap documents a different set of events, and when core emits an
//     event missing here (or the table names one core never emits).
//
// on(name, handler) is not in the table: it is the one method that returns
// at once (its unsubscribe function) instead of a Promise, and the events
// below are what it accepts.

//go:generate go run gensurface.go surface.go

// argKind is what a method takes, as index.d.ts declares it.
type argKind int

const (
	argNone           argKind = iota // m()
	argObject                        // m(args: {…})
	argOptionalObject                // m(args?: {…})
	argText                          // m(text: string)
)

// dtsParams is how index.d.ts starts the parameter list of a method of
// kind k, after its "(" (for an object, the fields follow).
func (k argKind) dtsParams() string {
	switch k {
	case argObject:
		return "args: {"
	case argOptionalObject:
		return "args?: {"
	case argText:
		return "text: string)"
	}
	return ")"
}

// jsMethod is one Promise method of the JS client.
type jsMethod struct {
	Name string
	Arg  argKind
}

// jsMethods are the client's Promise methods, in the order index.d.ts
// documents them.
var jsMethods = []jsMethod{
	{"login", argObject},
	{"logout", argNone},
	{"setToken", argObject},
	{"getLoginUserID", argNone},
	{"getConnectionState", argNone},

	{"getSelfUserInfo", argNone},
	{"getUsersInfo", argObject},
	{"setSelfInfo", argObject},
	{"findUserByUsername", argObject},

	{"createTextMessage", argText},
	{"sendMessage", argObject},

	// Rich messages and files (contract §4.1; files.go).
	{"createImageMessage", argObject},
	{"createVoiceMessage", argObject},
	{"createVideoMessage", argObject},
	{"createFileMessage", argObject},
	{"createLocationMessage", argObject},
	{"createCardMessage", argObject},
	{"createCustomMessage", argObject},
	{"createQuoteMessage", argObject},
	{"createMentionMessage", argObject},
	{"createMergerMessage", argObject},
	{"createForwardMessage", argObject},
	{"createFaceMessage", argObject},
	{"createLinkMessage", argObject},
	{"uploadFile", argObject},
	{"deleteUnsentMessage", argObject},

	{"getConversationList", argOptionalObject},
	{"getConversation", argObject},
	{"getHistoryMessages", argObject},
	{"getUnsentMessages", argObject},
	{"markConversationAsRead", argObject},
	{"setConversationPinned", argObject},
	{"setConversationDraft", argObject},
	{"getTotalUnreadCount", argNone},

	{"addFriend", argObject},
	{"acceptFriendRequest", argObject},
	{"getFriendList", argNone},
	{"getFriendRequests", argNone},
	// The friend lifecycle (contract §5).
	{"refuseFriendRequest", argObject},
	{"deleteFriend", argObject},
	{"setFriendRemark", argObject},
	{"getFriendRequestUnhandledCount", argNone},
	{"searchUsers", argObject},
	{"addBlack", argObject},
	{"removeBlack", argObject},
	{"getBlackList", argNone},
	// Presence (contract §5).
	{"subscribeUsersStatus", argObject},
	{"unsubscribeUsersStatus", argObject},

	{"createGroup", argObject},
	{"getJoinedGroupList", argNone},
	{"getGroupMembers", argObject},
	{"kickGroupMember", argObject},
	{"quitGroup", argObject},
	// Group administration (contract §5).
	{"getGroupsInfo", argObject},
	{"setGroupInfo", argObject},
	{"setGroupMemberRole", argObject},
	{"transferGroupOwner", argObject},
	{"dismissGroup", argObject},
	{"inviteUserToGroup", argObject},
	{"joinGroup", argObject},
	{"getGroupApplications", argNone},
	{"getGroupApplicationUnhandledCount", argNone},
	{"acceptGroupApplication", argObject},
	{"refuseGroupApplication", argObject},
	{"muteGroup", argObject},
	{"muteGroupMember", argObject},
	{"setGroupMemberNickname", argObject},

	// Calls (contract §9).
	{"startCall", argObject},
	{"acceptCall", argObject},
	{"rejectCall", argObject},
	{"cancelCall", argObject},
	{"hangUpCall", argObject},
	{"sendCallSignal", argObject},
	{"getCallConfig", argNone},
	// Changes to stored messages.
	{"revokeMessage", argObject},
	{"editMessage", argObject},
	{"deleteMessage", argObject},
	{"pinMessage", argObject},
	{"getPinnedMessages", argObject},
	{"addReaction", argObject},
	{"removeReaction", argObject},
	{"getMessageReadInfo", argObject},
	{"clearConversationMessages", argObject},
	{"setTyping", argObject},
	{"setConversationMuted", argObject},
	// Local search and hiding conversations (contract §4.2, §6).
	{"searchLocalMessages", argObject},
	{"hideConversation", argObject},
	{"deleteConversation", argObject},

	{"close", argNone},
}

// jsEvents are the event names on() accepts: core's events, each named as
// its EventName says.
var jsEvents = []string{
	"connectionStateChanged",
	"newMessages",
	"conversationsChanged",
	"totalUnreadCountChanged",
	"syncProgress",
	"messageStatusChanged",
	"friendRequestReceived",
	"friendAdded",
	"groupChanged",
	"groupMemberRemoved",
	"selfInfoUpdated",
	"usersInfoChanged",
	"tokenWillExpire",
	// Calls.
	"callInvited",
	"callStateChanged",
	"callSignal",
	"messageProgress",
	"messagesChanged",
	"typingChanged",
	// The friend lifecycle (contract §5).
	"friendRequestRefused",
	"friendDeleted",
	"friendInfoChanged",
	"blackListChanged",
	"userStatusChanged",
	// Group administration (contract §5).
	"groupMembersChanged",
	"groupDismissed",
	"groupApplicationReceived",
	"groupApplicationAccepted",
	"groupApplicationRefused",
}

// surfaceJS is the content of surface.gen.js: the table as an ES module.
// A method's number is how many arguments index.js passes on (0 or 1).
func surfaceJS() []byte {
	var b strings.Builder
	b.WriteString("// Code generated by go generate from surface.go; DO NOT EDIT.\n\n")
	b.WriteString("// The client's Promise methods, each with how many arguments it takes.\n")
	b.WriteString("export const methods = Object.freeze({\n")
	for _, m := range jsMethods {
		n := 1
		if m.Arg == argNone {
			n = 0
		}
		fmt.Fprintf(&b, "  %s: %d,\n", m.Name, n)
	}
	b.WriteString("});\n\n")
	b.WriteString("// The event names on() accepts.\n")
	b.WriteString("export const events = Object.freeze([\n")
	for _, e := range jsEvents {
		fmt.Fprintf(&b, "  '%s',\n", e)
	}
	b.WriteString("]);\n")
	return []byte(b.String())
}
