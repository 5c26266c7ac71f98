package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// statuses lists the messageStatusChanged events of one message, in order.
func statuses(evs []core.Event, clientMsgID string) []core.MessageStatus {
	var out []core.MessageStatus
	for _, ev := range evs {
		if s, ok := ev.(core.MessageStatusChanged); ok && s.Message.ClientMsgID == clientMsgID {
			out = append(out, s.Message.Status)
		}
	}
	return out
}

func TestMessageStatusChangedSendingThenSent(t *testing.T) {
	fs := &fakeServer{}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	ctx := context.Background()
	require.NoError(t, c.Login(ctx, "me", "tok"))
	m, err := c.CreateTextMessage("hi")
	require.NoError(t, err)
	sent, err := c.SendMessage(ctx, m, "bob", "")
	require.NoError(t, err)
	c.WaitEvents()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, []core.MessageStatus{core.StatusSending, core.StatusSent}, statuses(rec.events, m.ClientMsgID))
	for _, ev := range rec.events {
		if s, ok := ev.(core.MessageStatusChanged); ok && s.Message.Status == core.StatusSent {
			assert.Equal(t, sent.Seq, s.Message.Seq, "the sent event carries the stored message")
		}
	}
}

func TestMessageStatusChangedFailedOncePerAttempt(t *testing.T) {
	fs := &fakeServer{dialErr: errors.New("server away")}
	c, rec := newTestClient(t, fs, mem.New(), func(cfg *core.Config) { cfg.SendTimeout = 50 * time.Millisecond })
	ctx := context.Background()
	require.NoError(t, c.Login(ctx, "me", "tok"))
	m, err := c.CreateTextMessage("hi")
	require.NoError(t, err)
	_, err = c.SendMessage(ctx, m, "bob", "")
	require.Equal(t, protocol.CodeTimeout, protocol.CodeOf(err))
	fs.set(func(s *fakeServer) { s.dialErr = nil })
	_, err = c.SendMessage(ctx, m, "bob", "")
	require.NoError(t, err)
	c.WaitEvents()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, []core.MessageStatus{core.StatusSending, core.StatusFailed, core.StatusSending, core.StatusSent},
		statuses(rec.events, m.ClientMsgID))
}

// onlyUnsent checks that the conversation with bob holds exactly one
// unsent message, with the given status and error code.
func onlyUnsent(t *testing.T, c *core.Client, status core.MessageStatus, code protocol.Code) {
	t.Helper()
	un, err := c.UnsentMessages(context.Background(), protocol.SingleConversationID("me", "bob"))
	require.NoError(t, err)
	require.Len(t, un, 1)
	assert.Equal(t, status, un[0].Status)
	assert.Equal(t, code, un[0].ErrorCode)
}
