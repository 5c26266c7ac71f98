// Package store defines the persistence parleyd needs, as several small
// interfaces composed into Store. Implementations live in subpackages
// (sqlite and postgres) and all run the conformance suite in
// package storetest.
//
// Every method is safe for concurrent use. Methods that change several rows
// do so in one transaction: either all of it is committed or none of it.
package store

import (
	"context"
	"errors"

	"parley/protocol"
)

// Sentinel errors, part of the contract checked by storetest. Callers test
// them with errors.Is; implementations may wrap them.
var (
	// ErrNotFound: the user, group, conversation or request does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: a unique key (user ID, username, friendship) is taken.
	ErrExists = errors.New("store: already exists")
	// ErrNotMember: the user is not a member of the group.
	ErrNotMember = errors.New("store: not a member")
)

// User is a stored account. Username and PasswordHash are empty for users an
// application's backend created through the admin API.
type User struct {
	UserID       string
	Username     string
	PasswordHash []byte
	Nickname     string
	FaceURL      string
	CreateTime   int64
	// TokenGeneration is bumped by "revoke all": only tokens carrying the
	// current generation are valid.
	TokenGeneration int64
	// ChangeVersion is the user's sync counter: the highest version of
	// their conversations; 0 before any. Read-only (CreateUser ignores it).
	ChangeVersion int64
	// Ex is the app's own data about the user (JSON or text), public like
	// the rest of the profile.
	Ex string
	// ProfileVersion is the server-wide profile counter's value at the
	// user's last profile change (0: never changed). Read-only.
	ProfileVersion int64
	// Disabled: an admin disabled the account (SetDisabled). Read-only.
	Disabled bool
	// SocialVersion counts changes to the user's friends, friend requests
	// and blacklist (BumpSocialVersion). Read-only.
	SocialVersion int64
}

// Profile converts u to its public wire form.
func (u *User) Profile() protocol.User {
	return protocol.User{UserID: u.UserID, Username: u.Username, Nickname: u.Nickname, FaceURL: u.FaceURL, Ex: u.Ex}
}

// Users stores accounts. Usernames are unique case-insensitively; the
// caller passes them already lower-cased.
type Users interface {
	// CreateUser stores u. ErrExists if the user ID or username is taken.
	CreateUser(ctx context.Context, u *User) error
	// User returns one user, or ErrNotFound.
	User(ctx context.Context, userID string) (*User, error)
	// UserByUsername returns the user with that (lower-case) username, or ErrNotFound.
	UserByUsername(ctx context.Context, username string) (*User, error)
	// Users returns the users that exist among ids, in no particular order.
	Users(ctx context.Context, ids []string) ([]*User, error)
	// UpdateProfile sets the non-nil fields and returns the updated user.
	UpdateProfile(ctx context.Context, userID string, nickname, faceURL *string) (*User, error)
}

// Tokens stores what makes a signed token invalid before its expiry.
type Tokens interface {
	// RevokeToken records that the token with this ID is no longer valid.
	// expiresAt lets implementations forget it once it would have expired.
	RevokeToken(ctx context.Context, tokenID, userID string, expiresAt int64) error
	// TokenRevoked reports whether RevokeToken was called for tokenID.
	TokenRevoked(ctx context.Context, tokenID string) (bool, error)
	// BumpTokenGeneration invalidates every token of the user minted so far
	// and returns the new generation. ErrNotFound if the user does not exist.
	BumpTokenGeneration(ctx context.Context, userID string) (int64, error)
}

// Secrets stores server-wide secrets such as the token signing key, so that
// tokens survive restarts.
type Secrets interface {
	// Secret returns the secret called name, storing gen() first if there
	// is none. Concurrent callers all get the same value.
	Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error)
}

// NewMessage is one message to store. Exactly one of RecvID and GroupID is set.
type NewMessage struct {
	ClientMsgID string
	ServerMsgID string // chosen by the caller, unique
	SendID      string
	RecvID      string
	GroupID     string
	ContentType string
	Content     []byte // JSON
	SendTime    int64
	CreateTime  int64
}

