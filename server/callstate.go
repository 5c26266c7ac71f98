package server

import (
	"slices"

	"parley/protocol"
)

// The call state machine: every decision about a call is stepCall, a pure
// function from the call and one event to the call after it. calls.go
// does the I/O around it (timers, pushes, the notification message).

// callEventKind is what happened to a call.
type callEventKind int

const (
	// evAccept: an invitee answered on Device.
	evAccept callEventKind = iota
	// evReject: an invitee declined.
	evReject
	// evCancel: the inviter gave up before an answer.
	evCancel
	// evHangUp: a participant left (or an invitee declined by hanging up).
	evHangUp
	// evSignal: a participant relays a signal to To.
	evSignal
	// evTimeout: the call rang for -call-timeout.
	evTimeout
	// evDeviceLost: User's call device stayed disconnected past the grace.
	evDeviceLost
	// evShutdown: the node holding the call is shutting down.
	evShutdown
)

var callEventNames = [...]string{"accept", "reject", "cancel", "hangUp", "signal", "timeout", "deviceLost", "shutdown"}

func (k callEventKind) String() string { return callEventNames[k] }

// callEvent is one input of stepCall. User is who acts (empty for
// evTimeout and evShutdown), Device the token ID of their connection.
type callEvent struct {
	Kind   callEventKind
	User   string
	Device string
	To     string
	Now    int64
}

// callRec is a call with what the server keeps beside its public shape.
type callRec struct {
	protocol.Call
	// InviterDevice is the token ID of the device that started the call.
	InviterDevice string
	// Devices maps each participant who is in the call (the inviter, the
	// invitees who accepted) to their device; a participant who left is
	// removed.
	Devices map[string]string
	// Rejected holds the invitees who declined.
	Rejected []string
	// Missed holds the invitees of an answered group call who had neither
	// answered nor declined when it had rung for -call-timeout: it no
	// longer rings for them.
	Missed []string
}

// ringsFor reports whether the call still rings for invitee u: it is not
// over, and u has neither answered, declined nor missed it.
func (r callRec) ringsFor(u string) bool {
	return !r.final() && r.isInvitee(u) && !slices.Contains(r.AcceptedUserIDs, u) &&
		!slices.Contains(r.Rejected, u) && !slices.Contains(r.Missed, u)
}

// viewOf is the call as user u's devices see it: an invitee who declined
// or missed a group call that goes on sees it rejected or missed, so that
// their other devices stop ringing too.
func (r callRec) viewOf(u string) protocol.Call {
	call := r.Call
	if r.final() || !r.isInvitee(u) || slices.Contains(r.AcceptedUserIDs, u) {
		return call
	}
	switch {
	case slices.Contains(r.Rejected, u):
		call.State = protocol.CallRejected
	case slices.Contains(r.Missed, u):
		call.State, call.Reason = protocol.CallMissed, "timeout"
	}
	return call
}

// callStep is stepCall's answer.
type callStep struct {
	// Next is the call after the event (the input when nothing changed).
	Next callRec
	// Changed: Next differs and every participant's devices are told.
	Changed bool
	// Result is set when the call ended: the notification's result.
	Result string
}

func (r callRec) final() bool {
	switch r.State {
	case protocol.CallRejected, protocol.CallCanceled, protocol.CallMissed, protocol.CallEnded:
		return true
	}
	return false
}

func (r callRec) isInvitee(u string) bool { return slices.Contains(r.InviteeUserIDs, u) }

// clone copies the slices and map Next shares with the input, so that a
// step never changes its input.
func (r callRec) clone() callRec {
	r.InviteeUserIDs = slices.Clone(r.InviteeUserIDs)
	r.AcceptedUserIDs = slices.Clone(r.AcceptedUserIDs)
	r.Rejected = slices.Clone(r.Rejected)
	r.Missed = slices.Clone(r.Missed)
	d := make(map[string]string, len(r.Devices))
	for k, v := range r.Devices {
		d[k] = v
	}
	r.Devices = d
	return r
}

func callErr(code protocol.Code, format string, args ...any) error {
	return protocol.Errorf(code, format, args...)
}

