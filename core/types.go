package core

import (
	"encoding/json"
	"slices"

	"parley/protocol"
)

// MessageStatus is a message's delivery state as the app sees it.
type MessageStatus string

// Message statuses.
const (
	// StatusCreated: made by CreateTextMessage, not yet handed to SendMessage.
	StatusCreated MessageStatus = "created"
	// StatusSending: stored locally and waiting in the outbox for its ack.
	StatusSending MessageStatus = "sending"
	// StatusSent: acknowledged by the server; Seq, ServerMsgID and SendTime are set.
	StatusSent MessageStatus = "sent"
	// StatusFailed: refused by the server or not acknowledged within the send
	// timeout; SendMessage may send it again with the same ClientMsgID.
	StatusFailed MessageStatus = "failed"
)

// Message is a message as the SDK stores and shows it (contract section 3).
// Messages of every status are keyed by ClientMsgID; those with a Seq are
// also found by (ConversationID, Seq).
type Message struct {
	ClientMsgID    string               `json:"clientMsgID"`
	ServerMsgID    string               `json:"serverMsgID"`
	ConversationID string               `json:"conversationID"`
	Seq            int64                `json:"seq"`
	SendID         string               `json:"sendID"`
	RecvID         string               `json:"recvID"`
	GroupID        string               `json:"groupID"`
	SessionType    protocol.SessionType `json:"sessionType"`
	ContentType    string               `json:"contentType"`
	// Text is the body of a text message.
	Text string `json:"text"`
	// Content is the raw body of a message of another content type.
	Content json.RawMessage `json:"content,omitempty"`
	// SendTime is when the server stored it, Unix ms (0 before the ack).
	SendTime int64 `json:"sendTime"`
	// CreateTime is when the client created it, Unix ms.
	CreateTime int64         `json:"createTime"`
	Status     MessageStatus `json:"status"`
	// ErrorCode says why a failed message failed.
	ErrorCode protocol.Code `json:"errorCode,omitempty"`
	// Uploads are the files of an unsent message of a file-bearing type
	// and how far each got (see upload.go); nil once it is sent.
	Uploads []Upload `json:"uploads,omitempty"`
	// Version orders the changes to a stored message (revoke, edit): 0 as
	// sent, then the server's change number of its latest change. A
	// message stored with a Version at least an incoming copy's is kept.
	Version int64 `json:"version"`
	// EditTime is when the message was last edited, Unix ms (0: never).
	EditTime int64 `json:"editTime"`
	// IsPinned: a member pinned the message (PinnedBy, at PinTime, Unix
	// ms); every member sees it pinned.
	IsPinned bool   `json:"isPinned"`
	PinnedBy string `json:"pinnedBy"`
	PinTime  int64  `json:"pinTime"`
	// IsRead, on the user's own messages in a one-to-one conversation:
	// the peer has read it (its seq is at most their read seq).
	IsRead bool `json:"isRead"`
	// Deleted marks what is left of a message the user deleted for
	// themselves: its place in the conversation (seq), no content. It is
	// never shown to the app but as the payload of messagesChanged.
	Deleted bool `json:"deleted,omitempty"`
	// Reactions on the message, each emoji in the order it was first used
	// (absent: none).
	Reactions []Reaction `json:"reactions,omitempty"`
	// ReadCount, on the user's own group messages: how many of the other
	// members who could read it have (it only grows).
	ReadCount int `json:"readCount"`
}

// Reaction is one emoji on a message as the user sees it: how many
// reacted with it, the first of them (at most maxReactionUsers), and
// whether the user is one.
type Reaction struct {
	Emoji       string   `json:"emoji"`
	Count       int      `json:"count"`
	UserIDs     []string `json:"userIDs"`
	ReactedByMe bool     `json:"reactedByMe"`
}

// maxReactionUsers bounds Reaction.UserIDs (contract §4.2).
const maxReactionUsers = 10

