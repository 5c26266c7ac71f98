package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

// TestClusterCall: a call started on node 1 is answered on node 2, its
// signals cross both ways, a device reconnecting to node 2 gets the
// call's state and signals again, and the call ends with a state event
// when node 1 shuts down.
func TestClusterCall(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2, func(c *server.Config) { c.PresenceHeartbeat = 200 * time.Millisecond })
	n1, n2 := nodes[0], nodes[1]
	a := n1.dial(n1.adminUser("alice"))
	tokB1 := n2.adminUser("bob")
	b1 := n2.dial(tokB1)           // bob's device that answers, on node 2
	b2 := n1.dial(n1.token("bob")) // his other device, on node 1
	dm := protocol.SingleConversationID("alice", "bob")

	var call protocol.Call
	a.do(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: dm, Media: protocol.CallVideo}, &call)
	for _, b := range []*client{b1, b2} {
		inv := decode[protocol.Call](t, b.callPush(protocol.PushCallInvited))
		assert.Equal(t, call.CallID, inv.CallID)
	}
	id := protocol.CallIDReq{CallID: call.CallID}
	sig := json.RawMessage(`{"type":"offer","sdp":"v=0"}`)
	b1.wantError(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "alice", Signal: sig}, protocol.CodeInvalidArgument)

	// Accepted through node 2: node 1 holds the call and tells everyone.
	var acc protocol.Call
	b1.do(protocol.ReqCallAccept, id, &acc)
	assert.Equal(t, protocol.CallAccepted, acc.State)
	assert.True(t, acc.AnsweredHere)
	assert.True(t, b1.callState().AnsweredHere)
	assert.Equal(t, protocol.CallAccepted, a.callState().State)
	assert.Equal(t, protocol.CallAnsweredElsewhere, b2.callState().State)
	b2.wantError(protocol.ReqCallAccept, id, protocol.CodeInvalidArgument)

	// Signals cross both ways, unchanged.
	a.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: sig}, nil)
	got := decode[protocol.CallSignal](t, b1.callPush(protocol.PushCallSignal))
	assert.Equal(t, "alice", got.FromUserID)
	assert.JSONEq(t, string(sig), string(got.Signal))
	answer := json.RawMessage(`{"type":"answer","sdp":"v=0 b"}`)
	b1.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "alice", Signal: answer}, nil)
	assert.JSONEq(t, string(answer), string(decode[protocol.CallSignal](t, a.callPush(protocol.PushCallSignal)).Signal))

	// Bob's answering device reconnects to node 2: the call's state and
	// the signal relayed to it come again, from node 1.
	b1.ws.Close()
	b1 = n2.dial(tokB1)
	back := b1.callState()
	assert.Equal(t, protocol.CallAccepted, back.State)
	assert.True(t, back.AnsweredHere)
	again := decode[protocol.CallSignal](t, b1.callPush(protocol.PushCallSignal))
	assert.Equal(t, int64(1), again.Seq)
	var viaN2 protocol.Call
	b1.do(protocol.ReqCallGet, id, &viaN2)
	assert.True(t, viaN2.AnsweredHere)
	assert.Equal(t, protocol.CallAccepted, viaN2.State)

	// Node 1 restarts: the call ends, and bob on node 2 is told.
	n1.shutdown()
	end := b1.callState()
	assert.Equal(t, protocol.CallEnded, end.State)
	assert.Equal(t, "serverRestart", end.Reason)
	b1.wantError(protocol.ReqCallHangUp, id, protocol.CodeNotFound)
}

// TestClusterCallRingTimeout: the call's node ends an unanswered call as
// missed after the timeout, for an invitee on the other node too.
func TestClusterCallRingTimeout(t *testing.T) {
	t.Parallel()
	nodes := newCluster(t, 2, func(c *server.Config) { c.CallTimeout = 500 * time.Millisecond })
	n1, n2 := nodes[0], nodes[1]
	a := n1.dial(n1.adminUser("alice"))
	b := n2.dial(n2.adminUser("bob"))
	var call protocol.Call
	a.do(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: protocol.SingleConversationID("alice", "bob"), Media: protocol.CallAudio}, &call)
	b.callPush(protocol.PushCallInvited)
	st := b.callState()
	assert.Equal(t, protocol.CallMissed, st.State)
	assert.Equal(t, "timeout", st.Reason)
	_, cc := b.callNotification()
	assert.Equal(t, protocol.CallResultMissed, cc.Result)
}

// TestClusterCallNodeLost: when the call's node stops being heard without
// ending its calls (here cut off from NATS), the other node ends the call
// for its devices within three heartbeats, and stores its notification.
func TestClusterCallNodeLost(t *testing.T) {
	t.Parallel()
	nodes, p := newClusterCutOff(t, func(c *server.Config) { c.PresenceHeartbeat = 200 * time.Millisecond })
	// The call is held by the node behind the proxy.
	_, b, call := acceptedCall(t, nodes[1], nodes[0])

	p.SetDown(true)
	st := b.callState()
	assert.Equal(t, protocol.CallEnded, st.State)
	assert.Equal(t, "serverRestart", st.Reason)
	_, cc := b.callNotification()
	assert.Equal(t, protocol.CallResultEnded, cc.Result)
	var got protocol.Call
	b.do(protocol.ReqCallGet, protocol.CallIDReq{CallID: call.CallID}, &got)
	assert.Equal(t, protocol.CallEnded, got.State, "how it ended is known on the node that ended it")
	p.SetDown(false)
}

// TestClusterCallDeviceNodeLost: when the node holding the answering
// device is lost, the call's node counts the device as disconnected: the
// call ends after the reconnect grace unless it comes back.
func TestClusterCallDeviceNodeLost(t *testing.T) {
	t.Parallel()
	nodes, p := newClusterCutOff(t, func(c *server.Config) {
		c.PresenceHeartbeat = 200 * time.Millisecond
		c.CallReconnectGrace = 300 * time.Millisecond
	})
	a, _, _ := acceptedCall(t, nodes[0], nodes[1])

	p.SetDown(true)
	st := a.callState()
	assert.Equal(t, protocol.CallEnded, st.State)
	assert.Equal(t, "connectionLost", st.Reason)
	p.SetDown(false)
}

// acceptedCall has alice on node from call bob on node to, who accepts.
func acceptedCall(t *testing.T, from, to *env) (a, b *client, call protocol.Call) {
	t.Helper()
	a = from.dial(from.adminUser("alice"))
	b = to.dial(to.adminUser("bob"))
	a.do(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: protocol.SingleConversationID("alice", "bob"), Media: protocol.CallAudio}, &call)
	b.callPush(protocol.PushCallInvited)
	b.do(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, nil)
	require.Equal(t, protocol.CallAccepted, a.callState().State)
	require.Equal(t, protocol.CallAccepted, b.callState().State)
	return a, b, call
}
