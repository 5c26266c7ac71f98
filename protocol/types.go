package protocol

import "encoding/json"

// Request types (Frame.Type of a request and of its response).
const (
	// ReqPing is the application-level heartbeat: browsers cannot send
	// WebSocket ping frames. Data: none. Response: Pong.
	ReqPing = "ping"
	// ReqSend sends a message. Data: SendReq. Response: SendResp.
	ReqSend = "send"
	// ReqSync lists the conversations that changed after a cursor.
	// Data: SyncReq. Response: SyncResp.
	ReqSync = "sync"
	// ReqPull reads messages by seq range. Data: PullReq. Response: PullResp.
	ReqPull = "pull"
	// ReqMarkRead moves the caller's read seq. Data: MarkReadReq.
	// Response: ConversationState.
	ReqMarkRead = "conversation.markRead"
	// ReqSetPinned pins or unpins. Data: SetPinnedReq. Response: ConversationState.
	ReqSetPinned = "conversation.setPinned"
	// ReqSetDraft stores a draft. Data: SetDraftReq. Response: ConversationState.
	ReqSetDraft = "conversation.setDraft"

	// ReqGetSelf returns the caller. Data: none. Response: User.
	ReqGetSelf = "user.getSelf"
	// ReqGetUsers returns profiles. Data: GetUsersReq. Response: UsersResp.
	ReqGetUsers = "user.get"
	// ReqSetSelf updates the caller's profile. Data: SetSelfReq. Response: User.
	ReqSetSelf = "user.setSelf"
	// ReqFindUser looks a user up by username. Data: FindUserReq. Response: User.
	ReqFindUser = "user.find"

	// ReqAddFriend sends a friend request. Data: AddFriendReq. Response: none.
	ReqAddFriend = "friend.add"
	// ReqAcceptFriend accepts a pending request. Data: UserIDReq. Response: none.
	ReqAcceptFriend = "friend.accept"
	// ReqListFriends lists friends. Data: none. Response: UsersResp.
	ReqListFriends = "friend.list"
	// ReqListFriendRequests lists requests to and from the caller.
	// Data: none. Response: FriendRequestsResp.
	ReqListFriendRequests = "friend.requests"

	// ReqCreateGroup creates a group with the caller as owner.
	// Data: CreateGroupReq. Response: Group.
	ReqCreateGroup = "group.create"
	// ReqListGroups lists the caller's groups. Data: none. Response: GroupsResp.
	ReqListGroups = "group.list"
	// ReqGetGroupMembers lists a group's members, for members only.
	// Data: GroupIDReq. Response: GroupMembersResp.
	ReqGetGroupMembers = "group.members"
	// ReqGetGroupInfo returns one group, for members only: what a device
	// asks for a group whose state sync reported with a GroupVersion
	// newer than its cursor. Data: GroupIDReq. Response: Group.
	ReqGetGroupInfo = "group.info"
	// ReqKickGroupMember removes a member from a group: the owner may
	// remove anyone else, an admin only plain members.
	// Data: GroupMemberReq. Response: none.
	ReqKickGroupMember = "group.kick"
	// ReqQuitGroup removes the caller from a group; the owner cannot leave.
	// Data: GroupIDReq. Response: none.
	ReqQuitGroup = "group.quit"

	// ReqBlockUser blocks a user: they can no longer message the caller
	// one-to-one or send them friend requests. Data: UserIDReq. Response: none.
	ReqBlockUser = "user.block"
	// ReqUnblockUser lifts a block. Data: UserIDReq. Response: none.
	ReqUnblockUser = "user.unblock"
)

