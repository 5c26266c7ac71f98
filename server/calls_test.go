package server_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

// callPush waits for the next call push of typ, skipping other pushes
// (the call's notification may come between).
func (c *client) callPush(typ string) *protocol.Frame {
	c.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case f := <-c.pushes:
			if !strings.HasPrefix(f.Type, "push.call") {
				continue // the call's notification, a group
			}
			require.Equal(c.t, typ, f.Type, "push %s", f.Data)
			return f
		case <-deadline:
			c.t.Fatalf("no %s push", typ)
		}
	}
}

// callState waits for the next call state push.
func (c *client) callState() protocol.Call {
	c.t.Helper()
	return decode[protocol.Call](c.t, c.callPush(protocol.PushCallState))
}

// callNotification waits for the push of the call's notification message.
func (c *client) callNotification() (protocol.Message, protocol.CallContent) {
	c.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case f := <-c.pushes:
			if f.Type != protocol.PushMessage {
				continue
			}
			m := decode[protocol.Message](c.t, f)
			require.Equal(c.t, protocol.ContentNotification, m.ContentType)
			var cc protocol.CallContent
			require.NoError(c.t, json.Unmarshal(m.Content, &cc))
			return m, cc
		case <-deadline:
			c.t.Fatal("no notification message")
		}
	}
}

type callWorld struct {
	e               *env
	a, b1, b2, m    *client
	aTok, b1Tok, dm string
}

// newCallWorld: alice, bob on two devices, and mallory.
func newCallWorld(t *testing.T, mods ...func(*server.Config)) *callWorld {
	e := newEnv(t, mods...)
	w := &callWorld{e: e}
	w.aTok = e.adminUser("alice")
	w.b1Tok = e.adminUser("bob")
	mTok := e.adminUser("mallory")
	w.a, w.b1, w.b2, w.m = e.dial(w.aTok), e.dial(w.b1Tok), e.dial(e.token("bob")), e.dial(mTok)
	w.dm = protocol.SingleConversationID("alice", "bob")
	return w
}

func (w *callWorld) start(media string) protocol.Call {
	w.e.t.Helper()
	var call protocol.Call
	w.a.do(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: w.dm, Media: media}, &call)
	return call
}

