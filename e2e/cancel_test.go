package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
)

// sendAsync starts SendMessage of m from d to bob and returns where its
// result goes.
func sendAsync(d *device, m core.Message) chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_, err := d.c.SendMessage(ctx, m, "bob", "")
		done <- err
	}()
	return done
}

// onSend makes fn see the writes of the send frame of message id on d's
// connections: it may cut the connection as dialer.onWrite does.
func onSend(d *device, id string, fn func() (cutBefore, cutAfter bool)) {
	d.dial.mu.Lock()
	defer d.dial.mu.Unlock()
	d.dial.onWrite = func(p []byte) (bool, bool) {
		if isSend(p, id) {
			return fn()
		}
		return false, false
	}
}

// isSend reports whether frame p is the send of message id.
func isSend(p []byte, id string) bool {
	var f protocol.Frame
	var req protocol.SendReq
	return json.Unmarshal(p, &f) == nil && f.Type == protocol.ReqSend &&
		json.Unmarshal(f.Data, &req) == nil && req.ClientMsgID == id
}

// A cancel (deleteUnsentMessage) racing its message's send has one
// outcome: once the send frame is being written the message is sent and
// stays, and the cancel is refused; before it, the cancel wins and the
// server never sees the message.
func TestCancelRacingTheSend(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	ctx := context.Background()
	conv := protocol.SingleConversationID("alice", "bob")

	t.Run("while its frame is written", func(t *testing.T) {
		writing, release := make(chan struct{}), make(chan struct{})
		m, err := a.c.CreateTextMessage("racing the cancel")
		require.NoError(t, err)
		onSend(a, m.ClientMsgID, func() (bool, bool) {
			close(writing)
			<-release
			return false, false
		})
		done := sendAsync(a, m)
		<-writing
		err = a.c.DeleteUnsentMessage(ctx, "", m.ClientMsgID)
		close(release)
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "the cancel comes too late: %v", err)
		require.NoError(t, <-done, "the send goes through")
		b.waitFor("the raced message", func() bool { return hasMsg(b.newMsgs, m.ClientMsgID) })
		h := a.history(conv)
		assert.True(t, hasMsg(h, m.ClientMsgID), "alice keeps it")
	})

	t.Run("after a cut left its answer unknown, across a reload", func(t *testing.T) {
		st := a.store
		m, err := a.c.CreateTextMessage("the answer was lost")
		require.NoError(t, err)
		onSend(a, m.ClientMsgID, func() (bool, bool) {
			a.dial.down.Store(true)
			return false, true
		})
		sendAsync(a, m) // the page goes away before its answer
		b.waitFor("the message parleyd stored", func() bool { return hasMsg(b.newMsgs, m.ClientMsgID) })
		err = a.c.DeleteUnsentMessage(ctx, "", m.ClientMsgID)
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "parleyd holds it: %v", err)

		// The attempt without an answer is stored with the entry, so the
		// next session knows too.
		require.Eventually(t, func() bool {
			es, err := st.Reopen().Outbox(ctx)
			return err == nil && len(es) == 1 && es[0].LastError == string(protocol.CodeNetwork)
		}, waitTimeout, 5*time.Millisecond)
		a.logout()
		a2 := e.device("alice", deviceOpt{store: st, down: true})
		err = a2.c.DeleteUnsentMessage(ctx, "", m.ClientMsgID)
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "after a reload too: %v", err)
		a2.dial.down.Store(false)
		a2.waitOutboxEmpty()
		assert.True(t, hasMsg(a2.history(conv), m.ClientMsgID), "alice keeps it")
	})
}

// Canceled before its frame is written, a message never reaches the
// server: the message sent after it arrives alone.
func TestCancelBeforeTheSend(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	b := e.device("bob", deviceOpt{})
	a := e.device("alice", deviceOpt{down: true})
	ctx := context.Background()
	m, err := a.c.CreateTextMessage("never")
	require.NoError(t, err)
	done := sendAsync(a, m)
	require.Eventually(t, func() bool { return a.outboxLen() == 1 }, waitTimeout, 5*time.Millisecond)
	require.NoError(t, a.c.DeleteUnsentMessage(ctx, "", m.ClientMsgID))
	assert.Equal(t, protocol.CodeCanceled, protocol.CodeOf(<-done))
	a.dial.down.Store(false)
	next, err := a.c.CreateTextMessage("after")
	require.NoError(t, err)
	require.NoError(t, <-sendAsync(a, next))
	b.waitFor("the next message", func() bool { return hasMsg(b.newMsgs, next.ClientMsgID) })
	assert.False(t, hasMsg(b.newMessages(), m.ClientMsgID), "the canceled one never went")
}

func hasMsg(ms []core.Message, id string) bool {
	for _, m := range ms {
		if m.ClientMsgID == id {
			return true
		}
	}
	return false
}