// Requests that change a stored message (issue 13). Each change gives the
// message the conversation's next MessageVersion and is pushed to every
// member as PushMessageChanged; a device that was away pulls the changes
// above its last one with ReqPullChanges.
const (
	// ReqRevokeMessage revokes a message: its content is replaced by a
	// RevokedContent. Data: MessageRefReq. Response: Message (revoked).
	ReqRevokeMessage = "message.revoke"
	// ReqEditMessage replaces a text message's text. Data: EditMessageReq.
	// Response: Message (edited).
	ReqEditMessage = "message.edit"
	// ReqPullChanges reads a conversation's changed messages by version.
	// Data: PullChangesReq. Response: PullChangesResp.
	ReqPullChanges = "message.changes"
	// ReqClearConversation clears a conversation for the caller: every
	// message up to now is no longer theirs (MinSeq moves past MaxSeq).
	// Data: ConversationIDReq. Response: ConversationState.
	ReqClearConversation = "conversation.clearMessages"
	// ReqDeleteMessage deletes a message for the caller alone (all their
	// devices). Data: MessageRefReq. Response: ConversationState.
	ReqDeleteMessage = "message.deleteForMe"
	// ReqPullDeletions reads the caller's deletions in a conversation by
	// version. Data: PullDeletionsReq. Response: PullDeletionsResp.
	ReqPullDeletions = "message.deletions"
	// ReqPinMessage pins or unpins a message for every member.
	// Data: PinMessageReq. Response: Message.
	ReqPinMessage = "message.pin"
	// ReqPinnedMessages lists a conversation's pinned messages.
	// Data: ConversationIDReq. Response: MessagesResp.
	ReqPinnedMessages = "message.pinned"
	// ReqSetTyping says the caller is typing in a conversation (or
	// stopped): pushed as PushTyping to the other members' connections
	// that are online now, never stored. Data: TypingReq. Response: none.
	ReqSetTyping = "conversation.typing"
	// ReqSetMuted mutes or unmutes a conversation for the caller.
	// Data: SetMutedReq. Response: ConversationState.
	ReqSetMuted = "conversation.setMuted"
	// ReqAddReaction adds the caller's reaction (an emoji) to a message;
	// adding it again changes nothing. Data: ReactionReq. Response: Message.
	ReqAddReaction = "message.react"
	// ReqRemoveReaction takes the caller's reaction away; removing a
	// missing one changes nothing. Data: ReactionReq. Response: Message.
	ReqRemoveReaction = "message.unreact"
	// ReqReadCounts reads the read counts of the caller's own messages of
	// a group conversation with FromSeq <= seq <= ToSeq (the newest
	// MaxReadCounts of them). Data: ReadCountsReq. Response: ReadCounts.
	ReqReadCounts = "message.readCounts"
	// ReqReadInfo tells who has read one of the caller's own group
	// messages. Data: MessageRefReq. Response: ReadInfo.
	ReqReadInfo = "message.readInfo"
	// ReqHideConversation takes a conversation off the caller's list until
	// its next message (HiddenUntilSeq). Data: ConversationIDReq.
	// Response: ConversationState.
	ReqHideConversation = "conversation.hide"
	// ReqDeleteConversation hides a conversation and clears it for the
	// caller (ReqClearConversation): off the list and empty until its next
	// message. Data: ConversationIDReq. Response: ConversationState.
	ReqDeleteConversation = "conversation.delete"
)

// PushReadCounts tells a sender's connections that a read by another
// member changed the read counts of their messages. Data: ReadCounts.
const PushReadCounts = "push.readCounts"

// MaxReadCounts bounds the counts of one ReadCounts: a read pushes those
// of the newest messages it covers, a ReqReadCounts answers the newest.
const MaxReadCounts = 200

// ReadCountsReq asks for the read counts of the caller's messages with
// FromSeq <= seq <= ToSeq (ToSeq 0: up to the newest).
type ReadCountsReq struct {
	ConversationID string `json:"conversationID"`
	FromSeq        int64  `json:"fromSeq"`
	ToSeq          int64  `json:"toSeq,omitempty"`
}

// ReadCounts are read counts of a user's own messages of a group
// conversation; ReceiptVersion is their state's ReceiptVersion when they
// were counted (0 in a push made before it was known).
type ReadCounts struct {
	ConversationID string      `json:"conversationID"`
	ReceiptVersion int64       `json:"receiptVersion,omitempty"`
	Counts         []ReadCount `json:"counts"`
}

// ReadCount is how many members other than the sender, of those who could
// read the message, have read it (their read seq is at or above its seq).
type ReadCount struct {
	ClientMsgID string `json:"clientMsgID"`
	Seq         int64  `json:"seq"`
	ReadCount   int    `json:"readCount"`
}

