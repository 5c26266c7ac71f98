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
	"parley/server"
)

// callEvents returns the call events d got about callID, in order.
func (d *device) callEvents(callID string) []core.Event {
	var out []core.Event
	for _, ev := range d.events {
		switch e := ev.(type) {
		case core.CallInvited:
			if e.Call.CallID == callID {
				out = append(out, ev)
			}
		case core.CallStateChanged:
			if e.Call.CallID == callID {
				out = append(out, ev)
			}
		case core.CallSignalReceived:
			if e.CallID == callID {
				out = append(out, ev)
			}
		}
	}
	return out
}

// waitInvited waits for d's callInvited (to callID, if given) and
// returns the call.
func (d *device) waitInvited(callID ...string) core.Call {
	d.t.Helper()
	var call core.Call
	d.waitFor("callInvited", func() bool {
		for _, ev := range d.events {
			if ci, ok := ev.(core.CallInvited); ok && (len(callID) == 0 || ci.Call.CallID == callID[0]) {
				call = ci.Call
				return true
			}
		}
		return false
	})
	return call
}

// waitCallState waits for a callStateChanged of callID to state.
func (d *device) waitCallState(callID, state string) core.Call {
	d.t.Helper()
	var call core.Call
	d.waitFor("callStateChanged "+state, func() bool {
		for _, ev := range d.callEvents(callID) {
			if cs, ok := ev.(core.CallStateChanged); ok && cs.Call.State == state {
				call = cs.Call
				return true
			}
		}
		return false
	})
	return call
}

// signals returns the signals d got in callID.
func (d *device) signals(callID string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, ev := range d.callEvents(callID) {
		if s, ok := ev.(core.CallSignalReceived); ok {
			out = append(out, string(s.Signal))
		}
	}
	return out
}

func (d *device) waitSignals(callID string, n int) []string {
	d.t.Helper()
	d.waitFor("signals", func() bool {
		k := 0
		for _, ev := range d.callEvents(callID) {
			if _, ok := ev.(core.CallSignalReceived); ok {
				k++
			}
		}
		return k >= n
	})
	return d.signals(callID)
}

// waitCallLine waits for the call's notification message to arrive (as
// newMessages, like any message) and returns its content as stored.
func (d *device) waitCallLine(conv, callID string) protocol.CallContent {
	d.t.Helper()
	isLine := func(m core.Message) bool {
		var cc protocol.CallContent
		return m.ContentType == protocol.ContentNotification && json.Unmarshal(m.Content, &cc) == nil && cc.CallID == callID
	}
	d.waitFor("the call line of "+callID, func() bool {
		for _, m := range d.newMsgs {
			if isLine(m) {
				return true
			}
		}
		return false
	})
	for _, m := range d.history(conv) {
		if isLine(m) {
			var cc protocol.CallContent
			require.NoError(d.t, json.Unmarshal(m.Content, &cc))
			return cc
		}
	}
	d.t.Fatalf("%s: the call line of %s is not stored", d.userID, callID)
	return protocol.CallContent{}
}

func TestCallVideoEndToEnd(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b1 := e.device("bob", deviceOpt{})
	b2 := e.device("bob", deviceOpt{})
	ctx := context.Background()
	conv := protocol.SingleConversationID("alice", "bob")

	call, err := a.c.StartCall(ctx, conv, protocol.CallVideo, nil)
	require.NoError(t, err)
	assert.Equal(t, protocol.CallRinging, call.State)
	assert.Equal(t, []string{"bob"}, call.InviteeUserIDs)
	for _, b := range []*device{b1, b2} {
		got := b.waitInvited()
		assert.Equal(t, call.CallID, got.CallID)
		assert.Equal(t, "alice", got.InviterUserID)
	}
	err = a.c.SendCallSignal(ctx, call.CallID, "bob", json.RawMessage(`{"type":"offer"}`))
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "a signal before the answer")

	require.NoError(t, b1.c.AcceptCall(ctx, call.CallID))
	assert.True(t, b1.waitCallState(call.CallID, protocol.CallAccepted).AnsweredHere)
	b2.waitCallState(call.CallID, protocol.CallAnsweredElsewhere)
	assert.True(t, a.waitCallState(call.CallID, protocol.CallAccepted).AnsweredHere)

	offer := `{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}`
	require.NoError(t, a.c.SendCallSignal(ctx, call.CallID, "bob", json.RawMessage(offer)))
	assert.JSONEq(t, offer, b1.waitSignals(call.CallID, 1)[0])
	require.NoError(t, b1.c.SendCallSignal(ctx, call.CallID, "alice", json.RawMessage(`{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host"}`)))
	assert.JSONEq(t, `{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host"}`, a.waitSignals(call.CallID, 1)[0])
	assert.Empty(t, b2.signals(call.CallID), "the device that did not answer gets no signals")

	// bob's call device loses its connection; what alice sends meanwhile
	// arrives once it is back, and nothing arrives twice.
	b1.dial.cut()
	require.NoError(t, a.c.SendCallSignal(ctx, call.CallID, "bob", json.RawMessage(`"while away"`)))
	b1.waitSignals(call.CallID, 2)
	b1.waitState(core.ConnConnected)
	require.NoError(t, a.c.SendCallSignal(ctx, call.CallID, "bob", json.RawMessage(`"after"`)))
	got := b1.waitSignals(call.CallID, 3)
	assert.Len(t, got, 3)
	assert.Equal(t, `"while away"`, got[1])
	assert.Equal(t, `"after"`, got[2])

	// And the inviter's: bob's answer to it arrives too.
	a.dial.cut()
	require.NoError(t, b1.c.SendCallSignal(ctx, call.CallID, "alice", json.RawMessage(`{"type":"answer"}`)))
	gotA := a.waitSignals(call.CallID, 2)
	assert.JSONEq(t, `{"type":"answer"}`, gotA[1])
	a.waitState(core.ConnConnected)

	require.NoError(t, a.c.HangUpCall(ctx, call.CallID))
	for _, d := range []*device{a, b1, b2} {
		ended := d.waitCallState(call.CallID, protocol.CallEnded)
		assert.Equal(t, "hangUp", ended.Reason)
		cc := d.waitCallLine(conv, call.CallID)
		assert.Equal(t, protocol.CallResultEnded, cc.Result)
		assert.Equal(t, protocol.CallVideo, cc.Media)
	}
	err = a.c.HangUpCall(ctx, call.CallID)
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(err))
}

