package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// lastStatus is user's last announced status on d.
func lastStatus(d *device, user string) (core.UserStatus, bool) {
	for i := len(d.events) - 1; i >= 0; i-- {
		if ev, ok := d.events[i].(core.UserStatusChanged); ok && ev.Status.UserID == user {
			return ev.Status, true
		}
	}
	return core.UserStatus{}, false
}

func (d *device) waitStatus(user string, platforms ...string) {
	d.t.Helper()
	d.waitFor(user+" on "+strings.Join(platforms, ","), func() bool {
		st, ok := lastStatus(d, user)
		return ok && st.Online == (len(platforms) > 0) && slices.Equal(st.Platforms, platforms)
	})
}

// TestPresence: the SDK answers the status now, announces each change,
// subscribes again after a reconnect (announcing what changed meanwhile),
// and stops after unsubscribe.
func TestPresence(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carl"} {
		e.user(u)
	}
	ctx := context.Background()
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})

	sts, err := a.c.SubscribeUsersStatus(ctx, []string{"bob", "carl"})
	require.NoError(t, err)
	assert.Equal(t, []core.UserStatus{
		{UserID: "bob", Online: true, Platforms: []string{"web"}},
		{UserID: "carl", Online: false, Platforms: []string{}},
	}, sts)

	c := e.device("carl", deviceOpt{platform: protocol.PlatformDesktop})
	a.waitStatus("carl", "desktop")

	// Away while carl leaves: the new connection subscribes again and
	// tells.
	a.dial.down.Store(true)
	a.dial.cut()
	a.waitState(core.ConnDisconnected)
	c.logout()
	a.dial.down.Store(false)
	a.waitStatus("carl")

	b.logout()
	a.waitStatus("bob")
	require.NoError(t, a.c.UnsubscribeUsersStatus(ctx, []string{"bob"}))
	// bob coming back is not told; carl, still watched, is.
	e.device("bob", deviceOpt{})
	e.device("carl", deviceOpt{})
	a.waitStatus("carl", "web")
	a.mu.Lock()
	st, _ := lastStatus(a, "bob")
	a.mu.Unlock()
	assert.False(t, st.Online, "bob is no longer watched")

	_, err = a.c.SubscribeUsersStatus(ctx, []string{"not valid!"})
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
}
