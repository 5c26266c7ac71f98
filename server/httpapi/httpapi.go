// Package httpapi decodes and validates the JSON bodies of parleyd's HTTP
// API. It holds no state and depends on nothing but package protocol, so
// that its parsing can be fuzzed cheaply (the server package, with its
// SQLite, is too heavy to instrument).
//
// Every error is a *protocol.Error: too_large for an oversized body,
// invalid_argument for anything else.
package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"parley/protocol"
)

// Limits; docs/limits.md lists them.
const (
	// MaxBody bounds one request body.
	MaxBody        = 64 << 10
	MinUsernameLen = 3
	MaxUsernameLen = 32
	MinPasswordLen = 8
	MaxPasswordLen = 72 // bcrypt ignores bytes beyond 72
	MaxNicknameLen = 64 // runes
	MaxFaceURLLen  = 1024
	MaxGroupName   = 128 // runes
)

// Decode reads one JSON value of at most MaxBody bytes from r into v;
// trailing data is an error.
func Decode(r io.Reader, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	if err != nil {
		return protocol.Errorf(protocol.CodeInvalidArgument, "reading body: %v", err)
	}
	if len(b) > MaxBody {
		return protocol.Errorf(protocol.CodeTooLarge, "body exceeds %d bytes", MaxBody)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return protocol.Errorf(protocol.CodeInvalidArgument, "empty body; a JSON object is required")
		}
		return protocol.Errorf(protocol.CodeInvalidArgument, "bad JSON body: %v", err)
	}
	if dec.More() {
		return protocol.Errorf(protocol.CodeInvalidArgument, "bad JSON body: trailing data")
	}
	return nil
}

// ValidUsername: 3 to 32 characters of [a-z0-9._-] (after lower-casing),
// starting with a letter or digit.
func ValidUsername(u string) bool {
	if len(u) < MinUsernameLen || len(u) > MaxUsernameLen {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// FilesPath starts the paths of the server's own files, which a faceURL
// may name without scheme and host.
const FilesPath = "/api/v1/files/"

// CheckNickname checks a nickname's encoding, length and characters.
func CheckNickname(n string) error {
	if !utf8.ValidString(n) || utf8.RuneCountInString(n) > MaxNicknameLen {
		return protocol.Errorf(protocol.CodeInvalidArgument, "nickname must be valid UTF-8 of at most %d characters", MaxNicknameLen)
	}
	if !Displayable(n, false) {
		return protocol.Errorf(protocol.CodeInvalidArgument, "nickname must not contain control or bidirectional formatting characters")
	}
	return nil
}

// Displayable reports whether s, shown to other users, holds no control
// characters (C0, DEL, C1; tab and newline allowed with multiline) and no
// line separators or bidirectional formatting characters, with which a
// name can pose as another ("\u202Eecila" reads "alice").
func Displayable(s string, multiline bool) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		switch {
		case multiline && (r == '\n' || r == '\t'):
			return false
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			return true
		case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			// ALM, LRM, RLM, the embeddings and overrides, the isolates.
			return true
		case r == 0x2028, r == 0x2029:
			return true
		}
		return false
	})
}

// CheckFaceURL checks an avatar URL: empty, an absolute http or https URL
// with a host and no user name or password, or a path of the server's own
// files (FilesPath…); at most MaxFaceURLLen bytes. Anything else
// (javascript:, data:, relative paths) could run or fetch what the user
// never chose when an app shows it.
func CheckFaceURL(u string) error {
	if len(u) > MaxFaceURLLen {
		return protocol.Errorf(protocol.CodeInvalidArgument, "faceURL longer than %d bytes", MaxFaceURLLen)
	}
	if u == "" {
		return nil
	}
	bad := protocol.Errorf(protocol.CodeInvalidArgument, "faceURL must be an http(s) URL or a path under %s", FilesPath)
	if strings.ContainsFunc(u, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) || !utf8.ValidString(u) {
		return bad
	}
	if rest, ok := strings.CutPrefix(u, FilesPath); ok {
		if rest == "" || rest[0] == '/' || strings.Contains(rest, "//") || slices.Contains(strings.Split(strings.SplitN(rest, "?", 2)[0], "/"), "..") {
			return bad
		}
		return nil
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.User != nil || pu.Opaque != "" {
		return bad
	}
	return nil
}

// Platform returns p, or web when p is empty.
func Platform(p string) (string, error) {
	if p == "" {
		return protocol.PlatformWeb, nil
	}
	if !protocol.ValidPlatform(p) {
		// Not echoed: it may be anything.
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "unknown platform; want web, ios, android, desktop or other")
	}
	return p, nil
}

// Register validates a registration and returns the username lower-cased
// and the nickname (the username when none is given).
func Register(req *protocol.RegisterReq) (username, nickname string, err error) {
	username = strings.ToLower(req.Username)
	if !ValidUsername(username) {
		return "", "", protocol.Errorf(protocol.CodeInvalidArgument,
			"username must be %d to %d characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit", MinUsernameLen, MaxUsernameLen)
	}
	if len(req.Password) < MinPasswordLen || len(req.Password) > MaxPasswordLen {
		return "", "", protocol.Errorf(protocol.CodeInvalidArgument, "password must be %d to %d bytes", MinPasswordLen, MaxPasswordLen)
	}
	nickname = strings.TrimSpace(req.Nickname)
	if nickname == "" {
		nickname = username
	}
	if err := CheckNickname(nickname); err != nil {
		return "", "", err
	}
	return username, nickname, nil
}

