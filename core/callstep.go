package core

import (
	"slices"

	"parley/protocol"
)

// The calls' step: what a device announces about calls, as a pure
// function of what it knows of a call and one input. Calls are ephemeral:
// nothing of them is stored (the notification a call leaves is a message
// like any other), so the state is a map in memory, not the Store.

// callLocal is what a device knows of one call.
type callLocal struct {
	Call Call
	// LastSignal is the Seq of the last signal announced: the server sends
	// them all again after a reconnect.
	LastSignal int64
}

func (c *callLocal) final() bool { return callFinal(c.Call.State) }

func callFinal(state string) bool {
	switch state {
	case protocol.CallRejected, protocol.CallCanceled, protocol.CallMissed, protocol.CallEnded:
		return true
	}
	return false
}

// callInputKind says what a callInput is.
type callInputKind int

const (
	// callStarted: this device started Call (no push comes to it).
	callStarted callInputKind = iota
	// callInvitedIn: push.callInvited.
	callInvitedIn
	// callStateIn: push.callState, or the server's answer to call.get.
	callStateIn
	// callSignalIn: push.callSignal.
	callSignalIn
	// callGoneIn: after a reconnect the server no longer knows the call
	// (its node restarted without ending it).
	callGoneIn
)

type callInput struct {
	Kind   callInputKind
	Call   Call
	Signal protocol.CallSignal
	CallID string
}

// stepCallLocal returns what the device knows after in (nil: nothing)
// and the events to emit. An input that repeats what the device knows
// (a re-announcement after a reconnect, a replayed signal) emits nothing.
func stepCallLocal(cur *callLocal, in callInput) (*callLocal, []Event) {
	switch in.Kind {
	case callStarted:
		if cur != nil {
			return cur, nil
		}
		return &callLocal{Call: in.Call}, nil
	case callInvitedIn:
		if cur != nil {
			return cur, nil
		}
		return &callLocal{Call: in.Call}, []Event{CallInvited{Call: in.Call}}
	case callStateIn:
		if cur != nil && (cur.final() || sameCall(cur.Call, in.Call)) {
			return cur, nil
		}
		next := &callLocal{Call: in.Call}
		if cur != nil {
			next.LastSignal = cur.LastSignal
		}
		return next, []Event{CallStateChanged{Call: in.Call}}
	case callSignalIn:
		if cur == nil || cur.final() || in.Signal.Seq <= cur.LastSignal {
			return cur, nil
		}
		next := *cur
		next.LastSignal = in.Signal.Seq
		return &next, []Event{CallSignalReceived{CallID: in.Signal.CallID, FromUserID: in.Signal.FromUserID, Signal: in.Signal.Signal}}
	case callGoneIn:
		if cur == nil || cur.final() {
			return cur, nil
		}
		next := *cur
		next.Call.State, next.Call.Reason = protocol.CallEnded, "connectionLost"
		next.Call.AcceptedUserIDs = slices.Clone(cur.Call.AcceptedUserIDs)
		return &next, []Event{CallStateChanged{Call: next.Call}}
	}
	return cur, nil
}

// sameCall reports whether b tells nothing new about a.
func sameCall(a, b Call) bool {
	return a.State == b.State && a.AnsweredHere == b.AnsweredHere && a.Reason == b.Reason &&
		slices.Equal(a.AcceptedUserIDs, b.AcceptedUserIDs)
}