func TestCallAnsweredOnOneDevice(t *testing.T) {
	w := newCallWorld(t)
	call := w.start(protocol.CallVideo)
	assert.Equal(t, protocol.CallRinging, call.State)
	assert.Equal(t, []string{"bob"}, call.InviteeUserIDs)
	assert.True(t, call.AnsweredHere)
	for _, b := range []*client{w.b1, w.b2} {
		inv := decode[protocol.Call](t, b.callPush(protocol.PushCallInvited))
		assert.Equal(t, call.CallID, inv.CallID)
		assert.Equal(t, "alice", inv.InviterUserID)
		assert.Equal(t, protocol.CallVideo, inv.Media)
	}
	id := protocol.CallIDReq{CallID: call.CallID}
	sig := json.RawMessage(`{"type":"offer","sdp":"v=0\r\n<&>"}`)

	w.a.wantError(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: sig}, protocol.CodeInvalidArgument)
	w.m.wantError(protocol.ReqCallAccept, id, protocol.CodePermissionDenied)
	w.m.wantError(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: sig}, protocol.CodePermissionDenied)
	w.m.wantError(protocol.ReqCallHangUp, id, protocol.CodePermissionDenied)
	w.a.wantError(protocol.ReqCallAccept, protocol.CallIDReq{CallID: "nope"}, protocol.CodeNotFound)
	w.b1.wantError(protocol.ReqCallCancel, id, protocol.CodePermissionDenied)

	var acc protocol.Call
	w.b1.do(protocol.ReqCallAccept, id, &acc)
	assert.Equal(t, protocol.CallAccepted, acc.State)
	assert.True(t, acc.AnsweredHere)

	s := w.b1.callState()
	assert.Equal(t, protocol.CallAccepted, s.State)
	assert.True(t, s.AnsweredHere)
	s = w.b2.callState()
	assert.Equal(t, protocol.CallAnsweredElsewhere, s.State, "the other device stops ringing")
	assert.False(t, s.AnsweredHere)
	s = w.a.callState()
	assert.Equal(t, protocol.CallAccepted, s.State)
	assert.True(t, s.AnsweredHere)
	w.b2.wantError(protocol.ReqCallAccept, id, protocol.CodeInvalidArgument)
	var got1 protocol.Call
	w.b2.do(protocol.ReqCallGet, id, &got1)
	assert.Equal(t, protocol.CallAnsweredElsewhere, got1.State)
	w.b1.do(protocol.ReqCallGet, id, &got1)
	assert.Equal(t, protocol.CallAccepted, got1.State)
	assert.True(t, got1.AnsweredHere)

	// Signals go between the two devices in the call, unchanged.
	w.a.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: sig}, nil)
	got := decode[protocol.CallSignal](t, w.b1.callPush(protocol.PushCallSignal))
	assert.Equal(t, "alice", got.FromUserID)
	assert.JSONEq(t, string(sig), string(got.Signal))
	w.b2.wantError(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "alice", Signal: sig}, protocol.CodePermissionDenied)
	w.b1.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "alice", Signal: json.RawMessage(`{"candidate":"c1"}`)}, nil)
	got = decode[protocol.CallSignal](t, w.a.callPush(protocol.PushCallSignal))
	assert.JSONEq(t, `{"candidate":"c1"}`, string(got.Signal))
	w.b2.ping()
	w.b2.noPush()
	w.b1.wantError(protocol.ReqCallSignal, map[string]string{"callID": call.CallID, "toUserID": "alice"}, protocol.CodeInvalidArgument)
	big := json.RawMessage(`"` + strings.Repeat("x", protocol.MaxCallSignalBytes) + `"`)
	w.b1.wantError(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "alice", Signal: big}, protocol.CodeTooLarge)

	var end protocol.Call
	w.b1.do(protocol.ReqCallHangUp, id, &end)
	assert.Equal(t, protocol.CallEnded, end.State)
	for _, c := range []*client{w.a, w.b1, w.b2} {
		s := c.callState()
		assert.Equal(t, protocol.CallEnded, s.State)
		assert.Equal(t, "hangUp", s.Reason)
		m, cc := c.callNotification()
		assert.Equal(t, w.dm, m.ConversationID)
		assert.Equal(t, "alice", m.SendID)
		assert.Equal(t, protocol.CallContent{Kind: "call", CallID: call.CallID, Media: protocol.CallVideo, Result: protocol.CallResultEnded, DurationMs: cc.DurationMs}, cc)
		assert.GreaterOrEqual(t, cc.DurationMs, int64(0))
	}
	w.a.wantError(protocol.ReqCallHangUp, id, protocol.CodeNotFound)
	var after protocol.Call
	w.b2.do(protocol.ReqCallGet, id, &after)
	assert.Equal(t, protocol.CallEnded, after.State, "how it ended, for a device that reconnects")
	w.m.wantError(protocol.ReqCallGet, id, protocol.CodePermissionDenied)
	w.m.ping()
	w.m.noPush()

	// The notification is a stored message of the conversation.
	var pr protocol.PullResp
	w.a.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: w.dm, FromSeq: 1, Limit: 10}}}, &pr)
	require.Len(t, pr.Messages, 1)
	assert.Equal(t, protocol.ContentNotification, pr.Messages[0].ContentType)
}

func TestCallRejectedOnOneOfTwoDevices(t *testing.T) {
	w := newCallWorld(t)
	call := w.start(protocol.CallAudio)
	w.b1.callPush(protocol.PushCallInvited)
	w.b2.callPush(protocol.PushCallInvited)
	var r protocol.Call
	w.b2.do(protocol.ReqCallReject, protocol.CallIDReq{CallID: call.CallID}, &r)
	assert.Equal(t, protocol.CallRejected, r.State)
	for _, c := range []*client{w.a, w.b1, w.b2} {
		assert.Equal(t, protocol.CallRejected, c.callState().State)
		_, cc := c.callNotification()
		assert.Equal(t, protocol.CallResultRejected, cc.Result)
		assert.Equal(t, int64(0), cc.DurationMs)
	}
	w.b1.wantError(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, protocol.CodeNotFound)
}

func TestCallCanceled(t *testing.T) {
	w := newCallWorld(t)
	call := w.start(protocol.CallAudio)
	w.b1.callPush(protocol.PushCallInvited)
	w.a.do(protocol.ReqCallCancel, protocol.CallIDReq{CallID: call.CallID}, nil)
	assert.Equal(t, protocol.CallCanceled, w.b1.callState().State)
	_, cc := w.b1.callNotification()
	assert.Equal(t, protocol.CallResultCanceled, cc.Result)
}

