package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

func TestRefreshToken(t *testing.T) {
	clock := &atomicTime{}
	now := time.Now()
	e := newEnv(t, func(c *server.Config) { c.Clock = clock.get })
	// Minted "7 days minus a window ago": expires a window from now. The
	// window holds the checks before the refresh on a loaded machine.
	const window = 4 * time.Second
	clock.set(now.Add(-7*24*time.Hour + window))
	e.adminUser("bob")
	short := e.adminUser("alice")
	clock.set(now)
	fresh := e.token("alice")
	c := e.dial(short)

	_, exp, ok := protocol.TokenInfo(fresh)
	require.True(t, ok)
	wantErr := func(tok string, code protocol.Code) {
		t.Helper()
		c.wantError(protocol.ReqRefreshToken, protocol.RefreshTokenReq{Token: tok}, code)
	}
	wantErr("", protocol.CodeInvalidArgument)
	wantErr("p1.e30.AAAA", protocol.CodeUnauthenticated)
	wantErr(e.token("bob"), protocol.CodePermissionDenied)
	revoked := e.token("alice")
	st, _ := e.post("/api/v1/auth/logout", revoked, nil)
	require.Equal(t, http.StatusNoContent, st)
	wantErr(revoked, protocol.CodeTokenExpired)

	var resp protocol.RefreshTokenResp
	c.do(protocol.ReqRefreshToken, protocol.RefreshTokenReq{Token: fresh}, &resp)
	assert.Equal(t, exp, resp.ExpiresAt)

	// The old token's expiry passes: the connection stays.
	time.Sleep(time.Until(now.Add(window + 500*time.Millisecond)))
	c.ping()
	// Revoking the old token leaves it too; revoking the new one closes it.
	st, _ = e.post("/api/v1/auth/logout", short, nil)
	require.Equal(t, http.StatusNoContent, st)
	c.ping()
	c.noPush()
	st, _ = e.post("/api/v1/auth/logout", fresh, nil)
	require.Equal(t, http.StatusNoContent, st)
	assert.Equal(t, "token_revoked", decode[protocol.Kicked](t, c.push(protocol.PushKicked)).Reason)
}

// TestTokenExpiryStillCloses: without a refresh, the connection closes at
// its token's expiry, as before.
func TestTokenExpiryStillCloses(t *testing.T) {
	clock := &atomicTime{}
	now := time.Now()
	e := newEnv(t, func(c *server.Config) { c.Clock = clock.get })
	clock.set(now.Add(-7*24*time.Hour + 2*time.Second))
	c := e.dial(e.adminUser("alice"))
	clock.set(now)
	assert.Equal(t, "token_expired", decode[protocol.Kicked](t, c.push(protocol.PushKicked)).Reason)
	c.waitClosed()
}

func TestTokenInfo(t *testing.T) {
	e := newEnv(t)
	tok := e.adminUser("alice")
	uid, exp, ok := protocol.TokenInfo(tok)
	require.True(t, ok)
	assert.Equal(t, "alice", uid)
	assert.InDelta(t, time.Now().Add(7*24*time.Hour).UnixMilli(), exp, float64(time.Minute.Milliseconds()))
	for _, bad := range []string{"", "p1.", "p1.!!.x", "p1.e30.x", "x1.eyJ1IjoiYSIsImUiOjF9.x"} {
		_, _, ok := protocol.TokenInfo(bad)
		assert.False(t, ok, bad)
	}
}

// TestAuthRefresh: POST /api/v1/auth/refresh gives the caller a fresh
// token of their user and platform, later than the one it carries; the
// WebSocket takes it for auth.refreshToken; a disabled account's tokens
// (revoked with it) get none.
func TestAuthRefresh(t *testing.T) {
	clock := &atomicTime{}
	now := time.Now()
	e := newEnv(t, func(c *server.Config) { c.Clock = clock.get })
	clock.set(now.Add(-time.Hour))
	e.adminUser("alice")
	st, body := e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: "alice", Platform: protocol.PlatformIOS})
	require.Equal(t, http.StatusOK, st, "%s", body)
	var minted protocol.TokenResp
	require.NoError(t, json.Unmarshal(body, &minted))
	old := minted.Token
	clock.set(now)
	c := e.dial(old)

	st, body = e.post("/api/v1/auth/refresh", old, nil)
	require.Equal(t, http.StatusOK, st, "%s", body)
	var resp protocol.AuthResp
	require.NoError(t, json.Unmarshal(body, &resp))
	assert.Equal(t, "alice", resp.UserID)
	uid, exp, ok := protocol.TokenInfo(resp.Token)
	require.True(t, ok)
	assert.Equal(t, "alice", uid)
	_, oldExp, _ := protocol.TokenInfo(old)
	assert.Equal(t, oldExp+time.Hour.Milliseconds(), exp, "valid for the token lifetime from now")
	assert.Equal(t, exp, resp.ExpiresAt)
	var rr protocol.RefreshTokenResp
	c.do(protocol.ReqRefreshToken, protocol.RefreshTokenReq{Token: resp.Token}, &rr)
	assert.Equal(t, exp, rr.ExpiresAt)
	e.dial(resp.Token).ping()

	st, _ = e.post("/api/v1/admin/users/disable", adminSecret, server.AdminDisableUserReq{UserID: "alice", Disabled: true})
	require.Equal(t, http.StatusNoContent, st)
	st, body = e.post("/api/v1/auth/refresh", resp.Token, nil)
	wantHTTPError(t, st, body, http.StatusUnauthorized, protocol.CodeTokenExpired)
}