// ReadInfo is who has read a message: ReadCount members have (Readers,
// each with when their read position last moved, Unix ms), UnreadCount
// members of those who could have not.
type ReadInfo struct {
	ReadCount   int      `json:"readCount"`
	UnreadCount int      `json:"unreadCount"`
	Readers     []Reader `json:"readers"`
}

// Reader is one member who has read a message.
type Reader struct {
	UserID   string `json:"userID"`
	ReadTime int64  `json:"readTime"`
}

// ReactionReq adds or removes the caller's reaction Emoji on a message.
type ReactionReq struct {
	ConversationID string `json:"conversationID"`
	ClientMsgID    string `json:"clientMsgID"`
	Emoji          string `json:"emoji"`
}

// Reaction is one emoji on a message and every user who reacted with it,
// in the order they did.
type Reaction struct {
	Emoji   string   `json:"emoji"`
	UserIDs []string `json:"userIDs"`
}

// Reaction limits (docs/limits.md): an emoji's length in bytes, the
// distinct emojis on one message, one user's reactions on one message, and
// all reactions on one message together (a changed message carries all
// of them, so this bounds its frame).
const (
	MaxEmojiBytes       = 32
	MaxMessageEmojis    = 20
	MaxUserReactions    = 10
	MaxMessageReactions = 500
)

// SetMutedReq mutes or unmutes a conversation for the caller.
type SetMutedReq struct {
	ConversationID string `json:"conversationID"`
	IsMuted        bool   `json:"isMuted"`
}

// TypingReq starts (Typing) or stops the caller's typing indicator.
type TypingReq struct {
	ConversationID string `json:"conversationID"`
	Typing         bool   `json:"typing"`
}

// Typing says UserID is typing in ConversationID (or stopped). A typing
// entry lapses TypingLapseMs after its last renewal.
type Typing struct {
	ConversationID string `json:"conversationID"`
	UserID         string `json:"userID"`
	Typing         bool   `json:"typing"`
}

// Typing timing both sides use: a client renews a typing entry at most
// every TypingRenewMs while the user types; a receiver drops an entry not
// renewed within TypingLapseMs.
const (
	TypingRenewMs = 3_000
	TypingLapseMs = 6_000
)

// PinMessageReq pins (IsPinned) or unpins a message.
type PinMessageReq struct {
	ConversationID string `json:"conversationID"`
	ClientMsgID    string `json:"clientMsgID"`
	IsPinned       bool   `json:"isPinned"`
}

// MessagesResp lists messages, ascending by seq.
type MessagesResp struct {
	Messages []Message `json:"messages"`
}

// Deletion is one message deleted by the user for themselves: Version is
// the user's change version of the deletion.
type Deletion struct {
	ConversationID string `json:"conversationID"`
	Seq            int64  `json:"seq"`
	ClientMsgID    string `json:"clientMsgID"`
	Version        int64  `json:"version"`
}

// PullDeletionsReq asks for the caller's deletions in a conversation with
// Version > AfterVersion, ascending, at most Limit.
type PullDeletionsReq struct {
	ConversationID string `json:"conversationID"`
	AfterVersion   int64  `json:"afterVersion"`
	Limit          int    `json:"limit,omitempty"`
}

// PullDeletionsResp holds deletions ascending by Version.
type PullDeletionsResp struct {
	Deletions []Deletion `json:"deletions"`
	HasMore   bool       `json:"hasMore"`
}

// ConversationIDReq names one conversation.
type ConversationIDReq struct {
	ConversationID string `json:"conversationID"`
}

// Push types (Frame.Type of a frame with no ID).
const (
	// PushMessage carries a new Message to every online device of every
	// recipient and to the sender's other devices.
	PushMessage = "push.message"
	// PushConversation carries a ConversationState that changed without a
	// new message (read seq, pinned, draft), to the user's devices.
	PushConversation = "push.conversation"
	// PushFriendRequest carries a FriendRequest, on its creation and on
	// every change of its state, to every connection of both users.
	PushFriendRequest = "push.friendRequest"
	// PushFriendAdded carries the new friend's User to both sides.
	PushFriendAdded = "push.friendAdded"
	// PushGroup carries a Group the user was added to or that changed.
	PushGroup = "push.group"
	// PushGroupMemberRemoved carries a GroupMemberRemoved to the removed
	// user's connections and to every remaining member's, after a kick or
	// a quit.
	PushGroupMemberRemoved = "push.groupMemberRemoved"
	// PushMessageChanged carries a stored Message in its new state (revoked,
	// edited) to every online device of the conversation's members.
	PushMessageChanged = "push.messageChanged"
	// PushTyping carries a Typing to the other members' online
	// connections (ephemeral: never stored, never synced).
	PushTyping = "push.typing"
	// PushKicked tells a device that the server is closing its session:
	// data is Kicked. The client must not reconnect with the same token.
	PushKicked = "push.kicked"
)

