package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
	"parley/server"
)

// A frame beyond what the server reads at all closes the connection with
// 1009 and the frame's id: that one message fails with too_large, is never
// sent again, and the messages behind it go out once reconnected.
func TestFrameTooLargeCloseFailsOnlyThatMessage(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.MaxFrameBytes = 1 << 10
		c.MaxFrameReadBytes = 4 << 10
	})
	e.user("alice")
	e.user("bob")
	// The app told the SDK of a larger limit than the server has: the SDK
	// cannot refuse the frame itself, so the server's close must decide.
	a := e.device("alice", deviceOpt{cfg: func(c *core.Config) { c.MaxFrameBytes = 1 << 20 }})
	b := e.device("bob", deviceOpt{})
	a.waitState(core.ConnConnected)
	b.waitState(core.ConnConnected)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	big, err := a.c.CreateTextMessage(strings.Repeat("x", 10<<10))
	require.NoError(t, err)
	_, err = a.c.SendMessage(ctx, big, "bob", "")
	assert.Equal(t, protocol.CodeTooLarge, protocol.CodeOf(err), "the one message fails")

	a.waitState(core.ConnConnected)
	small := a.send("bob", "", "after the big one")
	assert.Equal(t, core.StatusSent, small.Status)
	b.waitNew(1)
	got := b.newMessages()
	require.Len(t, got, 1)
	assert.Equal(t, "after the big one", got[0].Text)
	un, err := a.c.UnsentMessages(ctx, protocol.SingleConversationID("alice", "bob"))
	require.NoError(t, err)
	require.Len(t, un, 1)
	assert.Equal(t, big.ClientMsgID, un[0].ClientMsgID)
	assert.Equal(t, core.StatusFailed, un[0].Status)
	assert.Equal(t, protocol.CodeTooLarge, un[0].ErrorCode)
}