func TestCallMissedAndRejectedOnOneOfTwoDevices(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.CallTimeout = time.Second })
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b1 := e.device("bob", deviceOpt{})
	b2 := e.device("bob", deviceOpt{})
	ctx := context.Background()
	conv := protocol.SingleConversationID("alice", "bob")

	missed, err := a.c.StartCall(ctx, conv, protocol.CallAudio, nil)
	require.NoError(t, err)
	for _, d := range []*device{a, b1, b2} {
		assert.Equal(t, "timeout", d.waitCallState(missed.CallID, protocol.CallMissed).Reason)
		assert.Equal(t, protocol.CallResultMissed, d.waitCallLine(conv, missed.CallID).Result)
	}

	rejected, err := a.c.StartCall(ctx, conv, protocol.CallVideo, nil)
	require.NoError(t, err)
	b1.waitInvited(rejected.CallID)
	require.NoError(t, b2.c.RejectCall(ctx, rejected.CallID))
	for _, d := range []*device{a, b1, b2} {
		d.waitCallState(rejected.CallID, protocol.CallRejected)
		assert.Equal(t, protocol.CallResultRejected, d.waitCallLine(conv, rejected.CallID).Result)
	}
	err = b1.c.AcceptCall(ctx, rejected.CallID)
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(err))
}

// A server restart ends a call in progress with a state event.
func TestCallEndsWithServerRestart(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	ctx := context.Background()
	call, err := a.c.StartCall(ctx, protocol.SingleConversationID("alice", "bob"), protocol.CallAudio, nil)
	require.NoError(t, err)
	b.waitInvited()
	require.NoError(t, b.c.AcceptCall(ctx, call.CallID))
	a.waitCallState(call.CallID, protocol.CallAccepted)
	e.stop()
	e.restart(nil)
	for _, d := range []*device{a, b} {
		ended := d.waitCallState(call.CallID, protocol.CallEnded)
		assert.Contains(t, []string{"serverRestart", "connectionLost"}, ended.Reason)
	}
}

func TestCallArgumentsRefusedLocally(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	a := e.device("alice", deviceOpt{})
	ctx := context.Background()
	_, err := a.c.StartCall(ctx, "nope", protocol.CallAudio, nil)
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
	_, err = a.c.StartCall(ctx, protocol.SingleConversationID("alice", "bob"), "smell", nil)
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(a.c.AcceptCall(ctx, "")))
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(a.c.SendCallSignal(ctx, "c", "bob", json.RawMessage(`{`))))
	cfg, err := a.c.CallConfig(ctx)
	require.NoError(t, err)
	assert.Equal(t, []core.ICEServer{}, cfg.ICEServers)
}

// A device that could not hear the end of its call (its connection was
// down while the server restarted) learns it once connected again: the
// server no longer knows the call, so it ends here with connectionLost.
func TestCallForgottenByTheServerEndsOnReconnect(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	ctx := context.Background()
	call, err := a.c.StartCall(ctx, protocol.SingleConversationID("alice", "bob"), protocol.CallVideo, nil)
	require.NoError(t, err)
	b.waitInvited()
	require.NoError(t, b.c.AcceptCall(ctx, call.CallID))
	b.waitCallState(call.CallID, protocol.CallAccepted)

	b.dial.down.Store(true)
	b.dial.cut()
	b.waitState(core.ConnDisconnected)
	e.stop()
	e.restart(nil)
	b.dial.down.Store(false)
	ended := b.waitCallState(call.CallID, protocol.CallEnded)
	assert.Equal(t, "connectionLost", ended.Reason)
	assert.Equal(t, "serverRestart", a.waitCallState(call.CallID, protocol.CallEnded).Reason)
}
