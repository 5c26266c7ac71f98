package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// The platform's offline signal drops the connection at once and stops
// dialing; its online signal reconnects without waiting out the backoff.
func TestSetOnline(t *testing.T) {
	ctx := context.Background()
	fs := &fakeServer{}
	c, rec := newTestClient(t, fs, mem.New(), func(cfg *core.Config) {
		// A backoff far longer than the test: only the online signal can
		// end it in time.
		cfg.ReconnectMinDelay = time.Hour
		cfg.ReconnectMaxDelay = time.Hour
	})
	require.NoError(t, c.Login(ctx, "me", "tok"))
	rec.waitFor(t, "connected", lastState(core.ConnConnected))

	c.SetOnline(false)
	rec.waitFor(t, "disconnected on the offline signal", lastState(core.ConnDisconnected))
	dials := fs.dials.Load()
	c.SetOnline(false) // no change: nothing happens
	assert.Equal(t, dials, fs.dials.Load(), "no dial while offline")

	c.SetOnline(true)
	rec.waitFor(t, "connected again on the online signal", lastState(core.ConnConnected))
	assert.Equal(t, dials+1, fs.dials.Load())
}

// A send the server would never read fails at once with too_large and
// does not hold up the sends behind it.
func TestOversizedSendFailsAloneAndAtOnce(t *testing.T) {
	ctx := context.Background()
	fs := &fakeServer{}
	var sends int
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		if f.Type == protocol.ReqSend {
			fs.mu.Lock()
			sends++
			fs.mu.Unlock()
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	// A server that reads frames of 8 KiB at most: a 20 KiB text is valid
	// content but can never be read.
	c, rec := newTestClient(t, fs, mem.New(), func(cfg *core.Config) { cfg.MaxFrameBytes = 8 << 10 })
	require.NoError(t, c.Login(ctx, "me", "tok"))
	_, err := c.CreateTextMessage(strings.Repeat("x", 300<<10))
	assert.Equal(t, protocol.CodeTooLarge, protocol.CodeOf(err), "over the content limit: refused before anything is stored")
	big, err := c.CreateTextMessage(strings.Repeat("x", 20<<10))
	require.NoError(t, err)
	small, err := c.CreateTextMessage("hi")
	require.NoError(t, err)

	bigDone := make(chan error, 1)
	go func() { _, err := c.SendMessage(ctx, big, "bob", ""); bigDone <- err }()
	rec.waitFor(t, "the big one stored", hasStatus(big.ClientMsgID, core.StatusSending))
	sent, err := c.SendMessage(ctx, small, "bob", "")
	require.NoError(t, err)
	assert.Equal(t, core.StatusSent, sent.Status)
	err = <-bigDone
	assert.Equal(t, protocol.CodeTooLarge, protocol.CodeOf(err))
	fs.mu.Lock()
	assert.Equal(t, 1, sends, "the oversized send never went on the wire")
	fs.mu.Unlock()
	onlyUnsent(t, c, core.StatusFailed, protocol.CodeTooLarge)
}

// Once the token is refused, a send fails at once with token_expired
// instead of waiting out its timeout.
func TestSendAfterTokenExpiredFailsAtOnce(t *testing.T) {
	ctx := context.Background()
	fs := &fakeServer{dialErr: fmt.Errorf("dial: %w", core.ErrUnauthorized)}
	c, rec := newTestClient(t, fs, mem.New(), func(cfg *core.Config) { cfg.SendTimeout = time.Hour })
	require.NoError(t, c.Login(ctx, "me", "garbage"))
	rec.waitFor(t, "tokenExpired", lastState(core.ConnTokenExpired))
	m, err := c.CreateTextMessage("hi")
	require.NoError(t, err)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = c.SendMessage(sctx, m, "bob", "")
	assert.Equal(t, protocol.CodeTokenExpired, protocol.CodeOf(err))
	_, err = c.UsersInfo(ctx, []string{"bob"})
	assert.Equal(t, protocol.CodeTokenExpired, protocol.CodeOf(err), "a network read rejects with the state's code too")
}

// usersServer answers get-users with a profile for every ID asked.
func usersServer() *fakeServer {
	fs := &fakeServer{}
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		if f.Type == protocol.ReqGetUsers {
			var req protocol.GetUsersReq
			_ = json.Unmarshal(f.Data, &req)
			resp := protocol.UsersResp{}
			for _, id := range req.UserIDs {
				resp.Users = append(resp.Users, protocol.User{UserID: id, Nickname: "Nick " + id})
			}
			return resp, nil, true
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	return fs
}

// Right after login, before the connection is up, a profile that is not
// stored is asked for once connected, not answered as missing.
func TestUsersInfoRightAfterLogin(t *testing.T) {
	ctx := context.Background()
	fs := usersServer()
	fs.dialErr = errors.New("not yet")
	c, _ := newTestClient(t, fs, mem.New(), nil)
	require.NoError(t, c.Login(ctx, "me", "tok"))
	time.AfterFunc(100*time.Millisecond, func() { fs.set(func(s *fakeServer) { s.dialErr = nil }) })
	us, err := c.UsersInfo(ctx, []string{"bob"})
	require.NoError(t, err)
	assert.Equal(t, []core.User{{UserID: "bob", Nickname: "Nick bob"}}, us)
}

// Offline, a profile that is not stored is fetched once connected and
// announced with usersInfoChanged.
func TestUsersInfoOfflineIsAnnouncedLater(t *testing.T) {
	ctx := context.Background()
	fs := usersServer()
	fs.dialErr = errors.New("server away")
	c, rec := newTestClient(t, fs, mem.New(), nil)
	require.NoError(t, c.Login(ctx, "me", "tok"))
	us, err := c.UsersInfo(ctx, []string{"bob"})
	require.NoError(t, err)
	assert.Empty(t, us, "nothing stored, nobody to ask")
	fs.set(func(s *fakeServer) { s.dialErr = nil })
	rec.waitFor(t, "usersInfoChanged", func(evs []core.Event) bool {
		for _, ev := range evs {
			if u, ok := ev.(core.UsersInfoChanged); ok && len(u.Users) == 1 && u.Users[0].Nickname == "Nick bob" {
				return true
			}
		}
		return false
	})
	us, err = c.UsersInfo(ctx, []string{"bob"})
	require.NoError(t, err)
	assert.Equal(t, "Nick bob", us[0].Nickname)
}

func TestWhitespaceTextAndUnknownConversation(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestClient(t, &fakeServer{}, mem.New(), nil)
	require.NoError(t, c.Login(ctx, "me", "tok"))
	for _, text := range []string{"", " ", "\n\t  "} {
		_, err := c.CreateTextMessage(text)
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "%q", text)
		_, err = c.SendMessage(ctx, core.Message{ClientMsgID: "x1", ContentType: protocol.ContentText, Text: text}, "bob", "")
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "%q", text)
	}
	_, err := c.Conversation(ctx, "si_me_nobody")
	require.Error(t, err)
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(err))
	assert.Equal(t, "not_found: no conversation si_me_nobody", err.Error())
}
