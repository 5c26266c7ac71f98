package server

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// A one-to-one call from alice (device "a1") to bob, in each state.
func oneToOne(state string) callRec {
	r := callRec{
		Call: protocol.Call{
			CallID: "c1", ConversationID: "si_alice_bob", Media: protocol.CallVideo,
			InviterUserID: "alice", InviteeUserIDs: []string{"bob"}, State: protocol.CallRinging,
			AcceptedUserIDs: []string{}, StartTime: 1000,
		},
		InviterDevice: "a1",
		Devices:       map[string]string{"alice": "a1"},
	}
	switch state {
	case protocol.CallAccepted:
		r.AcceptedUserIDs = []string{"bob"}
		r.Devices["bob"] = "b1"
		r.AcceptTime = 2000
	case protocol.CallRejected:
		r.Rejected = []string{"bob"}
	}
	r.State = state
	return r
}

var allCallStates = []string{
	protocol.CallRinging, protocol.CallAccepted, protocol.CallRejected,
	protocol.CallCanceled, protocol.CallMissed, protocol.CallEnded,
}

// TestStepCallEveryEventInEveryState runs each event, by each kind of
// actor, in each state of a one-to-one call.
func TestStepCallEveryEventInEveryState(t *testing.T) {
	type want struct {
		state  string // "" : unchanged
		result string
		reason string
		code   protocol.Code // "" : no error
	}
	const (
		invalid = protocol.CodeInvalidArgument
		denied  = protocol.CodePermissionDenied
	)
	over := want{code: invalid}
	outsider := want{code: denied}
	// table[state][event/actor]
	table := map[string]map[string]want{
		protocol.CallRinging: {
			"accept/inviter":     {code: invalid},
			"accept/invitee":     {state: protocol.CallAccepted},
			"reject/inviter":     {code: invalid},
			"reject/invitee":     {state: protocol.CallRejected, result: protocol.CallResultRejected},
			"cancel/inviter":     {state: protocol.CallCanceled, result: protocol.CallResultCanceled},
			"cancel/invitee":     {code: denied},
			"hangUp/inviter":     {state: protocol.CallCanceled, result: protocol.CallResultCanceled},
			"hangUp/invitee":     {state: protocol.CallRejected, result: protocol.CallResultRejected},
			"signal/inviter":     {code: invalid},
			"signal/invitee":     {code: invalid},
			"timeout/":           {state: protocol.CallMissed, result: protocol.CallResultMissed, reason: "timeout"},
			"deviceLost/inviter": {state: protocol.CallCanceled, result: protocol.CallResultCanceled, reason: "connectionLost"},
			"deviceLost/invitee": {},
			"shutdown/":          {state: protocol.CallMissed, result: protocol.CallResultMissed, reason: "serverRestart"},
		},
		protocol.CallAccepted: {
			"accept/inviter":     {code: invalid},
			"accept/invitee":     {code: invalid},
			"reject/inviter":     {code: invalid},
			"reject/invitee":     {code: invalid},
			"cancel/inviter":     {code: invalid},
			"cancel/invitee":     {code: denied},
			"hangUp/inviter":     {state: protocol.CallEnded, result: protocol.CallResultEnded, reason: "hangUp"},
			"hangUp/invitee":     {state: protocol.CallEnded, result: protocol.CallResultEnded, reason: "hangUp"},
			"signal/inviter":     {},
			"signal/invitee":     {},
			"timeout/":           {},
			"deviceLost/inviter": {state: protocol.CallEnded, result: protocol.CallResultEnded, reason: "connectionLost"},
			"deviceLost/invitee": {state: protocol.CallEnded, result: protocol.CallResultEnded, reason: "connectionLost"},
			"shutdown/":          {state: protocol.CallEnded, result: protocol.CallResultEnded, reason: "serverRestart"},
		},
	}
	for _, st := range allCallStates[2:] {
		table[st] = map[string]want{
			"accept/inviter": over, "accept/invitee": over, "reject/inviter": over, "reject/invitee": over,
			"cancel/inviter": over, "cancel/invitee": over, "hangUp/inviter": over, "hangUp/invitee": over,
			"signal/inviter": over, "signal/invitee": over,
			"timeout/": {}, "deviceLost/inviter": {}, "deviceLost/invitee": {}, "shutdown/": {},
		}
	}
	actors := map[string]string{"inviter": "alice", "invitee": "bob", "outsider": "mallory"}
	devices := map[string]string{"alice": "a1", "bob": "b1", "mallory": "m1"}
	peers := map[string]string{"alice": "bob", "bob": "alice", "mallory": "alice"}
	for _, st := range allCallStates {
		for k := evAccept; k <= evShutdown; k++ {
			var who []string
			switch k {
			case evTimeout, evShutdown:
				who = []string{""}
			case evDeviceLost:
				who = []string{"inviter", "invitee"}
			default:
				who = []string{"inviter", "invitee", "outsider"}
			}
			for _, a := range who {
				name := fmt.Sprintf("%s/%s", k, a)
				t.Run(st+"/"+name, func(t *testing.T) {
					w, ok := table[st][name]
					if a == "outsider" {
						w, ok = outsider, true
					}
					require.True(t, ok, "the table has no row for %s in %s", name, st)
					in := oneToOne(st)
					user := actors[a]
					got, err := stepCall(in, callEvent{Kind: k, User: user, Device: devices[user], To: peers[user], Now: 5000})
					assert.Equal(t, oneToOne(st), in, "the step changed its input")
					if w.code != "" {
						require.Error(t, err)
						assert.Equal(t, w.code, protocol.CodeOf(err))
						assert.False(t, got.Changed)
						return
					}
					require.NoError(t, err)
					if w.state == "" {
						assert.False(t, got.Changed)
						assert.Equal(t, in, got.Next)
						return
					}
					assert.True(t, got.Changed)
					assert.Equal(t, w.state, got.Next.State)
					assert.Equal(t, w.result, got.Result)
					assert.Equal(t, w.reason, got.Next.Reason)
					if got.Result != "" {
						assert.Equal(t, int64(5000), got.Next.EndTime)
					}
				})
			}
		}
	}
}

