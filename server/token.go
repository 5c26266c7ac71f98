package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"parley/protocol"
)

// claims is what a token carries. Short JSON names keep tokens short,
// since browsers put them in the WebSocket URL.
type claims struct {
	UserID     string `json:"u"`
	Platform   string `json:"p"`
	ID         string `json:"i"` // unique per token, for revoking one
	Generation int64  `json:"g"` // must equal the user's token generation
	IssuedAt   int64  `json:"t"` // Unix ms
	ExpiresAt  int64  `json:"e"` // Unix ms
}

const tokenPrefix = "p1."

// tokenSigner mints and checks HMAC-SHA256 signed tokens:
// "p1." + base64url(JSON claims) + "." + base64url(MAC).
type tokenSigner struct {
	key []byte
}

func (s *tokenSigner) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(tokenPrefix + payload))
	return h.Sum(nil)
}

func (s *tokenSigner) sign(c claims) string {
	body, _ := json.Marshal(c) // cannot fail: strings and ints
	payload := base64.RawURLEncoding.EncodeToString(body)
	return tokenPrefix + payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// parse checks the signature and expiry. Revocation is checked by the caller
// against the store.
func (s *tokenSigner) parse(tok string, now time.Time) (*claims, error) {
	bad := protocol.Errorf(protocol.CodeUnauthenticated, "invalid token")
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return nil, bad
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, bad
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, s.mac(payload)) {
		return nil, bad
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, bad
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil || c.UserID == "" || c.ID == "" {
		return nil, bad
	}
	if now.UnixMilli() >= c.ExpiresAt {
		return nil, protocol.Errorf(protocol.CodeTokenExpired, "token expired")
	}
	return &c, nil
}

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// randomID returns prefix followed by n random bytes in lower-case base32,
// which satisfies protocol.ValidID when prefix is a letter.
func randomID(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics on broken systems)
	return prefix + lowerBase32.EncodeToString(b)
}
