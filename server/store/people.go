package store

import "context"

// Friend is one side of a friendship: UserID's friend FriendUserID, with
// the remark UserID gave them.
type Friend struct {
	FriendUserID string
	Remark       string
	CreateTime   int64
}

// FriendLifecycle is what happens to a request and a friendship after
// they are made.
type FriendLifecycle interface {
	// RefuseFriendRequest marks the pending request from -> to refused
	// with its handle time. ErrNotFound when there is no pending request.
	RefuseFriendRequest(ctx context.Context, from, to string, now int64) (*FriendRequest, error)
	// DeleteFriend ends the friendship of a and b, both directions and
	// both remarks, in one transaction. ErrNotFound if they are not friends.
	DeleteFriend(ctx context.Context, a, b string) error
	// SetFriendRemark sets userID's remark for friendID. ErrNotFound if
	// they are not friends.
	SetFriendRemark(ctx context.Context, userID, friendID, remark string) error
	// Friends lists userID's friends with their remarks, oldest
	// friendship first.
	Friends(ctx context.Context, userID string) ([]Friend, error)
	// AllFriendRequests lists requests to or from userID in every state,
	// the most recently created or handled first, at most limit.
	AllFriendRequests(ctx context.Context, userID string, limit int) ([]FriendRequest, error)
}

// BlockList lists whom a user blocks.
type BlockList interface {
	// BlockedUsers lists the users owner blocks, most recently blocked
	// first, at most limit.
	BlockedUsers(ctx context.Context, ownerUserID string, limit int) ([]string, error)
}

// ProfileChange changes the fields that are set.
type ProfileChange struct {
	Nickname *string
	FaceURL  *string
	Ex       *string
}

// Profiles versions profile changes, so that devices catch up on the
// profiles they show.
type Profiles interface {
	// UpdateUserProfile applies ch and stamps the user with the next value
	// of the server-wide profile counter (even when ch changes nothing:
	// the caller asked). ErrNotFound if the user does not exist.
	UpdateUserProfile(ctx context.Context, userID string, ch ProfileChange) (*User, error)
	// ChangedProfiles returns, among userID itself, its friends and the
	// members of its groups, the users whose ProfileVersion is above
	// since, ascending by ProfileVersion, at most limit.
	ChangedProfiles(ctx context.Context, userID string, since int64, limit int) ([]*User, error)
	// RelatedUserIDs lists userID's friends and the members of its
	// groups, without userID, each once: who sees its profile change.
	RelatedUserIDs(ctx context.Context, userID string) ([]string, error)
}

// MinNicknameSearch is the shortest keyword searched in nicknames: the
// trigram indexes need three characters.
const MinNicknameSearch = 3

// Search finds users for user search.
type Search interface {
	// SearchUsers returns searchable users whose username starts with
	// keyword (lower-case) or, for keywords of MinNicknameSearch
	// characters or more, whose nickname contains it case-insensitively;
	// username matches first, then by UserID; from offset, at most limit.
	SearchUsers(ctx context.Context, keyword string, offset, limit int) ([]*User, error)
	// SetSearchable says whether userID appears in search results.
	SetSearchable(ctx context.Context, userID string, searchable bool) error
}

// Accounts holds what an admin decides about an account.
type Accounts interface {
	// SetDisabled disables or enables userID. ErrNotFound if the user does
	// not exist.
	SetDisabled(ctx context.Context, userID string, disabled bool) error
}

// SocialChange is one step of a user's social version: UserID's
// friendship with, request to or from, or block of OtherUserID changed;
// or, with GroupID, the application of OtherUserID to that group (which
// UserID made or may decide) was made or decided.
type SocialChange struct {
	UserID      string
	OtherUserID string
	GroupID     string
	Version     int64 // set by the store
}

// SocialChangeLog bounds the changes kept per user; a device further
// behind reads the lists whole. docs/limits.md lists it.
const SocialChangeLog = 1000

// SocialVersions counts changes to each user's friends, requests and
// blacklist, and logs what each change was about.
type SocialVersions interface {
	// RecordSocialChanges adds one to the SocialVersion of the UserID of
	// each change (users that do not exist are skipped) and logs the
	// change under that version, keeping the last SocialChangeLog of the
	// user's changes, in one transaction.
	RecordSocialChanges(ctx context.Context, changes ...SocialChange) error
	// SocialChanges returns userID's logged changes above since, ascending
	// by Version, at most limit.
	SocialChanges(ctx context.Context, userID string, since int64, limit int) ([]SocialChange, error)
	// Friend returns userID's friendship with friendID, or ErrNotFound.
	Friend(ctx context.Context, userID, friendID string) (*Friend, error)
}