func TestCallMissed(t *testing.T) {
	w := newCallWorld(t, func(c *server.Config) { c.CallTimeout = 300 * time.Millisecond })
	call := w.start(protocol.CallVideo)
	w.b1.callPush(protocol.PushCallInvited)
	w.b2.callPush(protocol.PushCallInvited)
	for _, c := range []*client{w.a, w.b1, w.b2} {
		s := c.callState()
		assert.Equal(t, call.CallID, s.CallID)
		assert.Equal(t, protocol.CallMissed, s.State)
		assert.Equal(t, "timeout", s.Reason)
		_, cc := c.callNotification()
		assert.Equal(t, protocol.CallResultMissed, cc.Result)
	}
}

func TestCallRefusals(t *testing.T) {
	w := newCallWorld(t)
	w.a.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: w.dm, Media: "hologram"}, protocol.CodeInvalidArgument)
	w.a.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: "nonsense", Media: protocol.CallAudio}, protocol.CodeInvalidArgument)
	w.m.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: w.dm, Media: protocol.CallAudio}, protocol.CodePermissionDenied)
	w.a.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: w.dm, Media: protocol.CallAudio, InviteeUserIDs: []string{"mallory"}}, protocol.CodeInvalidArgument)
	w.a.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: protocol.SingleConversationID("alice", "ghost"), Media: protocol.CallAudio}, protocol.CodeNotFound)
	w.m.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: protocol.GroupConversationID("nogroup"), Media: protocol.CallAudio, InviteeUserIDs: []string{"alice"}}, protocol.CodePermissionDenied)
	// Nobody sends a notification of their own.
	w.a.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "n1", RecvID: "bob", ContentType: protocol.ContentNotification,
		Content: json.RawMessage(`{"kind":"call","callID":"x","media":"audio","result":"ended","durationMs":1}`)}, protocol.CodeInvalidArgument)
	// A block refuses calls as it refuses messages.
	w.b1.do(protocol.ReqBlockUser, protocol.UserIDReq{UserID: "alice"}, nil)
	w.a.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: w.dm, Media: protocol.CallAudio}, protocol.CodePermissionDenied)
}

func TestCallGroup(t *testing.T) {
	w := newCallWorld(t)
	carlTok := w.e.adminUser("carl")
	carl := w.e.dial(carlTok)
	var g protocol.Group
	w.a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "g", MemberUserIDs: []string{"bob", "carl"}}, &g)
	conv := protocol.GroupConversationID(g.GroupID)
	w.a.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: conv, Media: protocol.CallAudio}, protocol.CodeInvalidArgument)
	w.a.wantError(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: conv, Media: protocol.CallAudio, InviteeUserIDs: []string{"mallory"}}, protocol.CodeInvalidArgument)
	var call protocol.Call
	w.a.do(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: conv, Media: protocol.CallAudio, InviteeUserIDs: []string{"bob", "carl"}}, &call)
	carl.callPush(protocol.PushCallInvited)
	w.b1.callPush(protocol.PushCallInvited)
	carl.do(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, nil)
	assert.Equal(t, protocol.CallAccepted, carl.callState().State)
	w.b1.do(protocol.ReqCallReject, protocol.CallIDReq{CallID: call.CallID}, nil)
	carl.do(protocol.ReqCallHangUp, protocol.CallIDReq{CallID: call.CallID}, nil)
	_, cc := w.a.callNotification()
	assert.Equal(t, protocol.CallResultEnded, cc.Result)
}

