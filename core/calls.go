package core

// The calls module (contract §9): signaling for WebRTC calls through the
// server. The media never passes through the SDK.

import (
	"context"
	"encoding/json"
	"sync"

	"parley/protocol"
)

// Call is a call as the app sees it. State is one of ringing, accepted,
// rejected, canceled, missed, ended, or answeredElsewhere on an
// invitee's device that did not answer. AnsweredHere is set on the device
// in the call (the one that answered, the inviter's that started it).
type Call struct {
	CallID          string   `json:"callID"`
	ConversationID  string   `json:"conversationID"`
	Media           string   `json:"media"`
	InviterUserID   string   `json:"inviterUserID"`
	InviteeUserIDs  []string `json:"inviteeUserIDs"`
	State           string   `json:"state"`
	AcceptedUserIDs []string `json:"acceptedUserIDs"`
	// Reason says why an ended call ended: hangUp, timeout,
	// connectionLost or serverRestart.
	Reason       string `json:"reason"`
	StartTime    int64  `json:"startTime"`
	AcceptTime   int64  `json:"acceptTime"`
	EndTime      int64  `json:"endTime"`
	AnsweredHere bool   `json:"answeredHere"`
}

// ICEServer is one RTCIceServer: URLs is a string or a list of them.
type ICEServer struct {
	URLs       any    `json:"urls"`
	Username   string `json:"username,omitempty"`
	Credential string `json:"credential,omitempty"`
}

// CallConfig is what RTCPeerConnection needs from the server.
type CallConfig struct {
	ICEServers []ICEServer `json:"iceServers"`
}

// CallInvited: a call rings on this device.
type CallInvited struct{ Call Call }

// CallStateChanged: a call this device knows changed state.
type CallStateChanged struct{ Call Call }

// CallSignalReceived: a signal relayed from the other side of a call,
// exactly as it was sent.
type CallSignalReceived struct {
	CallID     string          `json:"callID"`
	FromUserID string          `json:"fromUserID"`
	Signal     json.RawMessage `json:"signal"`
}

// EventName implements Event.
func (CallInvited) EventName() string { return "callInvited" }

// EventPayload implements Event: Call.
func (e CallInvited) EventPayload() any { return e.Call }

// EventName implements Event.
func (CallStateChanged) EventName() string { return "callStateChanged" }

// EventPayload implements Event: Call.
func (e CallStateChanged) EventPayload() any { return e.Call }

// EventName implements Event.
func (CallSignalReceived) EventName() string { return "callSignal" }

// EventPayload implements Event: {callID, fromUserID, signal}.
func (e CallSignalReceived) EventPayload() any { return e }

// maxFinishedCalls bounds the ended calls a session remembers (to drop
// their repeated pushes).
const maxFinishedCalls = 64

// callBook is what a session knows of calls; every change goes through
// stepCallLocal.
type callBook struct {
	mu       sync.Mutex
	calls    map[string]*callLocal
	finished []string // ended calls, oldest first
}

// step applies in to the call it is about and emits its events, in order.
func (s *session) stepCall(id string, in callInput) {
	b := &s.calls
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.calls == nil {
		b.calls = make(map[string]*callLocal)
	}
	cur := b.calls[id]
	next, evs := stepCallLocal(cur, in)
	if next != nil {
		b.calls[id] = next
		if next.final() && (cur == nil || !cur.final()) {
			b.finished = append(b.finished, id)
			if len(b.finished) > maxFinishedCalls {
				delete(b.calls, b.finished[0])
				b.finished = b.finished[1:]
			}
		}
	}
	// Under b.mu, so that the events of one call keep their order.
	for _, ev := range evs {
		s.c.events.emit(ev)
	}
}

// activeCalls lists the calls in progress.
func (s *session) activeCalls() []string {
	b := &s.calls
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for id, c := range b.calls {
		if !c.final() {
			ids = append(ids, id)
		}
	}
	return ids
}

// recheckCalls asks, after a reconnect, about every call in progress: the
// server still has it (its state comes back), or it ended while the
// device could not hear it (its node restarted), which ends it here.
func (s *session) recheckCalls(w *wire) {
	for _, id := range s.activeCalls() {
		var pc protocol.Call
		err := w.call(w.ctx, protocol.ReqCallGet, protocol.CallIDReq{CallID: id}, &pc)
		switch {
		case err == nil:
			s.stepCall(id, callInput{Kind: callStateIn, Call: callFromProto(pc)})
		case protocol.CodeOf(err) == protocol.CodeNotFound:
			s.stepCall(id, callInput{Kind: callGoneIn, CallID: id})
		default:
			return // the connection went; the next one asks again
		}
	}
}

// applyCallPush handles the call pushes.
func (s *session) applyCallPush(f *protocol.Frame) error {
	switch f.Type {
	case protocol.PushCallInvited, protocol.PushCallState:
		var pc protocol.Call
		if err := protocol.DecodeData(f.Data, &pc); err != nil {
			return err
		}
		kind := callStateIn
		if f.Type == protocol.PushCallInvited {
			kind = callInvitedIn
		}
		s.stepCall(pc.CallID, callInput{Kind: kind, Call: callFromProto(pc)})
	case protocol.PushCallSignal:
		var sig protocol.CallSignal
		if err := protocol.DecodeData(f.Data, &sig); err != nil {
			return err
		}
		s.stepCall(sig.CallID, callInput{Kind: callSignalIn, Signal: sig})
	}
	return nil
}

