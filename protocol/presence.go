package protocol

// Presence (contract §5: subscribeUsersStatus, userStatusChanged): who is
// online, told only to the connections that asked, across every node.

// Request types.
const (
	// ReqSubscribeStatus starts watching users' online status on this
	// connection. Data: GetUsersReq. Response: UserStatusesResp, one entry
	// per requested user in request order; then PushUserStatus on every
	// change, until unsubscribed or the connection closes.
	ReqSubscribeStatus = "user.subscribeStatus"
	// ReqUnsubscribeStatus stops watching. Data: GetUsersReq. Response: none.
	ReqUnsubscribeStatus = "user.unsubscribeStatus"
	// PushUserStatus carries a UserStatus to the connections watching it.
	PushUserStatus = "push.userStatus"
)

// MaxStatusSubscriptions bounds the users one connection watches at once.
const MaxStatusSubscriptions = 1000

// UserStatus is whether a user has a connection on any node, and the
// platforms of those connections (sorted, each once; empty when offline).
type UserStatus struct {
	UserID    string   `json:"userID"`
	Online    bool     `json:"online"`
	Platforms []string `json:"platforms"`
}

// UserStatusesResp answers ReqSubscribeStatus.
type UserStatusesResp struct {
	Statuses []UserStatus `json:"statuses"`
}
