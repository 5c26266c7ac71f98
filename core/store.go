package core

import (
	"context"
	"sort"

	"parley/protocol"
)

// Store is everything the client keeps locally for one user. It is composed
// of small read interfaces and one write method: all writes go through
// Apply, so a sync page, an ack or a local send is one atomic batch.
//
// Implementations: core/mem (memory), indexdb (the browser's IndexedDB).
// Every implementation must pass core/storetest.
//
// Methods are called from several goroutines; implementations must be safe
// for concurrent use. After Close every method returns ErrStoreClosed.
type Store interface {
	UserReader
	FriendReader
	FriendRequestReader
	BlackListReader
	ProfileCursorReader
	SocialVersionReader
	GroupReader
	GroupMemberReader
	GroupApplicationReader
	ConversationReader
	MessageReader
	MessageSearcher
	OutboxReader
	CursorReader
	ChunkReader
	Applier
	// Close releases the store. Data written before it stays for the next
	// open of the same store.
	Close() error
}

// Applier writes a batch.
type Applier interface {
	// Apply writes every part of ch in one transaction: after an error
	// nothing of ch is visible, after success all of it is, including the
	// cursor. Upserts are applied before removals. Applying the same batch
	// twice leaves the store as applying it once.
	Apply(ctx context.Context, ch *Changes) error
}

// UserReader reads cached profiles.
type UserReader interface {
	// Users returns the stored profiles among userIDs, in the order asked;
	// unknown IDs are left out.
	Users(ctx context.Context, userIDs []string) ([]User, error)
}

// FriendReader reads the friend list.
type FriendReader interface {
	// Friends returns the friend list ordered by UserID.
	Friends(ctx context.Context) ([]User, error)
}

// FriendRequestReader reads the friend requests to and from the user.
type FriendRequestReader interface {
	// FriendRequests returns every stored request, newest first by
	// max(CreateTime, HandleTime), then by FromUserID and ToUserID.
	FriendRequests(ctx context.Context) ([]FriendRequest, error)
}

// BlackListReader reads the users the user blocks.
type BlackListReader interface {
	// BlackList returns the blocked users ordered by UserID.
	BlackList(ctx context.Context) ([]User, error)
}

// ProfileCursorReader reads the profile cursor: the server's profile
// version up to which changed profiles have been caught up on.
type ProfileCursorReader interface {
	// ProfileCursor returns the stored profile cursor, 0 when none.
	ProfileCursor(ctx context.Context) (int64, error)
}

// SocialVersionReader reads the server's social version that the stored
// friends, requests and blacklist are as of.
type SocialVersionReader interface {
	// SocialVersion returns the stored social version; ok is false when
	// none was stored.
	SocialVersion(ctx context.Context) (version int64, ok bool, err error)
}

// SortFriendRequests orders rs as FriendRequestReader returns them.
func SortFriendRequests(rs []FriendRequest) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if ta, tb := max(a.CreateTime, a.HandleTime), max(b.CreateTime, b.HandleTime); ta != tb {
			return ta > tb
		}
		if a.FromUserID != b.FromUserID {
			return a.FromUserID < b.FromUserID
		}
		return a.ToUserID < b.ToUserID
	})
}

// GroupReader reads the joined groups.
type GroupReader interface {
	// Groups returns the joined groups ordered by GroupID.
	Groups(ctx context.Context) ([]Group, error)
}

// GroupMemberReader reads the stored members of the joined groups.
type GroupMemberReader interface {
	// GroupMembers returns the stored members of a group in
	// SortGroupMembers' order.
	GroupMembers(ctx context.Context, groupID string) ([]GroupMember, error)
}

// GroupApplicationReader reads the stored applications to join groups:
// those the user may decide (to groups they own or administer) and those
// the user made.
type GroupApplicationReader interface {
	// GroupApplications returns every stored application in
	// SortGroupApplications' order.
	GroupApplications(ctx context.Context) ([]GroupApplication, error)
}