func callFromProto(p protocol.Call) Call {
	c := Call{
		CallID: p.CallID, ConversationID: p.ConversationID, Media: p.Media,
		InviterUserID: p.InviterUserID, InviteeUserIDs: p.InviteeUserIDs, State: p.State,
		AcceptedUserIDs: p.AcceptedUserIDs, Reason: p.Reason, StartTime: p.StartTime,
		AcceptTime: p.AcceptTime, EndTime: p.EndTime, AnsweredHere: p.AnsweredHere,
	}
	if c.InviteeUserIDs == nil {
		c.InviteeUserIDs = []string{}
	}
	if c.AcceptedUserIDs == nil {
		c.AcceptedUserIDs = []string{}
	}
	return c
}

// StartCall invites the other members of conversationID (the peer of a
// one-to-one conversation, or inviteeUserIDs of a group) to a call with
// media "audio" or "video". Every device of each invitee rings.
func (c *Client) StartCall(ctx context.Context, conversationID, media string, inviteeUserIDs []string) (Call, error) {
	s, err := c.session()
	if err != nil {
		return Call{}, err
	}
	if media != protocol.CallAudio && media != protocol.CallVideo {
		return Call{}, errInvalid(`media must be "audio" or "video"`)
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return Call{}, errInvalid("invalid conversationID")
	}
	if len(inviteeUserIDs) > protocol.MaxCallInvitees {
		return Call{}, errInvalid("too many invitees")
	}
	var pc protocol.Call
	if err := s.call(ctx, protocol.ReqCallStart, protocol.CallStartReq{ConversationID: conversationID, Media: media, InviteeUserIDs: inviteeUserIDs}, &pc); err != nil {
		return Call{}, err
	}
	call := callFromProto(pc)
	s.stepCall(call.CallID, callInput{Kind: callStarted, Call: call})
	return call, nil
}

// AcceptCall answers a ringing call on this device; the user's other
// devices stop ringing (answeredElsewhere).
func (c *Client) AcceptCall(ctx context.Context, callID string) error {
	return c.callAct(ctx, protocol.ReqCallAccept, callID)
}

// RejectCall declines a ringing call, on all of the user's devices.
func (c *Client) RejectCall(ctx context.Context, callID string) error {
	return c.callAct(ctx, protocol.ReqCallReject, callID)
}

// CancelCall ends the user's own call before anyone answered it.
func (c *Client) CancelCall(ctx context.Context, callID string) error {
	return c.callAct(ctx, protocol.ReqCallCancel, callID)
}

// HangUpCall leaves a call (an invitee hanging up while it rings rejects).
func (c *Client) HangUpCall(ctx context.Context, callID string) error {
	return c.callAct(ctx, protocol.ReqCallHangUp, callID)
}

func (c *Client) callAct(ctx context.Context, typ, callID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if callID == "" || len(callID) > protocol.MaxClientMsgIDLen {
		return errInvalid("invalid callID")
	}
	var pc protocol.Call
	if err := s.call(ctx, typ, protocol.CallIDReq{CallID: callID}, &pc); err != nil {
		return err
	}
	// The answer is the call as it is now; the push that tells every
	// device so (this one included) brings the event.
	return nil
}

// SendCallSignal relays signal (an SDP offer or answer, an ICE candidate:
// any JSON value) to toUserID's device in the call, unchanged. Refused
// before the call is answered.
func (c *Client) SendCallSignal(ctx context.Context, callID, toUserID string, signal json.RawMessage) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if callID == "" || len(callID) > protocol.MaxClientMsgIDLen {
		return errInvalid("invalid callID")
	}
	if !protocol.ValidID(toUserID) {
		return errInvalid("invalid toUserID")
	}
	if len(signal) == 0 || !json.Valid(signal) {
		return errInvalid("signal must be a JSON value")
	}
	if len(signal) > protocol.MaxCallSignalBytes {
		return &Error{Code: protocol.CodeTooLarge, Message: "signal is too large"}
	}
	return s.call(ctx, protocol.ReqCallSignal, protocol.CallSignalReq{CallID: callID, ToUserID: toUserID, Signal: signal}, nil)
}

// CallConfig returns the ICE servers the server is configured with, with
// TURN credentials minted for the user when the server has a TURN secret.
func (c *Client) CallConfig(ctx context.Context) (CallConfig, error) {
	s, err := c.session()
	if err != nil {
		return CallConfig{}, err
	}
	var pc protocol.CallConfig
	if err := s.call(ctx, protocol.ReqCallConfig, protocol.CallIDReq{}, &pc); err != nil {
		return CallConfig{}, err
	}
	out := CallConfig{ICEServers: make([]ICEServer, len(pc.ICEServers))}
	for i, ice := range pc.ICEServers {
		out.ICEServers[i] = ICEServer(ice)
	}
	return out, nil
}
