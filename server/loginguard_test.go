package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

// loginFrom posts a login from the loopback address 127.0.0.<n> and
// returns the status and error code ("" on success).
func (e *env) loginFrom(n int, username, password string) (int, protocol.Code, http.Header) {
	e.t.Helper()
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(n))}}).DialContext}
	defer tr.CloseIdleConnections()
	body, _ := json.Marshal(protocol.LoginReq{Username: username, Password: password})
	req, err := http.NewRequest(http.MethodPost, e.hs.URL+"/api/v1/auth/login", bytes.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var eb protocol.ErrorBody
	json.NewDecoder(resp.Body).Decode(&eb)
	return resp.StatusCode, eb.Error.Code, resp.Header
}

// Guesses at one account spread over many addresses are checked only a
// few at a time: after five failures each further one locks the account
// for a doubling time, and logins to it are refused unchecked meanwhile.
func TestLoginLockoutPerAccount(t *testing.T) {
	clock := &atomicTime{}
	now := time.Now()
	clock.set(now)
	e := newEnv(t, func(c *server.Config) { c.Clock = clock.get })
	e.register("victim")
	e.register("bystander")

	checked := 0
	for i := range 50 {
		st, code, hdr := e.loginFrom(10+i%10, "victim", fmt.Sprint("guess-", i))
		switch st {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
			assert.Equal(t, protocol.CodeRateLimited, code)
			assert.NotEmpty(t, hdr.Get("Retry-After"))
		default:
			t.Fatalf("guess %d: status %d", i, st)
		}
	}
	assert.Equal(t, 6, checked, "five free failures, then one that locks")
	// Locked: even the right password waits, from an address never seen.
	st, code, _ := e.loginFrom(30, "victim", "password-victim")
	assert.Equal(t, http.StatusTooManyRequests, st)
	assert.Equal(t, protocol.CodeRateLimited, code)
	// Other accounts are not affected.
	st, _, _ = e.loginFrom(10, "bystander", "password-bystander")
	assert.Equal(t, http.StatusOK, st)

	// The lock doubles: 1 s after the sixth failure, 2 s after the seventh.
	clock.set(now.Add(1100 * time.Millisecond))
	st, _, _ = e.loginFrom(11, "victim", "guess-again")
	require.Equal(t, http.StatusUnauthorized, st)
	clock.set(now.Add(2200 * time.Millisecond))
	st, _, _ = e.loginFrom(30, "victim", "password-victim")
	assert.Equal(t, http.StatusTooManyRequests, st, "the second lock is 2 s")
	clock.set(now.Add(3200 * time.Millisecond))
	st, _, _ = e.loginFrom(30, "victim", "password-victim")
	assert.Equal(t, http.StatusOK, st, "after the lock the owner gets in")
}

// However long the guessing goes on, a lock lasts at most LoginLockMax
// after the last guess, and the owner's addresses are never locked out.
func TestLoginLockoutCannotShutTheOwnerOut(t *testing.T) {
	clock := &atomicTime{}
	now := time.Now()
	clock.set(now)
	e := newEnv(t, func(c *server.Config) {
		c.Clock = clock.get
		c.LoginLockMax = time.Minute
		c.AuthRateBurst = 1000 // the attacker's one address is not what stops it here
	})
	e.register("owner")
	// The owner has logged in from 127.0.0.5 before.
	st, _, _ := e.loginFrom(5, "owner", "password-owner")
	require.Equal(t, http.StatusOK, st)

	// An attacker keeps guessing for an hour, whenever the lock allows.
	at := now
	for range 70 {
		e.loginFrom(20, "owner", "not-it")
		at = at.Add(time.Minute)
		clock.set(at)
	}
	e.loginFrom(20, "owner", "not-it")
	st, _, _ = e.loginFrom(21, "owner", "password-owner")
	assert.Equal(t, http.StatusTooManyRequests, st, "a new address waits")
	// The owner's known address gets in with the right password...
	st, _, _ = e.loginFrom(5, "owner", "password-owner")
	assert.Equal(t, http.StatusOK, st)
	// ... and a wrong one from it is still checked, not a free pass.
	st, _, _ = e.loginFrom(5, "owner", "wrong-password")
	assert.Equal(t, http.StatusUnauthorized, st)

	// The lock never outlasts the cap after the last guess.
	for range 20 {
		e.loginFrom(20, "owner", "not-it")
	}
	clock.set(at.Add(time.Minute + time.Second))
	st, _, _ = e.loginFrom(22, "owner", "password-owner")
	assert.Equal(t, http.StatusOK, st)
}