// Conversation is one conversation of the logged-in user (contract section 3),
// plus the seq bookkeeping the SDK keeps with it.
type Conversation struct {
	ConversationID string               `json:"conversationID"`
	SessionType    protocol.SessionType `json:"sessionType"`
	// UserID is the peer of a single conversation.
	UserID  string `json:"userID"`
	GroupID string `json:"groupID"`
	// ShowName and FaceURL come from the peer's profile or the group.
	ShowName      string   `json:"showName"`
	FaceURL       string   `json:"faceURL"`
	LatestMessage *Message `json:"latestMessage"`
	UnreadCount   int64    `json:"unreadCount"`
	IsPinned      bool     `json:"isPinned"`
	// IsMuted: the user muted it; its UnreadCount is kept but left out of
	// the total unread count.
	IsMuted   bool   `json:"isMuted"`
	DraftText string `json:"draftText"`
	// UpdatedAt is the time of the latest message or change, Unix ms.
	UpdatedAt int64 `json:"updatedAt"`

	// MaxSeq is the highest seq known to exist on the server.
	MaxSeq int64 `json:"maxSeq"`
	// MinSeq is the lowest seq this user may read.
	MinSeq int64 `json:"minSeq"`
	// ReadSeq is the user's read position; messages above it are unread.
	ReadSeq int64 `json:"readSeq"`
	// ServerReadSeq is the read position the server is known to hold; a
	// ReadSeq above it (marked while offline) is sent after reconnecting.
	ServerReadSeq int64 `json:"serverReadSeq"`
	// LocalMaxSeq is the top of the contiguous run of messages held locally:
	// the sync engine pulls (LocalMaxSeq, MaxSeq] when it learns of more.
	LocalMaxSeq int64 `json:"localMaxSeq"`
	// Version is the server's change version of the last state applied; an
	// older state (a sync page racing a newer push or answer) does not undo
	// a newer pin or draft.
	Version int64 `json:"version"`
	// MentionedMe is true while a message that mentions the user (by ID
	// or @all) is unread.
	MentionedMe bool `json:"mentionedMe"`
	// MessageVersion is the conversation's change counter for its stored
	// messages as last reported by the server; ChangesVersion is the one
	// this device has applied every change up to. A device that was away
	// pulls the changes between the two.
	MessageVersion int64 `json:"messageVersion"`
	ChangesVersion int64 `json:"changesVersion"`
	// PeerReadSeq is, in a one-to-one conversation, the highest seq the
	// other user has read.
	PeerReadSeq int64 `json:"peerReadSeq"`
	// DeletesVersion is the user's change version of the latest deletion
	// (delete for me) of a message of this conversation applied here.
	DeletesVersion int64 `json:"deletesVersion"`
	// ReceiptVersion is, in a group, the server's ReceiptVersion of the
	// read counts of the user's own messages applied here.
	ReceiptVersion int64 `json:"receiptVersion,omitempty"`
	// Removed marks a group conversation whose group the user left or was
	// removed from: it stays with its messages, and sending to it fails
	// with permission_denied.
	Removed bool `json:"removed,omitempty"`
	// HiddenUntilSeq: the user hid or deleted the conversation; it is off
	// the list (IsHidden) while MaxSeq is below it, that is until its next
	// message (0: never hidden).
	HiddenUntilSeq int64 `json:"hiddenUntilSeq,omitempty"`
	// IsHidden is MaxSeq < HiddenUntilSeq, kept by fold: ConversationPage
	// leaves such a conversation out, and its unread count is out of the
	// total.
	IsHidden bool `json:"isHidden,omitempty"`
	// DraftPending: DraftText was set here and the server does not hold it
	// yet (set offline); it is sent after reconnecting, and a server state
	// with another draft does not replace it meanwhile.
	DraftPending bool `json:"draftPending,omitempty"`
}

// totalShare is what the conversation adds to the total unread count:
// nothing while muted.
func (c *Conversation) totalShare() int64 {
	if c.IsMuted || c.IsHidden {
		return 0
	}
	return c.UnreadCount
}

// unread is the unread count implied by the seqs: own messages never count
// because the server moves the sender's read seq to them.
func (c *Conversation) unread() int64 {
	floor := c.ReadSeq
	if c.MinSeq-1 > floor {
		floor = c.MinSeq - 1
	}
	if n := c.MaxSeq - floor; n > 0 {
		return n
	}
	return 0
}

