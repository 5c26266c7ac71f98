package protocol

// Defaults both sides agree on. The server's are configurable; see
// docs/limits.md.
const (
	// DefaultMaxFrameBytes bounds one WebSocket frame (and so one message).
	DefaultMaxFrameBytes = 64 << 10
	// MaxSyncLimit bounds SyncReq.Limit; DefaultSyncLimit applies when 0.
	MaxSyncLimit     = 500
	DefaultSyncLimit = 200
	// MaxPullRanges bounds PullReq.Ranges; MaxPullLimit each range's Limit.
	MaxPullRanges = 50
	MaxPullLimit  = 500
	// MaxGetUsers bounds GetUsersReq.UserIDs.
	MaxGetUsers = 200
	// MaxClientMsgIDLen bounds SendReq.ClientMsgID.
	MaxClientMsgIDLen = 64
	// HeartbeatIntervalMs is how often a client should ping; the server
	// closes a connection silent for three intervals.
	HeartbeatIntervalMs = 25_000
)

// WebSocket query parameters and paths.
const (
	// WSPath is the WebSocket endpoint.
	WSPath = "/ws"
	// WSTokenParam carries the token where headers cannot (browsers);
	// native clients may send Authorization: Bearer instead.
	WSTokenParam = "token"
)