func TestStepCallAcceptRecordsTheDevice(t *testing.T) {
	got, err := stepCall(oneToOne(protocol.CallRinging), callEvent{Kind: evAccept, User: "bob", Device: "b2", Now: 3000})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"alice": "a1", "bob": "b2"}, got.Next.Devices)
	assert.Equal(t, []string{"bob"}, got.Next.AcceptedUserIDs)
	assert.Equal(t, int64(3000), got.Next.AcceptTime)
}

// A group call: alice invites bob and carl.
func groupCall() callRec {
	r := oneToOne(protocol.CallRinging)
	r.ConversationID = "sg_g1"
	r.InviteeUserIDs = []string{"bob", "carl"}
	return r
}

func TestStepCallGroup(t *testing.T) {
	t.Run("one rejection leaves it ringing, the last rejects", func(t *testing.T) {
		s, err := stepCall(groupCall(), callEvent{Kind: evReject, User: "bob", Now: 1})
		require.NoError(t, err)
		assert.Equal(t, protocol.CallRinging, s.Next.State)
		assert.Empty(t, s.Result)
		s, err = stepCall(s.Next, callEvent{Kind: evReject, User: "carl", Now: 2})
		require.NoError(t, err)
		assert.Equal(t, protocol.CallRejected, s.Next.State)
		assert.Equal(t, protocol.CallResultRejected, s.Result)
	})
	t.Run("a second invitee joins; the call ends when two are left no more", func(t *testing.T) {
		s, err := stepCall(groupCall(), callEvent{Kind: evAccept, User: "bob", Device: "b1", Now: 1})
		require.NoError(t, err)
		s, err = stepCall(s.Next, callEvent{Kind: evAccept, User: "carl", Device: "c1", Now: 2})
		require.NoError(t, err)
		assert.Equal(t, int64(1), s.Next.AcceptTime)
		assert.Len(t, s.Next.Devices, 3)
		s, err = stepCall(s.Next, callEvent{Kind: evHangUp, User: "alice", Now: 3})
		require.NoError(t, err)
		assert.Equal(t, protocol.CallAccepted, s.Next.State)
		_, err = stepCall(s.Next, callEvent{Kind: evSignal, User: "bob", To: "alice", Now: 4})
		assert.Equal(t, protocol.CodePermissionDenied, protocol.CodeOf(err), "a signal to someone who left")
		s, err = stepCall(s.Next, callEvent{Kind: evHangUp, User: "bob", Now: 5})
		require.NoError(t, err)
		assert.Equal(t, protocol.CallEnded, s.Next.State)
		assert.Equal(t, protocol.CallResultEnded, s.Result)
	})
	t.Run("an answered call stops ringing at the timeout for those who did not answer", func(t *testing.T) {
		r := groupCall()
		r.InviteeUserIDs = []string{"bob", "carl", "dave"}
		s, err := stepCall(r, callEvent{Kind: evAccept, User: "bob", Device: "b1", Now: 1})
		require.NoError(t, err)
		s, err = stepCall(s.Next, callEvent{Kind: evReject, User: "dave", Now: 2})
		require.NoError(t, err)
		s, err = stepCall(s.Next, callEvent{Kind: evTimeout, Now: 3})
		require.NoError(t, err)
		assert.True(t, s.Changed)
		assert.Empty(t, s.Result, "the call goes on")
		assert.Equal(t, protocol.CallAccepted, s.Next.State)
		assert.Equal(t, []string{"carl"}, s.Next.Missed)
		assert.False(t, s.Next.ringsFor("carl"))
		assert.Equal(t, protocol.CallMissed, s.Next.viewOf("carl").State)
		assert.Equal(t, "timeout", s.Next.viewOf("carl").Reason)
		assert.Equal(t, protocol.CallRejected, s.Next.viewOf("dave").State, "dave's other devices stop ringing")
		assert.Equal(t, protocol.CallAccepted, s.Next.viewOf("bob").State)
		assert.Equal(t, protocol.CallAccepted, s.Next.viewOf("alice").State)
		_, err = stepCall(s.Next, callEvent{Kind: evAccept, User: "carl", Device: "c1", Now: 4})
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "too late to answer")
		again, err := stepCall(s.Next, callEvent{Kind: evReject, User: "carl", Now: 4})
		require.NoError(t, err)
		assert.False(t, again.Changed)
		again, err = stepCall(s.Next, callEvent{Kind: evTimeout, Now: 5})
		require.NoError(t, err)
		assert.False(t, again.Changed, "once")
	})
	t.Run("an invitee still ringing may decline an answered call", func(t *testing.T) {
		s, err := stepCall(groupCall(), callEvent{Kind: evAccept, User: "bob", Device: "b1", Now: 1})
		require.NoError(t, err)
		s, err = stepCall(s.Next, callEvent{Kind: evReject, User: "carl", Now: 2})
		require.NoError(t, err)
		assert.Equal(t, protocol.CallAccepted, s.Next.State)
		assert.Equal(t, []string{"carl"}, s.Next.Rejected)
	})
}