// SortGroupApplications orders as as the server lists them: newest first
// by max(CreateTime, HandleTime), then by GroupID and UserID.
func SortGroupApplications(as []GroupApplication) {
	sort.Slice(as, func(i, j int) bool {
		a, b := as[i], as[j]
		if ta, tb := max(a.CreateTime, a.HandleTime), max(b.CreateTime, b.HandleTime); ta != tb {
			return ta > tb
		}
		if a.GroupID != b.GroupID {
			return a.GroupID < b.GroupID
		}
		return a.UserID < b.UserID
	})
}

// SortGroupMembers orders ms as the server lists them: the owner first,
// then by JoinTime, then by UserID.
func SortGroupMembers(ms []GroupMember) {
	sort.Slice(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if ao, bo := a.Role == protocol.RoleOwner, b.Role == protocol.RoleOwner; ao != bo {
			return ao
		}
		if a.JoinTime != b.JoinTime {
			return a.JoinTime < b.JoinTime
		}
		return a.UserID < b.UserID
	})
}

// ConversationReader reads conversations.
type ConversationReader interface {
	// Conversation returns one conversation or an error wrapping ErrNotFound.
	Conversation(ctx context.Context, conversationID string) (Conversation, error)
	// Conversations returns every conversation ordered by ConversationID.
	Conversations(ctx context.Context) ([]Conversation, error)
	// ConversationPage returns up to count conversations (count <= 0: all)
	// from offset in the list's order (SortConversations: pinned first,
	// then Activity descending, then ConversationID ascending), leaving out
	// hidden ones (IsHidden). A store
	// should read no more than offset+count records for it: it serves the
	// first screen of the list at start-up, before anything else is read.
	ConversationPage(ctx context.Context, offset, count int) ([]Conversation, error)
}

// MessageReader reads messages.
type MessageReader interface {
	// MessagesBySeq returns the messages of a conversation with
	// fromSeq <= Seq <= toSeq, ascending by Seq. Messages without a Seq
	// (not yet sent) are never returned.
	MessagesBySeq(ctx context.Context, conversationID string, fromSeq, toSeq int64) ([]Message, error)
	// Messages returns the stored messages among clientMsgIDs, in the order
	// asked; unknown IDs are left out.
	Messages(ctx context.Context, clientMsgIDs []string) ([]Message, error)
	// UnsentMessages returns the messages of a conversation that have no
	// Seq yet (sending or failed), ascending by CreateTime then ClientMsgID.
	UnsentMessages(ctx context.Context, conversationID string) ([]Message, error)
}

// OutboxReader reads the outbox.
type OutboxReader interface {
	// Outbox returns the entries ascending by Order, then ClientMsgID.
	Outbox(ctx context.Context) ([]OutboxEntry, error)
}

// ChunkReader reads the stored bytes of the files of unsent messages.
type ChunkReader interface {
	// Chunks returns the stored chunks of a message's file slot with
	// fromIndex <= Index <= toIndex, ascending by Index.
	Chunks(ctx context.Context, clientMsgID string, slot, fromIndex, toIndex int) ([]Chunk, error)
}

// Chunk is one piece of the file of an unsent message (Message.Uploads),
// stored with the message so that its upload survives a reload: chunk
// Index of slot Slot holds the file's bytes from Index*ChunkBytes on.
type Chunk struct {
	ClientMsgID string
	Slot        int
	Index       int
	Data        Bytes
}

// CursorReader reads the sync cursor.
type CursorReader interface {
	// SyncCursor returns the stored sync cursor; ok is false when none was
	// ever stored (a store that has never finished a sync page).
	SyncCursor(ctx context.Context) (cursor int64, ok bool, err error)
}