// SessionType says whether a conversation is one-to-one or a group.
type SessionType string

// Session types.
const (
	SessionSingle SessionType = "single"
	SessionGroup  SessionType = "group"
)

// Message is a stored message. Content is the typed envelope's body, in
// its canonical encoding: for ContentText a TextContent, for ContentCustom
// a CustomContent (content.go; DecodeContent reads it).
type Message struct {
	ClientMsgID    string          `json:"clientMsgID"`
	ServerMsgID    string          `json:"serverMsgID"`
	ConversationID string          `json:"conversationID"`
	Seq            int64           `json:"seq"`
	SendID         string          `json:"sendID"`
	RecvID         string          `json:"recvID,omitempty"`
	GroupID        string          `json:"groupID,omitempty"`
	SessionType    SessionType     `json:"sessionType"`
	ContentType    string          `json:"contentType"`
	Content        json.RawMessage `json:"content"`
	// SendTime is when the server stored it, Unix ms.
	SendTime int64 `json:"sendTime"`
	// CreateTime is when the client created it, Unix ms (client clock).
	CreateTime int64 `json:"createTime,omitempty"`
	// Version orders the changes to a stored message: 0 as sent, then the
	// conversation's MessageVersion of its latest change. A copy with a
	// higher Version is newer.
	Version int64 `json:"version,omitempty"`
	// EditTime is when the message was last edited, Unix ms (0: never).
	EditTime int64 `json:"editTime,omitempty"`
	// IsPinned: a member pinned the message (PinnedBy, at PinTime, Unix
	// ms); every member sees it.
	IsPinned bool   `json:"isPinned,omitempty"`
	PinnedBy string `json:"pinnedBy,omitempty"`
	PinTime  int64  `json:"pinTime,omitempty"`
	// Deleted: the user this copy is for deleted the message for
	// themselves; its content is left out ({}). It keeps its seq so that
	// a device's run of messages stays whole.
	Deleted bool `json:"deleted,omitempty"`
	// Reactions are the message's reactions, in the order each emoji was
	// first used; changing them is a change like an edit (Version).
	Reactions []Reaction `json:"reactions,omitempty"`
}

// MessageRefReq names one stored message.
type MessageRefReq struct {
	ConversationID string `json:"conversationID"`
	ClientMsgID    string `json:"clientMsgID"`
}

// EditMessageReq replaces the text of a message of the caller.
type EditMessageReq struct {
	ConversationID string `json:"conversationID"`
	ClientMsgID    string `json:"clientMsgID"`
	Text           string `json:"text"`
}

// PullChangesReq asks for a conversation's messages changed after
// AfterVersion, ascending by Version, at most Limit (0: the server's
// default; at most MaxPullLimit).
type PullChangesReq struct {
	ConversationID string `json:"conversationID"`
	AfterVersion   int64  `json:"afterVersion"`
	Limit          int    `json:"limit,omitempty"`
}

// PullChangesResp holds changed messages ascending by Version; while
// HasMore the client asks again after the last one's Version.
type PullChangesResp struct {
	Messages []Message `json:"messages"`
	HasMore  bool      `json:"hasMore"`
}

// SendReq sends a message to exactly one of RecvID (a user) or GroupID.
// Content must pass CheckContent for ContentType; EncodeContent makes it.
type SendReq struct {
	ClientMsgID string          `json:"clientMsgID"`
	RecvID      string          `json:"recvID,omitempty"`
	GroupID     string          `json:"groupID,omitempty"`
	ContentType string          `json:"contentType"`
	Content     json.RawMessage `json:"content"`
	CreateTime  int64           `json:"createTime,omitempty"`
}