// Message is the message nm describes, addressed (ConversationID and
// SessionType from GroupID or RecvID) but not yet given its seq.
func (nm *NewMessage) Message() protocol.Message {
	m := protocol.Message{
		ClientMsgID: nm.ClientMsgID,
		ServerMsgID: nm.ServerMsgID,
		SendID:      nm.SendID,
		RecvID:      nm.RecvID,
		GroupID:     nm.GroupID,
		ContentType: nm.ContentType,
		Content:     nm.Content,
		SendTime:    nm.SendTime,
		CreateTime:  nm.CreateTime,
	}
	if nm.GroupID != "" {
		m.SessionType = protocol.SessionGroup
		m.ConversationID = protocol.GroupConversationID(nm.GroupID)
	} else {
		m.SessionType = protocol.SessionSingle
		m.ConversationID = protocol.SingleConversationID(nm.SendID, nm.RecvID)
	}
	return m
}

// AppendResult is the outcome of one NewMessage.
type AppendResult struct {
	// Message is the stored message; for a duplicate, the original.
	Message protocol.Message
	// Duplicate: the sender had already sent this ClientMsgID; nothing was stored.
	Duplicate bool
	// Recipients are the users whose conversation changed (sender
	// included), for fan-out. Empty for a duplicate.
	Recipients []string
	// Err is set when this message was rejected (ErrNotMember); the other
	// messages of the batch are unaffected.
	Err error
}

// Messages stores messages.
type Messages interface {
	// AppendMessages stores msgs in one transaction, in order. For each
	// message it assigns the next seq of its conversation, creates the
	// conversation on first use, and moves the sender's read seq to the
	// new seq. For each conversation the batch changes it bumps the change
	// version of every member (sender included) once, in the order the
	// conversations first appear in msgs, and stamps their states with it.
	// A group message from a non-member gets Err ErrNotMember. A message
	// whose (SendID, ClientMsgID) was stored before, in an earlier call or
	// earlier in msgs, is a duplicate. The returned error is for the
	// transaction as a whole: when it is non-nil nothing was stored.
	AppendMessages(ctx context.Context, msgs []NewMessage) ([]AppendResult, error)
	// Messages returns the messages of conversationID with
	// fromSeq <= seq <= toSeq (toSeq 0: no upper bound), at most limit of
	// them: the lowest, or with latest the highest; always in ascending seq.
	Messages(ctx context.Context, conversationID string, fromSeq, toSeq int64, limit int, latest bool) ([]protocol.Message, error)
}

// ConversationChange is one change to a user's conversation state; nil
// fields are left as they are.
type ConversationChange struct {
	// ReadSeq moves the read seq forward (never back), capped at MaxSeq;
	// 0 means MaxSeq.
	ReadSeq   *int64
	IsPinned  *bool
	DraftText *string
	IsMuted   *bool
	// ClearSeq clears the conversation for this user up to a seq (0 or
	// past MaxSeq: up to MaxSeq) by moving MinSeq past it, never back: the
	// messages up to it are no longer theirs to read.
	ClearSeq *int64
	// Hide takes the conversation off the list until its next message:
	// HiddenUntilSeq becomes MaxSeq+1.
	Hide bool
}

// ApplyTo applies ch to st and reports whether st changed. Both stores
// decide with it, so they agree on what counts as a change.
func (ch ConversationChange) ApplyTo(st *protocol.ConversationState) (changed bool) {
	if ch.ReadSeq != nil {
		rs := *ch.ReadSeq
		if rs <= 0 || rs > st.MaxSeq {
			rs = st.MaxSeq
		}
		if rs > st.ReadSeq {
			st.ReadSeq, changed = rs, true
		}
	}
	if ch.IsPinned != nil && *ch.IsPinned != st.IsPinned {
		st.IsPinned, changed = *ch.IsPinned, true
	}
	if ch.DraftText != nil && *ch.DraftText != st.DraftText {
		st.DraftText, changed = *ch.DraftText, true
	}
	if ch.IsMuted != nil && *ch.IsMuted != st.IsMuted {
		st.IsMuted, changed = *ch.IsMuted, true
	}
	if ch.Hide && st.HiddenUntilSeq != st.MaxSeq+1 {
		st.HiddenUntilSeq, changed = st.MaxSeq+1, true
	}
	if ch.ClearSeq != nil {
		cs := *ch.ClearSeq
		if cs <= 0 || cs > st.MaxSeq {
			cs = st.MaxSeq
		}
		if cs+1 > st.MinSeq {
			st.MinSeq, changed = cs+1, true
			if st.LatestMessage != nil && st.LatestMessage.Seq < st.MinSeq {
				st.LatestMessage = nil
			}
		}
	}
	return changed
}