// TestStepCallGroupSignals is the mesh rule of a group call: every two
// participants in the call may signal each other, whoever invited whom;
// nobody else may send or receive a signal.
func TestStepCallGroupSignals(t *testing.T) {
	// alice invites bob, carl, dave, erin and frank; bob, carl and frank
	// answer, frank leaves again, erin declines, dave still rings.
	r := groupCall()
	r.InviteeUserIDs = []string{"bob", "carl", "dave", "erin", "frank"}
	steps := []callEvent{
		{Kind: evAccept, User: "bob", Device: "b1", Now: 1},
		{Kind: evAccept, User: "carl", Device: "c1", Now: 2},
		{Kind: evAccept, User: "frank", Device: "f1", Now: 3},
		{Kind: evHangUp, User: "frank", Now: 4},
		{Kind: evReject, User: "erin", Now: 5},
	}
	for _, ev := range steps {
		s, err := stepCall(r, ev)
		require.NoError(t, err, "%s by %s", ev.Kind, ev.User)
		r = s.Next
	}
	require.Equal(t, protocol.CallAccepted, r.State)
	const (
		ok     = protocol.Code("")
		denied = protocol.CodePermissionDenied
		self   = protocol.CodeInvalidArgument
	)
	in := []string{"alice", "bob", "carl"}
	// Out of the call: still ringing, declined, left, never invited.
	out := []string{"dave", "erin", "frank", "mallory"}
	for _, from := range append(slices.Clone(in), out...) {
		for _, to := range append(slices.Clone(in), out...) {
			want := ok
			switch {
			case !slices.Contains(in, from), !slices.Contains(in, to):
				want = denied
			case from == to:
				want = self
			}
			t.Run(from+"→"+to, func(t *testing.T) {
				s, err := stepCall(r, callEvent{Kind: evSignal, User: from, Device: r.Devices[from], To: to, Now: 6})
				assert.Equal(t, want, protocol.CodeOf(err), "%v", err)
				assert.False(t, s.Changed, "a signal changes nothing in the call")
			})
		}
	}
}