// SendResp acknowledges a send after the message is committed. A repeated
// ClientMsgID gets the original values and Duplicate set.
type SendResp struct {
	ConversationID string `json:"conversationID"`
	ServerMsgID    string `json:"serverMsgID"`
	Seq            int64  `json:"seq"`
	SendTime       int64  `json:"sendTime"`
	Duplicate      bool   `json:"duplicate,omitempty"`
}

// ConversationState is the server's view of one conversation for one user.
type ConversationState struct {
	ConversationID string      `json:"conversationID"`
	SessionType    SessionType `json:"sessionType"`
	// PeerUserID is the other user of a single conversation.
	PeerUserID string `json:"peerUserID,omitempty"`
	GroupID    string `json:"groupID,omitempty"`
	// MaxSeq is the conversation's highest seq (0: no messages yet).
	MaxSeq int64 `json:"maxSeq"`
	// MinSeq is the lowest seq this user may read (1, or later for a member
	// who joined a group after it started).
	MinSeq    int64  `json:"minSeq"`
	ReadSeq   int64  `json:"readSeq"`
	IsPinned  bool   `json:"isPinned"`
	DraftText string `json:"draftText"`
	// Version is the user's change cursor value of the last change to this
	// conversation.
	Version int64 `json:"version"`
	// UpdatedAt is the time of the latest message or change, Unix ms.
	UpdatedAt     int64    `json:"updatedAt"`
	LatestMessage *Message `json:"latestMessage,omitempty"`
	// Removed: the user left or was removed from this group. The state is
	// kept so that sync tells a device that was away; MaxSeq stops at the
	// removal (its notification included), and a pull reads up to it and
	// not beyond, so that the device's timeline ends with what happened.
	// LatestMessage is never set; send, state changes and every other read
	// are refused.
	Removed bool `json:"removed,omitempty"`
	// GroupDismissed: Removed because the owner dismissed the group, so a
	// device that was away announces the dismissal, not a removal.
	GroupDismissed bool `json:"groupDismissed,omitempty"`
	// MessageVersion is the conversation's change counter for its stored
	// messages: the highest Version of a changed message (0: none changed).
	MessageVersion int64 `json:"messageVersion,omitempty"`
	// IsMuted: the user muted the conversation; its unread count is left
	// out of their total.
	IsMuted bool `json:"isMuted,omitempty"`
	// PeerReadSeq is, in a one-to-one conversation, the highest seq the
	// other user has read (their ReadSeq); 0 in groups.
	PeerReadSeq int64 `json:"peerReadSeq,omitempty"`
	// DeleteVersion is the user's change version of their latest deletion
	// of a message of this conversation (0: none).
	DeleteVersion int64 `json:"deleteVersion,omitempty"`
	// GroupVersion is the Version at which the group's membership last
	// changed as this user sees it (0: not since it was created). A device
	// whose sync cursor is below it refreshes the group (group.info).
	GroupVersion int64 `json:"groupVersion,omitempty"`
	// ReceiptVersion is, in a group, the user's change version when a read
	// by another member last changed the read counts of the user's own
	// messages (0: never); a device below it asks for ReqReadCounts.
	ReceiptVersion int64 `json:"receiptVersion,omitempty"`
	// HiddenUntilSeq: the user hid (or deleted) the conversation; it is
	// off their list while MaxSeq < HiddenUntilSeq, that is until its
	// next message (0: never hidden).
	HiddenUntilSeq int64 `json:"hiddenUntilSeq,omitempty"`
}

// SyncReq asks for the conversations that changed after Cursor (0: all).
type SyncReq struct {
	Cursor int64 `json:"cursor"`
	Limit  int   `json:"limit,omitempty"`
}

// SyncResp lists changed conversations in ascending Version. The client
// stores them, pulls what it lacks, and then keeps Cursor; while HasMore it
// asks again from Cursor.
type SyncResp struct {
	Conversations []ConversationState `json:"conversations"`
	Cursor        int64               `json:"cursor"`
	HasMore       bool                `json:"hasMore"`
}