// TestCallGroupStopsRingingPerInvitee: in a group call that goes on, an
// invitee who declines on one device stops ringing on the others, and one
// who never answers stops ringing at the timeout.
func TestCallGroupStopsRingingPerInvitee(t *testing.T) {
	w := newCallWorld(t, func(c *server.Config) { c.CallTimeout = 500 * time.Millisecond })
	carl, dave := w.e.dial(w.e.adminUser("carl")), w.e.dial(w.e.adminUser("dave"))
	dave2 := w.e.dial(w.e.token("dave"))
	var g protocol.Group
	w.a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "g", MemberUserIDs: []string{"bob", "carl", "dave"}}, &g)
	var call protocol.Call
	w.a.do(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: protocol.GroupConversationID(g.GroupID), Media: protocol.CallAudio,
		InviteeUserIDs: []string{"bob", "carl", "dave"}}, &call)
	for _, c := range []*client{w.b1, w.b2, carl, dave, dave2} {
		c.callPush(protocol.PushCallInvited)
	}
	carl.do(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, nil)
	for _, c := range []*client{w.b1, w.b2, dave, dave2} {
		assert.Equal(t, protocol.CallAccepted, c.callState().State, "still ringing")
	}
	dave.do(protocol.ReqCallReject, protocol.CallIDReq{CallID: call.CallID}, nil)
	assert.Equal(t, protocol.CallRejected, dave2.callState().State, "dave's other device stops ringing")

	// Bob never answers: at the timeout his devices stop ringing, and the
	// call goes on between alice and carl.
	for _, c := range []*client{w.b1, w.b2} {
		assert.Equal(t, protocol.CallAccepted, c.callState().State, "dave's refusal, told to everyone")
		st := c.callState()
		assert.Equal(t, protocol.CallMissed, st.State)
		assert.Equal(t, "timeout", st.Reason)
	}
	w.b1.wantError(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, protocol.CodeInvalidArgument)
	var got protocol.Call
	carl.do(protocol.ReqCallGet, protocol.CallIDReq{CallID: call.CallID}, &got)
	assert.Equal(t, protocol.CallAccepted, got.State)
	w.b2.do(protocol.ReqCallGet, protocol.CallIDReq{CallID: call.CallID}, &got)
	assert.Equal(t, protocol.CallMissed, got.State)
	carl.do(protocol.ReqCallHangUp, protocol.CallIDReq{CallID: call.CallID}, nil)
	_, cc := w.a.callNotification()
	assert.Equal(t, protocol.CallResultEnded, cc.Result)
}

// A call device that reconnects gets the signals sent while it was away;
// one that stays away ends the call with connectionLost.
func TestCallSurvivesReconnect(t *testing.T) {
	w := newCallWorld(t, func(c *server.Config) { c.CallReconnectGrace = 2 * time.Second })
	call := w.start(protocol.CallVideo)
	w.b1.callPush(protocol.PushCallInvited)
	w.b1.do(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, nil)
	w.a.callState()
	w.b1.callState()

	first := json.RawMessage(`{"type":"offer","sdp":"first"}`)
	w.a.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: first}, nil)
	w.b1.callPush(protocol.PushCallSignal)
	w.b1.ws.Close()
	// Sent while the server may or may not have seen the connection go:
	// either way it reaches the device when it is back.
	sig := json.RawMessage(`{"type":"offer","sdp":"again"}`)
	w.a.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: sig}, nil)
	b1 := w.e.dial(w.b1Tok)
	s := b1.callState()
	assert.Equal(t, protocol.CallAccepted, s.State)
	assert.True(t, s.AnsweredHere)
	got := decode[protocol.CallSignal](t, b1.callPush(protocol.PushCallSignal))
	assert.Equal(t, int64(1), got.Seq)
	assert.JSONEq(t, string(first), string(got.Signal))
	got = decode[protocol.CallSignal](t, b1.callPush(protocol.PushCallSignal))
	assert.Equal(t, int64(2), got.Seq, "the signal sent while away")
	assert.JSONEq(t, string(sig), string(got.Signal))

	// Now alice's device goes for good.
	w.a.ws.Close()
	s = b1.callState()
	assert.Equal(t, protocol.CallEnded, s.State)
	assert.Equal(t, "connectionLost", s.Reason)
	_, cc := b1.callNotification()
	assert.Equal(t, protocol.CallResultEnded, cc.Result)
}

// A node shutting down ends its calls with a state event first.
func TestCallEndsOnShutdown(t *testing.T) {
	w := newCallWorld(t)
	call := w.start(protocol.CallAudio)
	w.b1.callPush(protocol.PushCallInvited)
	w.b1.do(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, nil)
	w.a.callState()
	w.e.shutdown()
	s := w.a.callState()
	assert.Equal(t, protocol.CallEnded, s.State)
	assert.Equal(t, "serverRestart", s.Reason)
	w.e.start()
	a := w.e.dial(w.aTok)
	var pr protocol.PullResp
	a.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: w.dm, FromSeq: 1, Limit: 10}}}, &pr)
	require.Len(t, pr.Messages, 1, "the notification was stored before the store closed")
	assert.Equal(t, protocol.ContentNotification, pr.Messages[0].ContentType)
}