// Changes is one atomic batch of writes. Records are upserted by key:
// users, friends by UserID; groups by GroupID; conversations by
// ConversationID; messages and outbox entries by ClientMsgID (a message whose
// Seq changes moves in the (ConversationID, Seq) index with it).
type Changes struct {
	Users          []User
	Friends        []User
	RemovedFriends []string
	// FriendRequests are upserted by (FromUserID, ToUserID);
	// RemovedFriendRequests are removed by the same key.
	FriendRequests        []FriendRequest
	RemovedFriendRequests []FriendRequest
	// Black are users the user blocks, upserted by UserID; RemovedBlack
	// are UserIDs no longer blocked.
	Black        []User
	RemovedBlack []string
	Groups       []Group
	// RemovedGroups are removed with their stored members.
	RemovedGroups []string
	// GroupMembers are upserted by (GroupID, UserID); RemovedGroupMembers
	// are removed by the same key.
	GroupMembers        []GroupMember
	RemovedGroupMembers []GroupMember
	// GroupApplications are upserted by (GroupID, UserID);
	// RemovedGroupApplications are removed by the same key.
	GroupApplications        []GroupApplication
	RemovedGroupApplications []GroupApplication
	Conversations            []Conversation
	Messages                 []Message
	Outbox                   []OutboxEntry
	// RemovedOutbox lists ClientMsgIDs to remove from the outbox.
	RemovedOutbox []string
	// RemovedMessages lists ClientMsgIDs of messages to remove (unsent
	// messages the app deleted, messages cleared for this user); unknown
	// IDs are ignored.
	RemovedMessages []string
	// Chunks are file chunks to store (keyed by ClientMsgID, Slot, Index).
	Chunks []Chunk
	// RemovedChunks lists ClientMsgIDs whose chunks are all removed.
	RemovedChunks []string
	// Cursor, when set, is stored as the new sync cursor.
	Cursor *int64
	// ProfileCursor, when set, is stored as the new profile cursor.
	ProfileCursor *int64
	// SocialVersion, when set, is stored as the social version the stored
	// friends, requests and blacklist are as of.
	SocialVersion *int64
}

// Empty reports whether ch writes nothing.
func (ch *Changes) Empty() bool {
	return ch == nil || (len(ch.Users) == 0 && len(ch.Friends) == 0 && len(ch.RemovedFriends) == 0 &&
		len(ch.FriendRequests) == 0 && len(ch.RemovedFriendRequests) == 0 &&
		len(ch.Black) == 0 && len(ch.RemovedBlack) == 0 && ch.ProfileCursor == nil && ch.SocialVersion == nil &&
		len(ch.Groups) == 0 && len(ch.RemovedGroups) == 0 && len(ch.Conversations) == 0 &&
		len(ch.GroupMembers) == 0 && len(ch.RemovedGroupMembers) == 0 &&
		len(ch.GroupApplications) == 0 && len(ch.RemovedGroupApplications) == 0 &&
		len(ch.Messages) == 0 && len(ch.Outbox) == 0 && len(ch.RemovedOutbox) == 0 && ch.Cursor == nil &&
		len(ch.RemovedMessages) == 0 && len(ch.Chunks) == 0 && len(ch.RemovedChunks) == 0)
}

// OutboxEntry is a message waiting to be sent. The message itself is stored
// with the messages (status sending); the entry says where it goes and keeps
// the send order across reloads.
type OutboxEntry struct {
	ClientMsgID    string `json:"clientMsgID"`
	ConversationID string `json:"conversationID"`
	RecvID         string `json:"recvID,omitempty"`
	GroupID        string `json:"groupID,omitempty"`
	// Order is the send order: entries go out ascending by Order.
	Order int64 `json:"order"`
	// EnqueuedAt is when SendMessage stored it, Unix ms.
	EnqueuedAt int64 `json:"enqueuedAt"`
	// Deadline is when the message gives up (fails with timeout), Unix
	// ms: stored, so that a reload does not restart it. 0 (an entry stored
	// before deadlines were) means EnqueuedAt plus the send timeout.
	Deadline int64 `json:"deadline,omitempty"`
	// Attempts counts sends that got no answer or a temporary error.
	Attempts int `json:"attempts"`
	// LastError is the code of the last of those.
	LastError string `json:"lastError,omitempty"`
}