// SeqRange asks for messages of one conversation with FromSeq <= seq <= ToSeq
// (ToSeq 0: up to the latest). At most Limit are returned: the lowest ones,
// or with Latest the highest ones.
type SeqRange struct {
	ConversationID string `json:"conversationID"`
	FromSeq        int64  `json:"fromSeq"`
	ToSeq          int64  `json:"toSeq,omitempty"`
	Limit          int    `json:"limit"`
	Latest         bool   `json:"latest,omitempty"`
}

// PullReq reads one or more ranges in one round trip.
type PullReq struct {
	Ranges []SeqRange `json:"ranges"`
}

// PullResp holds the messages of every range, each range's in ascending seq,
// ranges in request order.
type PullResp struct {
	Messages []Message `json:"messages"`
}

// MarkReadReq moves the read seq to ReadSeq (0: to the conversation's
// MaxSeq). The read seq never moves backwards.
type MarkReadReq struct {
	ConversationID string `json:"conversationID"`
	ReadSeq        int64  `json:"readSeq,omitempty"`
}

// SetPinnedReq pins or unpins a conversation for the caller.
type SetPinnedReq struct {
	ConversationID string `json:"conversationID"`
	IsPinned       bool   `json:"isPinned"`
}

// SetDraftReq stores a draft for the caller.
type SetDraftReq struct {
	ConversationID string `json:"conversationID"`
	DraftText      string `json:"draftText"`
}

// User is a public profile.
type User struct {
	UserID   string `json:"userID"`
	Username string `json:"username,omitempty"`
	Nickname string `json:"nickname"`
	FaceURL  string `json:"faceURL"`
	// Remark is the caller's own name for a friend: set only in the
	// caller's friend list and push.friendChanged.
	Remark string `json:"remark,omitempty"`
	// Ex is the app's own data about the user, set with user.setSelf.
	Ex string `json:"ex,omitempty"`
}

// GetUsersReq asks for profiles by ID.
type GetUsersReq struct {
	UserIDs []string `json:"userIDs"`
}

// UsersResp lists profiles.
type UsersResp struct {
	Users []User `json:"users"`
}

// SetSelfReq changes the fields that are set.
type SetSelfReq struct {
	Nickname *string `json:"nickname,omitempty"`
	FaceURL  *string `json:"faceURL,omitempty"`
	Ex       *string `json:"ex,omitempty"`
	// Searchable, when set, says whether user.search lists the caller.
	Searchable *bool `json:"searchable,omitempty"`
}

// FindUserReq looks a user up by username (case-insensitive).
type FindUserReq struct {
	Username string `json:"username"`
}

// UserIDReq names one user.
type UserIDReq struct {
	UserID string `json:"userID"`
}

// AddFriendReq asks UserID to become a friend.
type AddFriendReq struct {
	UserID  string `json:"userID"`
	Message string `json:"message,omitempty"`
}

// Friend request states.
const (
	FriendRequestPending  = "pending"
	FriendRequestAccepted = "accepted"
)

// FriendRequest is a request from FromUserID to ToUserID.
type FriendRequest struct {
	FromUserID string `json:"fromUserID"`
	ToUserID   string `json:"toUserID"`
	Message    string `json:"message"`
	State      string `json:"state"`
	CreateTime int64  `json:"createTime"`
	// HandleTime is when it was accepted or refused, Unix ms (0: pending).
	HandleTime int64 `json:"handleTime"`
	// FromUser is the requester's profile, for display.
	FromUser *User `json:"fromUser,omitempty"`
}

// FriendRequestsResp lists requests to and from the caller.
type FriendRequestsResp struct {
	Requests []FriendRequest `json:"requests"`
}

// Group roles.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Group is a group's public description.
type Group struct {
	GroupID     string `json:"groupID"`
	Name        string `json:"name"`
	FaceURL     string `json:"faceURL"`
	OwnerUserID string `json:"ownerUserID"`
	MemberCount int    `json:"memberCount"`
	CreateTime  int64  `json:"createTime"`
	// Introduction and Notification (the announcement) are free text set
	// by the owner and admins.
	Introduction string `json:"introduction"`
	Notification string `json:"notification"`
	// JoinPolicy is one of the JoinPolicy* values.
	JoinPolicy string `json:"joinPolicy"`
	// IsMuted: only the owner and admins may send.
	IsMuted bool `json:"isMuted"`
	// MyRole is the asking user's role; "" outside answers to a member.
	MyRole string `json:"myRole"`
	// Dismissed: the owner dismissed the group; it has no members.
	Dismissed bool `json:"dismissed,omitempty"`
	// MemberVersion counts the changes to the group's members (a join, a
	// removal, a role, nickname or mute): group.memberChanges answers what
	// changed after one. In the SDK's store it is the version its stored
	// members are as of (0: none stored).
	MemberVersion int64 `json:"memberVersion,omitempty"`
}

