package protocol

// The friend lifecycle beyond add and accept (contract §5): refusing,
// deleting, remarks, and the request list in every state.

// Request types.
const (
	// ReqRefuseFriend refuses a pending request to the caller.
	// Data: UserIDReq (the requester). Response: none.
	ReqRefuseFriend = "friend.refuse"
	// ReqDeleteFriend ends a friendship, for both sides.
	// Data: UserIDReq. Response: none.
	ReqDeleteFriend = "friend.delete"
	// ReqSetFriendRemark sets the caller's remark for a friend (seen by the
	// caller only). Data: SetFriendRemarkReq. Response: none.
	ReqSetFriendRemark = "friend.setRemark"
)

// Push types.
const (
	// PushFriendDeleted carries a UserIDReq naming the other side of an
	// ended friendship, to every connection of both users.
	PushFriendDeleted = "push.friendDeleted"
	// PushFriendChanged carries a friend's User with the caller's Remark to
	// every connection of the user who set it.
	PushFriendChanged = "push.friendChanged"
)

// FriendRequestRefused is the state of a request its recipient refused.
const FriendRequestRefused = "refused"

// SetFriendRemarkReq sets the remark for friend UserID ("" clears it).
type SetFriendRemarkReq struct {
	UserID string `json:"userID"`
	Remark string `json:"remark"`
}

// The blacklist (contract §5: addBlack, removeBlack, getBlackList): the
// requests are user.block and user.unblock (types.go).
const (
	// ReqListBlocked lists the users the caller blocks, most recently
	// blocked first. Data: none. Response: UsersResp.
	ReqListBlocked = "user.blockList"
	// PushBlockChanged carries a BlockChanged to every connection of the
	// user who blocked or unblocked.
	PushBlockChanged = "push.blockChanged"
)

// BlockChanged says that the user now blocks UserID (Blocked) or no longer
// does; User is their profile.
type BlockChanged struct {
	UserID  string `json:"userID"`
	Blocked bool   `json:"blocked"`
	User    User   `json:"user"`
}

// Profiles: every change reaches the user's devices, friends and fellow
// group members live (push.userChanged) and after being away
// (user.changed).
const (
	// ReqChangedProfiles lists the profiles of the caller, its friends and
	// fellow group members changed after a cursor.
	// Data: ChangedProfilesReq. Response: ChangedProfilesResp.
	ReqChangedProfiles = "user.changed"
	// PushUserChanged carries a User whose profile changed to every
	// connection of the user, its friends and its fellow group members.
	PushUserChanged = "push.userChanged"
)

// MaxExLen bounds User.Ex.
const MaxExLen = 4096

// ChangedProfilesReq asks for profiles changed after Cursor (0: all that
// ever changed).
type ChangedProfilesReq struct {
	Cursor int64 `json:"cursor"`
	Limit  int   `json:"limit,omitempty"`
}

// ChangedProfilesResp lists changed profiles in the order they changed;
// the client keeps Cursor and, while HasMore, asks again from it.
type ChangedProfilesResp struct {
	Users   []User `json:"users"`
	Cursor  int64  `json:"cursor"`
	HasMore bool   `json:"hasMore"`
}

// User search (contract §5 searchUsers).
const (
	// ReqSearchUsers finds users by username prefix or nickname
	// substring. Data: SearchUsersReq. Response: UsersResp.
	ReqSearchUsers = "user.search"
)

// User search limits.
const (
	MaxSearchKeyword = 64
	MaxSearchCount   = 50
	MaxSearchOffset  = 500
)

// SearchUsersReq asks for up to Count (default 20) matches from Offset.
type SearchUsersReq struct {
	Keyword string `json:"keyword"`
	Offset  int    `json:"offset,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// ReqSocialVersion returns the caller's social version: it changes with
// every change to the caller's friends, friend requests and blacklist, so
// a device reads those lists again only when it moved.
// Data: none. Response: SocialVersionResp.
const ReqSocialVersion = "user.socialVersion"

// SocialVersionResp is the caller's social version.
type SocialVersionResp struct {
	Version int64 `json:"version"`
}

// ReqSocialChanges returns how the caller's friends, friend requests,
// blacklist and group applications changed after version Since: for each
// user a change was about, the rows as they are now (a friendship or block
// that is gone is listed as removed); for each application made or decided
// (the caller's own, or to a group the caller owned or administered then),
// the application as it is now. TooOld says the server no longer logs back to Since: read
// the lists whole. Data: SocialChangesReq. Response: SocialChangesResp.
const ReqSocialChanges = "user.socialChanges"

// MaxSocialChanges is the most changes one user.socialChanges answer covers.
const MaxSocialChanges = 100

// SocialChangesReq asks for the changes after version Since.
type SocialChangesReq struct {
	Since int64 `json:"since"`
}

// SocialChangesResp is one page of changes, as of Version; HasMore asks
// again from Version.
type SocialChangesResp struct {
	Version        int64           `json:"version"`
	TooOld         bool            `json:"tooOld,omitempty"`
	HasMore        bool            `json:"hasMore,omitempty"`
	Friends        []User          `json:"friends,omitempty"`
	RemovedFriends []string        `json:"removedFriends,omitempty"`
	Black          []User          `json:"black,omitempty"`
	RemovedBlack   []string        `json:"removedBlack,omitempty"`
	Requests       []FriendRequest `json:"requests,omitempty"`
	// Applications are the group applications changed, as they are now.
	Applications []GroupApplication `json:"applications,omitempty"`
}
