package protocol

import "encoding/json"

// Call signaling (contract §9, §10): parleyd keeps each call's state and
// relays the peers' SDP and ICE; the media never passes through it.

// Call request types. Each answers with the Call as it is after the
// request, except ReqCallSignal (no data) and ReqCallConfig (CallConfig).
const (
	// ReqCallStart invites members of a conversation. Data: CallStartReq.
	ReqCallStart = "call.start"
	// ReqCallAccept answers a ringing call on the caller's device.
	// Data: CallIDReq.
	ReqCallAccept = "call.accept"
	// ReqCallReject declines a ringing call for all of the caller's
	// devices. Data: CallIDReq.
	ReqCallReject = "call.reject"
	// ReqCallCancel ends an unanswered call, by its inviter. Data: CallIDReq.
	ReqCallCancel = "call.cancel"
	// ReqCallHangUp leaves a call: an accepted call ends for everyone once
	// fewer than two participants are left; an invitee hanging up while
	// ringing rejects. Data: CallIDReq.
	ReqCallHangUp = "call.hangUp"
	// ReqCallSignal relays Signal to one participant's device, after the
	// answer. Data: CallSignalReq. Response: none.
	ReqCallSignal = "call.signal"
	// ReqCallGet returns a call to its inviter and invitees: one in
	// progress or one that ended lately (not_found once the node that held
	// it forgot it): what a device asks after a reconnect.
	// Data: CallIDReq.
	ReqCallGet = "call.get"
	// ReqCallConfig returns the ICE servers for a call. Data: CallIDReq
	// (CallID may be empty). Response: CallConfig.
	ReqCallConfig = "call.config"
)

// Call push types.
const (
	// PushCallInvited carries a ringing Call to every device of every
	// invitee and of the inviter (but the one that started it).
	PushCallInvited = "push.callInvited"
	// PushCallState carries a Call whose state changed to every device of
	// its inviter and invitees; a device that did not answer an accepted
	// call sees it as CallAnsweredElsewhere (AnsweredHere false).
	PushCallState = "push.callState"
	// PushCallSignal carries a CallSignal to the one device it is for.
	PushCallSignal = "push.callSignal"
)

// Call media.
const (
	CallAudio = "audio"
	CallVideo = "video"
)

// Call states. CallAnsweredElsewhere is not a state of the call but how
// an invitee's other devices see it once one of them answered.
const (
	CallRinging           = "ringing"
	CallAccepted          = "accepted"
	CallRejected          = "rejected"
	CallCanceled          = "canceled"
	CallMissed            = "missed"
	CallEnded             = "ended"
	CallAnsweredElsewhere = "answeredElsewhere"
)

// Limits of calls (docs/limits.md).
const (
	// MaxCallInvitees bounds the invitees of one call (small groups).
	MaxCallInvitees = 7
	// MaxCallSignalBytes bounds one signal's JSON encoding: an SDP offer
	// with many codecs is a few KB.
	MaxCallSignalBytes = 32 << 10
)

// Call is one call as the server sees it.
type Call struct {
	CallID         string   `json:"callID"`
	ConversationID string   `json:"conversationID"`
	Media          string   `json:"media"`
	InviterUserID  string   `json:"inviterUserID"`
	InviteeUserIDs []string `json:"inviteeUserIDs"`
	State          string   `json:"state"`
	// AcceptedUserIDs are the invitees who answered.
	AcceptedUserIDs []string `json:"acceptedUserIDs"`
	// Reason says why an ended call ended: "hangUp", "timeout",
	// "connectionLost" or "serverRestart"; empty otherwise.
	Reason string `json:"reason,omitempty"`
	// StartTime is when it was started, AcceptTime when first answered
	// (0: not), EndTime when it ended (0: not yet); Unix ms.
	StartTime  int64 `json:"startTime"`
	AcceptTime int64 `json:"acceptTime,omitempty"`
	EndTime    int64 `json:"endTime,omitempty"`
	// AnsweredHere is set on the pushes and answers to the device that
	// accepted the call (and to the inviter's device that started it).
	AnsweredHere bool `json:"answeredHere,omitempty"`
}

// CallStartReq starts a call in ConversationID. InviteeUserIDs defaults
// to the peer of a one-to-one conversation, and must be named for a group.
type CallStartReq struct {
	ConversationID string   `json:"conversationID"`
	Media          string   `json:"media"`
	InviteeUserIDs []string `json:"inviteeUserIDs,omitempty"`
}

// CallIDReq names a call.
type CallIDReq struct {
	CallID string `json:"callID"`
}

// CallSignalReq relays Signal (any JSON value: an SDP offer or answer, an
// ICE candidate) to ToUserID's device in the call.
type CallSignalReq struct {
	CallID   string          `json:"callID"`
	ToUserID string          `json:"toUserID"`
	Signal   json.RawMessage `json:"signal"`
}

// CallSignal is a relayed signal, as its receiver gets it. Seq numbers
// the signals to one receiver in a call from 1: after a reconnect the
// server sends them all again, and the receiver drops those it has.
type CallSignal struct {
	CallID     string          `json:"callID"`
	FromUserID string          `json:"fromUserID"`
	Signal     json.RawMessage `json:"signal"`
	Seq        int64           `json:"seq"`
}

// ICEServer is one RTCIceServer.
type ICEServer struct {
	URLs       any    `json:"urls"`
	Username   string `json:"username,omitempty"`
	Credential string `json:"credential,omitempty"`
}

// CallConfig is what a device needs to set up the peer connection.
type CallConfig struct {
	ICEServers []ICEServer `json:"iceServers"`
}
