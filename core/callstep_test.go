package core

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"parley/protocol"
)

func TestStepCallLocal(t *testing.T) {
	ringing := Call{CallID: "c1", State: protocol.CallRinging, AcceptedUserIDs: []string{}}
	accepted := Call{CallID: "c1", State: protocol.CallAccepted, AcceptedUserIDs: []string{"bob"}, AnsweredHere: true}
	elsewhere := Call{CallID: "c1", State: protocol.CallAnsweredElsewhere, AcceptedUserIDs: []string{"bob"}}
	ended := Call{CallID: "c1", State: protocol.CallEnded, Reason: "hangUp", AcceptedUserIDs: []string{"bob"}}
	sig := func(seq int64) protocol.CallSignal {
		return protocol.CallSignal{CallID: "c1", FromUserID: "alice", Signal: json.RawMessage(`{"n":1}`), Seq: seq}
	}
	known := func(c Call, last int64) *callLocal { return &callLocal{Call: c, LastSignal: last} }
	for _, tc := range []struct {
		name   string
		cur    *callLocal
		in     callInput
		want   *callLocal
		events []Event
	}{
		{"started here: known, no event", nil, callInput{Kind: callStarted, Call: ringing}, known(ringing, 0), nil},
		{"started twice", known(accepted, 3), callInput{Kind: callStarted, Call: ringing}, known(accepted, 3), nil},
		{"invited", nil, callInput{Kind: callInvitedIn, Call: ringing}, known(ringing, 0), []Event{CallInvited{Call: ringing}}},
		{"invited again after a reconnect", known(ringing, 0), callInput{Kind: callInvitedIn, Call: ringing}, known(ringing, 0), nil},
		{"answered here", known(ringing, 0), callInput{Kind: callStateIn, Call: accepted}, known(accepted, 0), []Event{CallStateChanged{Call: accepted}}},
		{"answered elsewhere", known(ringing, 0), callInput{Kind: callStateIn, Call: elsewhere}, known(elsewhere, 0), []Event{CallStateChanged{Call: elsewhere}}},
		{"state re-announced", known(accepted, 2), callInput{Kind: callStateIn, Call: accepted}, known(accepted, 2), nil},
		{"state of an unknown call", nil, callInput{Kind: callStateIn, Call: accepted}, known(accepted, 0), []Event{CallStateChanged{Call: accepted}}},
		{"ended keeps the signal count", known(accepted, 2), callInput{Kind: callStateIn, Call: ended}, known(ended, 2), []Event{CallStateChanged{Call: ended}}},
		{"nothing after the end", known(ended, 0), callInput{Kind: callStateIn, Call: accepted}, known(ended, 0), nil},
		{"signal", known(accepted, 0), callInput{Kind: callSignalIn, Signal: sig(1)}, known(accepted, 1),
			[]Event{CallSignalReceived{CallID: "c1", FromUserID: "alice", Signal: json.RawMessage(`{"n":1}`)}}},
		{"replayed signal", known(accepted, 2), callInput{Kind: callSignalIn, Signal: sig(2)}, known(accepted, 2), nil},
		{"signal of an unknown call", nil, callInput{Kind: callSignalIn, Signal: sig(1)}, nil, nil},
		{"signal after the end", known(ended, 0), callInput{Kind: callSignalIn, Signal: sig(1)}, known(ended, 0), nil},
		{"gone", known(accepted, 1), callInput{Kind: callGoneIn, CallID: "c1"},
			known(Call{CallID: "c1", State: protocol.CallEnded, Reason: "connectionLost", AcceptedUserIDs: []string{"bob"}, AnsweredHere: true}, 1),
			[]Event{CallStateChanged{Call: Call{CallID: "c1", State: protocol.CallEnded, Reason: "connectionLost", AcceptedUserIDs: []string{"bob"}, AnsweredHere: true}}}},
		{"gone after the end", known(ended, 0), callInput{Kind: callGoneIn, CallID: "c1"}, known(ended, 0), nil},
		{"gone, unknown", nil, callInput{Kind: callGoneIn, CallID: "c1"}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, evs := stepCallLocal(tc.cur, tc.in)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.events, evs)
		})
	}
}
