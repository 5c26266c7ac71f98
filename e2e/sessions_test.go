package e2e

import (
	"context"
	"testing"
	"time"

	"parley/core"
	"parley/protocol"
	"parley/server"
)

// With the single-per-platform policy, a new login on the same platform
// ends the older session: its SDK reports kickedOffline and stops
// reconnecting, while the new session and other platforms carry on.
func TestNewLoginOnSamePlatformKicksOlder(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.SessionPolicy = server.SessionsSinglePerPlatform })
	e.user("sam")
	e.user("pat")
	old := e.device("sam", deviceOpt{platform: protocol.PlatformWeb})
	phone := e.device("sam", deviceOpt{platform: protocol.PlatformIOS})
	old.waitState(core.ConnConnected)
	phone.waitState(core.ConnConnected)

	fresh := e.device("sam", deviceOpt{platform: protocol.PlatformWeb})
	old.waitState(core.ConnKickedOffline)
	dials := old.dial.dials.Load()
	// A reconnect loop would dial every 10-100 ms; give it a few rounds.
	time.Sleep(300 * time.Millisecond)
	if got := old.dial.dials.Load(); got != dials {
		t.Errorf("dialed %d more times after kickedOffline", got-dials)
	}
	if _, err := old.c.SetSelfInfo(context.Background(), core.SelfInfoUpdate{}); err == nil {
		t.Error("a kicked-offline client still makes requests")
	}

	// The new web session and the phone both still get messages.
	pat := e.device("pat", deviceOpt{})
	pat.send("sam", "", "hello both")
	fresh.waitNew(1)
	phone.waitNew(1)
	for _, d := range []*device{fresh, phone} {
		for _, st := range d.statesCopy() {
			if st == core.ConnKickedOffline || st == core.ConnTokenExpired {
				t.Errorf("surviving session went %s", st)
			}
		}
	}
}

// A token that expires while connected surfaces as tokenExpired; the app
// gets a fresh token (here from its backend through the admin API) and
// logs in again with it, keeping its local data.
func TestTokenExpiryAndFreshToken(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.TokenTTL = 4 * time.Second })
	e.user("amy")
	e.user("ben")
	amy := e.device("amy", deviceOpt{})
	ben := e.device("ben", deviceOpt{})
	ben.send("amy", "", "before expiry")
	amy.waitNew(1)
	amy.waitState(core.ConnTokenExpired)

	amy.logout()
	again := e.device("amy", deviceOpt{store: amy.store, token: e.token("amy", protocol.PlatformWeb)})
	again.waitState(core.ConnConnected)
	conv := protocol.SingleConversationID("amy", "ben")
	if h := again.history(conv); len(h) != 1 || h[0].Text != "before expiry" {
		t.Fatalf("history after a fresh login: %+v", h)
	}
}