// Conversations stores each user's view of their conversations.
type Conversations interface {
	// ChangedConversations returns the user's conversations whose version
	// is greater than cursor, in ascending version, at most limit, each
	// with its latest message. Its cost is proportional to the number
	// returned, not to the user's conversation count.
	ChangedConversations(ctx context.Context, userID string, cursor int64, limit int) ([]protocol.ConversationState, error)
	// Conversation returns one conversation of the user, or ErrNotFound
	// when the user has no state for it.
	Conversation(ctx context.Context, userID, conversationID string) (*protocol.ConversationState, error)
	// UpdateConversation applies ch to the user's state of a conversation
	// and, if anything changed, bumps the user's change version. For a
	// single conversation the state is created when missing (the caller
	// has checked the peer exists); for a group, a non-member gets
	// ErrNotMember, as does a removed member. changed is false when ch
	// changed nothing. A read seq that moves in a one-to-one conversation
	// also bumps the peer's change version and stamps it on their state:
	// their PeerReadSeq changed (their sync reports it). A read seq that
	// moves also sets the user's read time (ReadPositions) to now, as a
	// send that moves it (AppendMessages) sets it to the send time.
	UpdateConversation(ctx context.Context, userID, conversationID string, ch ConversationChange, now int64) (st *protocol.ConversationState, changed bool, err error)
}

// FriendRequest is a stored request.
type FriendRequest struct {
	FromUserID string
	ToUserID   string
	Message    string
	State      string // protocol.FriendRequestPending, Accepted or Refused
	CreateTime int64
	HandleTime int64
}

// Friends stores friend requests and friendships. A friendship is stored
// in both directions, which leaves room for per-side remarks later.
type Friends interface {
	// PutFriendRequest creates or refreshes a pending request from -> to.
	// ErrExists if they are already friends.
	PutFriendRequest(ctx context.Context, req FriendRequest) error
	// FriendRequest returns the request from -> to, or ErrNotFound.
	FriendRequest(ctx context.Context, from, to string) (*FriendRequest, error)
	// AcceptFriendRequest marks the pending request from -> to accepted
	// and makes them friends, in one transaction. ErrNotFound when there is
	// no pending request.
	AcceptFriendRequest(ctx context.Context, from, to string, now int64) error
	// FriendRequests lists pending requests to or from userID, newest first.
	FriendRequests(ctx context.Context, userID string, limit int) ([]FriendRequest, error)
	// AreFriends reports whether a and b are friends.
	AreFriends(ctx context.Context, a, b string) (bool, error)
	// FriendIDs lists userID's friends.
	FriendIDs(ctx context.Context, userID string) ([]string, error)
}

// NewGroup is a group to create; OwnerUserID is also a member.
type NewGroup struct {
	GroupID       string
	Name          string
	FaceURL       string
	OwnerUserID   string
	MemberUserIDs []string // besides the owner; duplicates ignored
	CreateTime    int64
}

// Groups stores groups and their members.
type Groups interface {
	// CreateGroup creates the group, its members (owner with RoleOwner,
	// the others RoleMember), its conversation with seq 0, and every
	// member's conversation state (bumping their change versions), in one
	// transaction. ErrNotFound if a member does not exist; ErrExists if the
	// group ID is taken.
	CreateGroup(ctx context.Context, g NewGroup) (*protocol.Group, error)
	// Group returns a group, or ErrNotFound.
	Group(ctx context.Context, groupID string) (*protocol.Group, error)
	// UserGroups lists the groups userID is a member of.
	UserGroups(ctx context.Context, userID string) ([]protocol.Group, error)
	// GroupMembers lists a group's members, owner first then by join time.
	GroupMembers(ctx context.Context, groupID string) ([]protocol.GroupMember, error)
	// GroupMember returns one membership, or ErrNotMember.
	GroupMember(ctx context.Context, groupID, userID string) (*protocol.GroupMember, error)
}

// Blocks stores who blocked whom. The server consults it before a
// one-to-one message or a friend request is accepted.
type Blocks interface {
	// BlockUser records that owner blocks blocked; blocking twice is not
	// an error.
	BlockUser(ctx context.Context, ownerUserID, blockedUserID string, now int64) error
	// UnblockUser lifts the block; lifting a missing block is not an error.
	UnblockUser(ctx context.Context, ownerUserID, blockedUserID string) error
	// Blocked reports whether owner blocks userID.
	Blocked(ctx context.Context, ownerUserID, userID string) (bool, error)
}