// stepCall applies ev to r. A refused request is an error with its code:
// permission_denied for someone outside the call, invalid_argument for a
// request the call's state does not allow. Events of the server itself
// (timeout, deviceLost, shutdown) never fail; where they do not apply
// they change nothing.
func stepCall(r callRec, ev callEvent) (callStep, error) {
	same := callStep{Next: r}
	switch ev.Kind {
	case evTimeout, evShutdown, evDeviceLost:
	default:
		if ev.User != r.InviterUserID && !r.isInvitee(ev.User) {
			return same, callErr(protocol.CodePermissionDenied, "you are not in this call")
		}
		if r.final() {
			return same, callErr(protocol.CodeInvalidArgument, "the call is over (%s)", r.State)
		}
	}
	if r.final() {
		return same, nil
	}
	n := r.clone()
	end := func(state, result, reason string) (callStep, error) {
		n.State, n.Reason, n.EndTime = state, reason, ev.Now
		return callStep{Next: n, Changed: true, Result: result}, nil
	}
	inviter := ev.User == r.InviterUserID
	_, inCall := r.Devices[ev.User]
	answered := slices.Contains(r.AcceptedUserIDs, ev.User)
	declined := slices.Contains(r.Rejected, ev.User)
	missed := slices.Contains(r.Missed, ev.User)

	switch ev.Kind {
	case evAccept:
		switch {
		case inviter:
			return same, callErr(protocol.CodeInvalidArgument, "the inviter cannot accept their own call")
		case answered:
			return same, callErr(protocol.CodeInvalidArgument, "already answered on another device")
		case declined:
			return same, callErr(protocol.CodeInvalidArgument, "you declined this call")
		case missed:
			return same, callErr(protocol.CodeInvalidArgument, "the call stopped ringing for you")
		case ev.Device == "":
			return same, callErr(protocol.CodeInvalidArgument, "no device")
		}
		n.AcceptedUserIDs = append(n.AcceptedUserIDs, ev.User)
		n.Devices[ev.User] = ev.Device
		if n.State == protocol.CallRinging {
			n.State, n.AcceptTime = protocol.CallAccepted, ev.Now
		}
		return callStep{Next: n, Changed: true}, nil

	case evReject:
		switch {
		case inviter:
			return same, callErr(protocol.CodeInvalidArgument, "the inviter cancels or hangs up, not rejects")
		case answered:
			return same, callErr(protocol.CodeInvalidArgument, "already answered: hang up instead")
		case declined, missed:
			return same, nil
		}
		return decline(n, ev, end)

	case evCancel:
		switch {
		case !inviter:
			return same, callErr(protocol.CodePermissionDenied, "only the inviter can cancel")
		case r.State != protocol.CallRinging:
			return same, callErr(protocol.CodeInvalidArgument, "the call was answered: hang up instead")
		}
		return end(protocol.CallCanceled, protocol.CallResultCanceled, "")

	case evHangUp:
		switch {
		case inviter && r.State == protocol.CallRinging:
			return end(protocol.CallCanceled, protocol.CallResultCanceled, "")
		case !inCall && (declined || missed):
			return same, nil
		case !inCall && !answered:
			// An invitee who has not answered: hanging up declines.
			return decline(n, ev, end)
		case !inCall:
			return same, nil // left already
		}
		return leave(n, ev, end, "hangUp")

	case evSignal:
		switch {
		case r.State != protocol.CallAccepted:
			return same, callErr(protocol.CodeInvalidArgument, "the call is not answered yet")
		case !inCall:
			return same, callErr(protocol.CodePermissionDenied, "you are not connected to this call")
		case ev.To == ev.User:
			return same, callErr(protocol.CodeInvalidArgument, "cannot signal yourself")
		}
		if _, ok := r.Devices[ev.To]; !ok {
			return same, callErr(protocol.CodePermissionDenied, "%q is not connected to this call", ev.To)
		}
		return same, nil

	case evTimeout:
		if r.State == protocol.CallRinging {
			return end(protocol.CallMissed, protocol.CallResultMissed, "timeout")
		}
		// An answered group call stops ringing for those who have not
		// answered it.
		for _, u := range r.InviteeUserIDs {
			if r.ringsFor(u) {
				n.Missed = append(n.Missed, u)
			}
		}
		if len(n.Missed) == len(r.Missed) {
			return same, nil
		}
		return callStep{Next: n, Changed: true}, nil

	case evDeviceLost:
		if !inCall {
			return same, nil
		}
		if inviter && r.State == protocol.CallRinging {
			return end(protocol.CallCanceled, protocol.CallResultCanceled, "connectionLost")
		}
		return leave(n, ev, end, "connectionLost")

	case evShutdown:
		if r.State == protocol.CallRinging {
			return end(protocol.CallMissed, protocol.CallResultMissed, "serverRestart")
		}
		return end(protocol.CallEnded, protocol.CallResultEnded, "serverRestart")
	}
	return same, callErr(protocol.CodeInternal, "unknown call event %d", ev.Kind)
}

// decline records ev.User's refusal; the call is rejected once nobody is
// left to answer it (at once in a one-to-one call).
func decline(n callRec, ev callEvent, end func(state, result, reason string) (callStep, error)) (callStep, error) {
	n.Rejected = append(n.Rejected, ev.User)
	pending := 0
	for _, u := range n.InviteeUserIDs {
		if n.ringsFor(u) {
			pending++
		}
	}
	if pending == 0 && n.State == protocol.CallRinging {
		return end(protocol.CallRejected, protocol.CallResultRejected, "")
	}
	return callStep{Next: n, Changed: true}, nil
}

// leave takes ev.User out of an answered call, which ends once fewer than
// two participants are left in it.
func leave(n callRec, ev callEvent, end func(state, result, reason string) (callStep, error), reason string) (callStep, error) {
	delete(n.Devices, ev.User)
	if len(n.Devices) < 2 {
		return end(protocol.CallEnded, protocol.CallResultEnded, reason)
	}
	return callStep{Next: n, Changed: true}, nil
}
