package protocol

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// ReqRefreshToken swaps the connection's token for a fresh one of the same
// user, without reconnecting: the connection then lives until the new
// token's expiry, and the old token's revocation no longer closes it.
// Data: RefreshTokenReq. Response: RefreshTokenResp.
const ReqRefreshToken = "auth.refreshToken"

// RefreshTokenReq carries the new token.
type RefreshTokenReq struct {
	Token string `json:"token"`
}

// RefreshTokenResp answers ReqRefreshToken.
type RefreshTokenResp struct {
	// ExpiresAt is the new token's expiry, Unix ms.
	ExpiresAt int64 `json:"expiresAt"`
}

// TokenInfo reads what a Parley token says about itself: its user and its
// expiry (Unix ms). It does not check the signature, which only the server
// can: the SDK uses it to know when to ask the app for a fresh token. A
// token is "p1." + base64url(JSON claims, with "u" the user ID and "e"
// the expiry) + "." + base64url(signature).
func TokenInfo(token string) (userID string, expiresAt int64, ok bool) {
	rest, found := strings.CutPrefix(token, "p1.")
	if !found {
		return "", 0, false
	}
	payload, _, found := strings.Cut(rest, ".")
	if !found {
		return "", 0, false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", 0, false
	}
	var c struct {
		U string `json:"u"`
		E int64  `json:"e"`
	}
	if err := json.Unmarshal(body, &c); err != nil || c.U == "" || c.E <= 0 {
		return "", 0, false
	}
	return c.U, c.E, true
}