// GroupMembership changes who is in a group.
type GroupMembership interface {
	// RemoveGroupMember removes userID from the group, in one
	// transaction: they can no longer send to it, and their state of its
	// conversation is kept marked Removed, with MaxSeq stopped at the
	// removal and no LatestMessage (no content reaches them any more), and
	// can no longer be changed (ErrNotMember).
	// The change version of every member before the removal (the removed
	// one included) is bumped and stamped on their state as Version and
	// GroupVersion, so that each one's next sync reports the change; its
	// cost is proportional to the group's size. ErrNotMember if they are
	// not a member. A future way of joining an existing group must clear
	// the mark (removed_seq) of a returning member.
	RemoveGroupMember(ctx context.Context, groupID, userID string) error
}

// ChangedMessage is the outcome of ChangeMessage.
type ChangedMessage struct {
	// Message is the message in its new state, with its new Version.
	Message protocol.Message
	// Recipients are the conversation's members (for a one-to-one
	// conversation its two users), for fan-out.
	Recipients []string
}

// MessageChanges changes stored messages (revoke, edit) and reads the
// changes back by version.
type MessageChanges interface {
	// ChangeMessage finds the message of conversationID whose ClientMsgID is
	// clientMsgID (ErrNotFound if none), hands it to change inside one
	// transaction and stores what change made of its ContentType, Content,
	// EditTime, pin (IsPinned, PinnedBy, PinTime) and Reactions; an error from change aborts the transaction and is
	// returned as it is. The message takes the conversation's next message
	// version as its Version; the change version of every member is bumped
	// and stamped on their state (as a send does), so that each one's next
	// sync reports the conversation with its new MessageVersion. Concurrent
	// changes to one message are serialized: change always sees the latest
	// committed state.
	ChangeMessage(ctx context.Context, conversationID, clientMsgID string, change func(m *protocol.Message) error) (*ChangedMessage, error)
	// PinnedMessages returns the pinned messages of conversationID with
	// seq >= minSeq, ascending by seq, at most limit.
	PinnedMessages(ctx context.Context, conversationID string, minSeq int64, limit int) ([]protocol.Message, error)
	// ChangedMessages returns the messages of conversationID with
	// Version > afterVersion and seq >= minSeq, ascending by Version, at
	// most limit. Its cost is proportional to the number returned.
	ChangedMessages(ctx context.Context, conversationID string, afterVersion, minSeq int64, limit int) ([]protocol.Message, error)
}

// MessageDeletions keeps the messages each user deleted for themselves:
// kept for the others, masked by the server in what it gives that user.
type MessageDeletions interface {
	// DeleteMessageForUser records that userID deleted, for themselves,
	// the message of conversationID whose ClientMsgID is clientMsgID. The
	// user must hold a state of the conversation that is not removed
	// (ErrNotMember otherwise) and the message a seq at or above their
	// MinSeq (ErrNotFound otherwise, as for no such message). A first
	// deletion bumps the user's change version and stamps it on their
	// state as Version and DeleteVersion, in one transaction; deleting
	// again changes nothing (changed false). The state comes back with its
	// latest message (unmasked: the caller masks it).
	DeleteMessageForUser(ctx context.Context, userID, conversationID, clientMsgID string) (st *protocol.ConversationState, d *protocol.Deletion, changed bool, err error)
	// DeletedMessages returns the user's deletions in conversationID with
	// Version > afterVersion, ascending by Version, at most limit.
	DeletedMessages(ctx context.Context, userID, conversationID string, afterVersion int64, limit int) ([]protocol.Deletion, error)
	// DeletedSeqs returns the seqs in [fromSeq, toSeq] of conversationID
	// that userID deleted, ascending.
	DeletedSeqs(ctx context.Context, userID, conversationID string, fromSeq, toSeq int64) ([]int64, error)
	// DeletedBy returns the users who deleted the message at seq.
	DeletedBy(ctx context.Context, conversationID string, seq int64) ([]string, error)
}

// Store is everything parleyd persists.
type Store interface {
	Users
	Tokens
	Secrets
	Messages
	Conversations
	Friends
	FriendLifecycle
	Groups
	Blocks
	BlockList
	Profiles
	Search
	Accounts
	SocialVersions
	GroupMembership
	GroupAdmin
	GroupMemberLog
	Webhooks
	OfflinePushes
	PresenceNodes
	Moderation
	Uploads
	MessageChanges
	MessageDeletions
	GroupReads
	// Close flushes and closes the store. It must be called once, after
	// every other call has returned.
	Close() error
}