// User is a public profile.
type User struct {
	UserID   string `json:"userID"`
	Username string `json:"username,omitempty"`
	Nickname string `json:"nickname"`
	FaceURL  string `json:"faceURL"`
	// Remark is the user's own name for a friend: set on the friend list
	// only, never on cached profiles.
	Remark string `json:"remark,omitempty"`
	// Ex is the app's own data about the user, set with SetSelfInfo.
	Ex string `json:"ex,omitempty"`
}

// Group is a group the user belongs to: its description and MyRole, the
// user's role in it.
type Group = protocol.Group

// FriendRequest is a friend request to or from the user.
type FriendRequest = protocol.FriendRequest

// GroupMember is one member of a group.
type GroupMember = protocol.GroupMember

// SelfInfoUpdate changes the fields that are set.
type SelfInfoUpdate struct {
	Nickname *string `json:"nickname,omitempty"`
	FaceURL  *string `json:"faceURL,omitempty"`
	Ex       *string `json:"ex,omitempty"`
	// Searchable, when set, says whether searchUsers finds the user.
	Searchable *bool `json:"searchable,omitempty"`
}

// History is one page of GetHistoryMessages.
type History struct {
	// Messages are in ascending seq, without gaps.
	Messages []Message `json:"messages"`
	// IsEnd reports that the page reaches the conversation's first message.
	IsEnd bool `json:"isEnd"`
}

// ConnState is the connection state reported by connectionStateChanged.
type ConnState string

// Connection states. After ConnKickedOffline and ConnTokenExpired the client
// stops reconnecting until the next Login.
const (
	ConnDisconnected  ConnState = "disconnected"
	ConnConnecting    ConnState = "connecting"
	ConnConnected     ConnState = "connected"
	ConnKickedOffline ConnState = "kickedOffline"
	ConnTokenExpired  ConnState = "tokenExpired"
)

func userFromProto(u protocol.User) User {
	return User{UserID: u.UserID, Username: u.Username, Nickname: u.Nickname, FaceURL: u.FaceURL, Remark: u.Remark, Ex: u.Ex}
}

// messageFromProto converts a stored server message for the user self;
// it is always sent.
func messageFromProto(m *protocol.Message, self string) Message {
	out := Message{
		ClientMsgID:    m.ClientMsgID,
		ServerMsgID:    m.ServerMsgID,
		ConversationID: m.ConversationID,
		Seq:            m.Seq,
		SendID:         m.SendID,
		RecvID:         m.RecvID,
		GroupID:        m.GroupID,
		SessionType:    m.SessionType,
		ContentType:    m.ContentType,
		SendTime:       m.SendTime,
		CreateTime:     m.CreateTime,
		Status:         StatusSent,
		Version:        m.Version,
		EditTime:       m.EditTime,
		IsPinned:       m.IsPinned,
		PinnedBy:       m.PinnedBy,
		PinTime:        m.PinTime,
	}
	if out.ClientMsgID == "" {
		// The store keys messages by ClientMsgID; the server's ID is as unique.
		out.ClientMsgID = m.ServerMsgID
	}
	if m.Deleted {
		return tombstone(out)
	}
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, Reaction{Emoji: r.Emoji, Count: len(r.UserIDs),
			UserIDs: r.UserIDs[:min(len(r.UserIDs), maxReactionUsers)], ReactedByMe: slices.Contains(r.UserIDs, self)})
	}
	if c, err := protocol.DecodeContent(m.ContentType, m.Content); err == nil {
		if text, ok := protocol.TextOf(c); ok {
			out.Text = text
			if tc, ok := c.(*protocol.TextContent); ok && tc.Preview == nil {
				return out
			}
		}
	}
	if len(m.Content) > 0 {
		out.Content = append(json.RawMessage(nil), m.Content...)
	}
	return out
}

// wireContent is the content a message is sent with, checked by its
// type's codec as the server will check it: what it returns, the server
// accepts (an error is the *Error the server would answer).
func (m *Message) wireContent() (json.RawMessage, error) {
	if m.ContentType == protocol.ContentText {
		tc := protocol.TextContent{}
		if len(m.Content) > 0 {
			// A link preview (AddLinkPreview).
			_ = json.Unmarshal(m.Content, &tc)
		}
		tc.Text = m.Text
		return protocol.EncodeContent(&tc)
	}
	return protocol.CheckContent(m.ContentType, m.Content)
}