// CreateGroupReq creates a group; the caller is its owner and a member.
type CreateGroupReq struct {
	Name          string   `json:"name"`
	FaceURL       string   `json:"faceURL,omitempty"`
	MemberUserIDs []string `json:"memberUserIDs"`
}

// GroupsResp lists groups.
type GroupsResp struct {
	Groups []Group `json:"groups"`
}

// GroupIDReq names one group.
type GroupIDReq struct {
	GroupID string `json:"groupID"`
}

// GroupMemberReq names one member of one group.
type GroupMemberReq struct {
	GroupID string `json:"groupID"`
	UserID  string `json:"userID"`
}

// GroupMember is one member of a group.
type GroupMember struct {
	GroupID  string `json:"groupID"`
	UserID   string `json:"userID"`
	Role     string `json:"role"`
	JoinTime int64  `json:"joinTime"`
	// Nickname is the member's name in this group ("" for none).
	Nickname string `json:"nickname"`
	// MuteEndTime is when the member's mute ends, Unix ms (0: not muted).
	MuteEndTime int64 `json:"muteEndTime"`
}

// Reasons a member left a group (GroupMemberRemoved.Reason).
const (
	RemovedKicked = "kicked"
	RemovedQuit   = "quit"
)

// GroupMemberRemoved says that UserID is no longer a member of GroupID.
type GroupMemberRemoved struct {
	GroupID string `json:"groupID"`
	UserID  string `json:"userID"`
	// OperatorUserID removed them: an owner or admin, or UserID itself.
	OperatorUserID string `json:"operatorUserID"`
	// Reason is RemovedKicked or RemovedQuit.
	Reason string `json:"reason"`
	// Group is the group after the removal (its new MemberCount).
	Group Group `json:"group"`
}

// GroupMembersResp lists a group's members.
type GroupMembersResp struct {
	Members []GroupMember `json:"members"`
}

// Kicked says why the server closes a session.
type Kicked struct {
	// Reason is "token_revoked", "token_expired" or "replaced" (a newer login
	// on the same platform took the session).
	Reason string `json:"reason"`
}

// Pong answers a ping with the server's clock, Unix ms.
type Pong struct {
	ServerTime int64 `json:"serverTime"`
}

// HTTP bodies (contract section 1).

// RegisterReq is POST /api/v1/auth/register.
type RegisterReq struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Nickname string `json:"nickname"`
}

// LoginReq is POST /api/v1/auth/login.
type LoginReq struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Platform string `json:"platform"`
}

// AuthResp answers register and login.
type AuthResp struct {
	UserID    string `json:"userID"`
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expiresAt"`
}

// AdminCreateUserReq is POST /api/v1/admin/users.
type AdminCreateUserReq struct {
	UserID   string `json:"userID"`
	Nickname string `json:"nickname"`
	FaceURL  string `json:"faceURL"`
}

// AdminTokenReq is POST /api/v1/admin/tokens.
type AdminTokenReq struct {
	UserID   string `json:"userID"`
	Platform string `json:"platform"`
}

// TokenResp answers POST /api/v1/admin/tokens.
type TokenResp struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expiresAt"`
}

// ErrorBody is every HTTP error's body.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Platforms a token may carry.
const (
	PlatformWeb     = "web"
	PlatformIOS     = "ios"
	PlatformAndroid = "android"
	PlatformDesktop = "desktop"
	PlatformOther   = "other"
)

// ValidPlatform reports whether p is one of the platforms above.
func ValidPlatform(p string) bool {
	switch p {
	case PlatformWeb, PlatformIOS, PlatformAndroid, PlatformDesktop, PlatformOther:
		return true
	}
	return false
}