func TestCallConfig(t *testing.T) {
	ice, err := server.ParseICEServers(`[{"urls":"stun:stun.example.org:3478"},{"urls":["turn:turn.example.org:3478","turns:turn.example.org:5349"]}]`)
	require.NoError(t, err)
	w := newCallWorld(t, func(c *server.Config) { c.ICEServers, c.TURNSecret = ice, "shh" })
	var cfg protocol.CallConfig
	w.a.do(protocol.ReqCallConfig, protocol.CallIDReq{}, &cfg)
	require.Len(t, cfg.ICEServers, 2)
	assert.Equal(t, "stun:stun.example.org:3478", cfg.ICEServers[0].URLs)
	assert.Empty(t, cfg.ICEServers[0].Username)
	turn := cfg.ICEServers[1]
	exp, user, ok := strings.Cut(turn.Username, ":")
	require.True(t, ok, "username %q", turn.Username)
	assert.Equal(t, "alice", user)
	assert.NotEmpty(t, exp)
	mac := hmac.New(sha1.New, []byte("shh"))
	mac.Write([]byte(turn.Username))
	assert.Equal(t, base64.StdEncoding.EncodeToString(mac.Sum(nil)), turn.Credential)

	for _, bad := range []string{`{}`, `[{"urls":""}]`, `[{"urls":[]}]`, `[{"urls":3}]`, `[{}]`, `nope`} {
		_, err := server.ParseICEServers(bad)
		assert.Error(t, err, bad)
	}
	none, err := server.ParseICEServers("")
	require.NoError(t, err)
	assert.Empty(t, none)

	w2 := newCallWorld(t)
	w2.a.do(protocol.ReqCallConfig, nil, &cfg)
	assert.Equal(t, []protocol.ICEServer{}, cfg.ICEServers)
}

// TestCallDeviceOnTwoConnections: a call device with a second connection
// gets the call's state and signals on it; when one of the two closes,
// the other is not sent them again.
func TestCallDeviceOnTwoConnections(t *testing.T) {
	w := newCallWorld(t)
	call := w.start(protocol.CallAudio)
	w.b1.callPush(protocol.PushCallInvited)
	w.b1.do(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, nil)
	require.True(t, w.b1.callState().AnsweredHere)
	w.a.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: json.RawMessage(`1`)}, nil)
	w.b1.callPush(protocol.PushCallSignal)

	second := w.e.dial(w.b1Tok)
	assert.True(t, second.callState().AnsweredHere)
	assert.Equal(t, int64(1), decode[protocol.CallSignal](t, second.callPush(protocol.PushCallSignal)).Seq)
	second.ws.Close()
	second.waitClosed()
	w.b1.ping()
	for {
		select {
		case f := <-w.b1.pushes:
			require.False(t, strings.HasPrefix(f.Type, "push.call"), "sent again on a close: %s %s", f.Type, f.Data)
			continue
		default:
		}
		break
	}
}

// In a group call every two participants signal each other directly
// (the demo's mesh), not only the inviter and one answerer.
func TestCallGroupMeshSignals(t *testing.T) {
	w := newCallWorld(t)
	carl := w.e.dial(w.e.adminUser("carl"))
	var g protocol.Group
	w.a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "g", MemberUserIDs: []string{"bob", "carl", "mallory"}}, &g)
	var call protocol.Call
	w.a.do(protocol.ReqCallStart, protocol.CallStartReq{ConversationID: protocol.GroupConversationID(g.GroupID), Media: protocol.CallVideo, InviteeUserIDs: []string{"bob", "carl"}}, &call)
	w.b1.do(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, nil)
	carl.do(protocol.ReqCallAccept, protocol.CallIDReq{CallID: call.CallID}, nil)

	// signalFrom waits for c's next signal, past the state pushes.
	signalFrom := func(c *client) protocol.CallSignal {
		t.Helper()
		deadline := time.After(waitFor)
		for {
			select {
			case f := <-c.pushes:
				if f.Type == protocol.PushCallSignal {
					return decode[protocol.CallSignal](t, f)
				}
			case <-deadline:
				t.Fatal("no signal")
			}
		}
	}
	sig := json.RawMessage(`{"kind":"sdp"}`)
	carl.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: sig}, nil)
	got := signalFrom(w.b1)
	assert.Equal(t, "carl", got.FromUserID)
	assert.JSONEq(t, string(sig), string(got.Signal))
	w.b1.do(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "carl", Signal: sig}, nil)
	assert.Equal(t, "bob", signalFrom(carl).FromUserID)

	// A member of the group who is not in the call, and bob's other device.
	w.m.wantError(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "bob", Signal: sig}, protocol.CodePermissionDenied)
	carl.wantError(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "mallory", Signal: sig}, protocol.CodePermissionDenied)
	w.b2.wantError(protocol.ReqCallSignal, protocol.CallSignalReq{CallID: call.CallID, ToUserID: "carl", Signal: sig}, protocol.CodePermissionDenied)
}