// Login validates a login and returns its platform.
func Login(req *protocol.LoginReq) (platform string, err error) {
	if platform, err = Platform(req.Platform); err != nil {
		return "", err
	}
	if req.Username == "" || req.Password == "" {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "username and password are required")
	}
	return platform, nil
}

// AdminUser validates POST /api/v1/admin/users and returns the nickname
// (the user ID when none is given).
func AdminUser(req *protocol.AdminCreateUserReq) (nickname string, err error) {
	if !protocol.ValidID(req.UserID) {
		return "", protocol.Errorf(protocol.CodeInvalidArgument,
			"userID must be 1 to %d of A-Z, a-z, 0-9, '-', '.', '@', starting with a letter or digit", protocol.MaxIDLen)
	}
	if err := CheckNickname(req.Nickname); err != nil {
		return "", err
	}
	if err := CheckFaceURL(req.FaceURL); err != nil {
		return "", err
	}
	if req.Nickname == "" {
		return req.UserID, nil
	}
	return req.Nickname, nil
}

// AdminToken validates POST /api/v1/admin/tokens and returns the platform.
func AdminToken(req *protocol.AdminTokenReq) (platform string, err error) {
	if platform, err = Platform(req.Platform); err != nil {
		return "", err
	}
	if !protocol.ValidID(req.UserID) {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	return platform, nil
}

// AdminCreateGroupReq is POST /api/v1/admin/groups: an application's
// backend (or a load tool) creates a group on behalf of its owner.
type AdminCreateGroupReq struct {
	OwnerUserID   string   `json:"ownerUserID"`
	Name          string   `json:"name"`
	FaceURL       string   `json:"faceURL,omitempty"`
	MemberUserIDs []string `json:"memberUserIDs"`
}

// AdminFriendsReq is POST /api/v1/admin/friends: makes two users friends
// without a request.
type AdminFriendsReq struct {
	UserID       string `json:"userID"`
	FriendUserID string `json:"friendUserID"`
}

// AdminGroup validates POST /api/v1/admin/groups like NewGroup does, and
// returns the trimmed name.
func AdminGroup(req *AdminCreateGroupReq, maxMembers int) (name string, err error) {
	if !protocol.ValidID(req.OwnerUserID) {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "invalid ownerUserID")
	}
	return NewGroup(req.Name, req.FaceURL, req.MemberUserIDs, maxMembers)
}

// AdminFriends validates POST /api/v1/admin/friends.
func AdminFriends(req *AdminFriendsReq) error {
	if !protocol.ValidID(req.UserID) || !protocol.ValidID(req.FriendUserID) || req.UserID == req.FriendUserID {
		return protocol.Errorf(protocol.CodeInvalidArgument, "two different valid user IDs are required")
	}
	return nil
}

// NewGroup validates a new group (group.create and the admin route): a
// name of 1 to MaxGroupName characters, a faceURL, and at most maxMembers
// valid member IDs besides the owner. It returns the trimmed name.
func NewGroup(name, faceURL string, members []string, maxMembers int) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxGroupName {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "group name must be 1 to %d characters", MaxGroupName)
	}
	if !Displayable(name, false) {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "group name must not contain control or bidirectional formatting characters")
	}
	if err := CheckFaceURL(faceURL); err != nil {
		return "", err
	}
	if len(members) > maxMembers {
		return "", protocol.Errorf(protocol.CodeInvalidArgument, "at most %d members besides the owner", maxMembers)
	}
	for _, id := range members {
		if !protocol.ValidID(id) {
			// The ID is not echoed: a bad one may be anything.
			return "", protocol.Errorf(protocol.CodeInvalidArgument, "invalid member userID")
		}
	}
	return name, nil
}

// AdminRevokeMessageReq is POST /api/v1/admin/messages/revoke: a message
// deleted for everyone. OperatorUserID is the revokerUserID every device
// shows (default: the sender).
type AdminRevokeMessageReq struct {
	ConversationID string `json:"conversationID"`
	ClientMsgID    string `json:"clientMsgID"`
	OperatorUserID string `json:"operatorUserID,omitempty"`
}

// AdminRevokeMessage validates POST /api/v1/admin/messages/revoke.
func AdminRevokeMessage(req *AdminRevokeMessageReq) error {
	if _, _, _, ok := protocol.ParseConversationID(req.ConversationID); !ok {
		return protocol.Errorf(protocol.CodeInvalidArgument, "malformed conversationID %q", req.ConversationID)
	}
	if req.ClientMsgID == "" || len(req.ClientMsgID) > protocol.MaxClientMsgIDLen {
		return protocol.Errorf(protocol.CodeInvalidArgument, "clientMsgID must be 1 to %d bytes", protocol.MaxClientMsgIDLen)
	}
	if req.OperatorUserID != "" && !protocol.ValidID(req.OperatorUserID) {
		return protocol.Errorf(protocol.CodeInvalidArgument, "invalid operatorUserID")
	}
	return nil
}
