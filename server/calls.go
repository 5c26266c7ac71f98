package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"parley/protocol"
	"parley/server/bus"
	"parley/server/store"
)

// Call limits and defaults; docs/limits.md lists them.
const (
	defaultCallTimeout        = 60 * time.Second
	defaultCallReconnectGrace = 20 * time.Second
	// maxCallsPerUser bounds the calls one user takes part in at once.
	maxCallsPerUser = 4
	// Signals per second (and burst) one participant may relay in one
	// call: trickled ICE candidates come in bursts of a few dozen.
	callSignalRate  = 20
	callSignalBurst = 100
	// maxCallSignalLog bounds the bytes of the signals a call keeps for
	// replay to a device that reconnects; past it signals are refused
	// with rate_limited.
	maxCallSignalLog = 1 << 20
	// turnCredentialTTL is how long minted TURN credentials are valid.
	turnCredentialTTL = 24 * time.Hour
)

// calls holds this node's calls: their state (stepped by stepCall), their
// timers, and the signals waiting for a device that is reconnecting. A
// call lives on the node that started it; it ends when that node shuts
// down (docs/protocol.md, "Calls").
type calls struct {
	s *Server

	mu     sync.Mutex
	byID   map[string]*callEntry
	closed bool
	// ended keeps the last calls that ended, for call.get: a device that
	// reconnects learns how a call ended even when the push that told it
	// is still on its way.
	ended     map[string]*callRec
	endedList []string
	// mirrors are the calls of other nodes in progress, as their nodes
	// last told (callnodes.go).
	mirrors map[string]*callRec

	// pmu guards pending: requests passed on to other nodes, by ID.
	pmu     sync.Mutex
	pending map[string]chan callMsg
}

// maxEndedCalls bounds calls.ended.
const maxEndedCalls = 1024

type callEntry struct {
	rec callRec
	// ring ends an unanswered call after Config.CallTimeout.
	ring *time.Timer
	// away holds, per participant whose call device is disconnected, the
	// timer that ends their part after the grace.
	away map[string]*time.Timer
	// sent logs, per receiver, every signal relayed to them (numbered
	// from 1), so that a device that reconnects gets them all again: a
	// signal pushed to a connection that was already dead but not yet
	// closed is not lost. The SDK drops the ones it has (CallSignal.Seq).
	sent     map[string][][]byte
	sentSize int
	limits   map[string]*rate.Limiter
	// held: per participant in the call, the nodes holding a connection
	// of their call device.
	held map[string]map[string]bool
}

func newCalls(s *Server) *calls {
	return &calls{s: s, byID: make(map[string]*callEntry), ended: make(map[string]*callRec),
		mirrors: make(map[string]*callRec), pending: make(map[string]chan callMsg)}
}

func (s *Server) callHandlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		protocol.ReqCallStart:  typed(s.callStart),
		protocol.ReqCallAccept: typed(s.callAct(evAccept)),
		protocol.ReqCallReject: typed(s.callAct(evReject)),
		protocol.ReqCallCancel: typed(s.callAct(evCancel)),
		protocol.ReqCallHangUp: typed(s.callAct(evHangUp)),
		protocol.ReqCallSignal: typed(s.callSignal),
		protocol.ReqCallGet:    typed(s.callGet),
		protocol.ReqCallConfig: typed(s.callConfig),
	}
}

// callGet answers a call to its inviter and invitees: one in progress,
// or one of the last that ended. A call of another node is asked of it.
func (s *Server) callGet(ctx context.Context, c caller, req *protocol.CallIDReq) (*protocol.Call, error) {
	if owner := callOwner(req.CallID); owner != s.presence.node {
		call, err := s.calls.forward(ctx, owner, callMsg{Op: opGet, User: c.UserID, Device: c.TokenID, CallID: req.CallID})
		if protocol.CodeOf(err) == protocol.CodeNotFound {
			// Its node is gone: how the call ended may be known here.
			return s.calls.get(c, req.CallID)
		}
		return call, err
	}
	return s.calls.get(c, req.CallID)
}

func (cs *calls) get(c caller, callID string) (*protocol.Call, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var rec *callRec
	if e, err := cs.find(callID); err == nil {
		rec = &e.rec
	} else if r := cs.ended[callID]; r != nil {
		rec = r
	} else {
		return nil, err
	}
	if rec.InviterUserID != c.UserID && !rec.isInvitee(c.UserID) {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "you are not in this call")
	}
	call := rec.viewOf(c.UserID)
	dev, in := rec.Devices[c.UserID]
	call.AnsweredHere = in && dev == c.TokenID
	if !call.AnsweredHere && call.State == protocol.CallAccepted && c.UserID != rec.InviterUserID && slices.Contains(call.AcceptedUserIDs, c.UserID) {
		call.State = protocol.CallAnsweredElsewhere
	}
	return &call, nil
}

// callStart checks that the caller and every invitee are members of the
// conversation, and starts ringing every device of the invitees.
func (s *Server) callStart(ctx context.Context, c caller, req *protocol.CallStartReq) (*protocol.Call, error) {
	if req.Media != protocol.CallAudio && req.Media != protocol.CallVideo {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "media must be %q or %q", protocol.CallAudio, protocol.CallVideo)
	}
	st, a, b, ok := protocol.ParseConversationID(req.ConversationID)
	if !ok {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid conversationID")
	}
	var invitees []string
	switch st {
	case protocol.SessionSingle:
		peer := a
		if a == c.UserID {
			peer = b
		} else if b != c.UserID {
			return nil, protocol.Errorf(protocol.CodePermissionDenied, "not your conversation")
		}
		if peer == c.UserID {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "cannot call yourself")
		}
		if len(req.InviteeUserIDs) > 0 && !slices.Equal(req.InviteeUserIDs, []string{peer}) {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "a one-to-one call invites the peer only")
		}
		if err := s.userExists(ctx, peer); err != nil {
			return nil, err
		}
		if blocked, err := s.blockedBy(ctx, peer, c.UserID); err != nil {
			return nil, err
		} else if blocked {
			return nil, protocol.Errorf(protocol.CodePermissionDenied, "this user does not accept your calls")
		}
		invitees = []string{peer}
	case protocol.SessionGroup:
		if _, err := s.groupMember(ctx, a, c.UserID); err != nil {
			return nil, err
		}
		invitees = slices.Compact(slices.Sorted(slices.Values(req.InviteeUserIDs)))
		if len(invitees) == 0 {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "a group call names its inviteeUserIDs")
		}
		if len(invitees) > protocol.MaxCallInvitees {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "at most %d invitees", protocol.MaxCallInvitees)
		}
		for _, u := range invitees {
			if u == c.UserID {
				return nil, protocol.Errorf(protocol.CodeInvalidArgument, "cannot invite yourself")
			}
			if !protocol.ValidID(u) {
				return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid invitee %q", u)
			}
			if _, err := s.store.GroupMember(ctx, a, u); err != nil {
				if errors.Is(err, store.ErrNotMember) {
					return nil, protocol.Errorf(protocol.CodeInvalidArgument, "%q is not a member of this group", u)
				}
				return nil, err
			}
		}
	}
	now := s.nowMs()
	rec := callRec{
		Call: protocol.Call{
			// The node that holds the call is named in its ID, so that
			// any node can pass requests about it on.
			CallID:          randomID("call", 12) + "." + s.presence.node,
			ConversationID:  req.ConversationID,
			Media:           req.Media,
			InviterUserID:   c.UserID,
			InviteeUserIDs:  invitees,
			State:           protocol.CallRinging,
			AcceptedUserIDs: []string{},
			StartTime:       now,
		},
		InviterDevice: c.TokenID,
		Devices:       map[string]string{c.UserID: c.TokenID},
	}
	return s.calls.start(ctx, rec)
}

func (cs *calls) start(ctx context.Context, rec callRec) (*protocol.Call, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return nil, protocol.Errorf(protocol.CodeUnavailable, "server is shutting down")
	}
	if n := cs.activeCount(rec.InviterUserID); n >= maxCallsPerUser {
		return nil, protocol.Errorf(protocol.CodeRateLimited, "at most %d calls at once", maxCallsPerUser)
	}
	e := &callEntry{rec: rec, away: map[string]*time.Timer{}, sent: map[string][][]byte{}, limits: map[string]*rate.Limiter{},
		held: map[string]map[string]bool{rec.InviterUserID: {cs.s.presence.node: true}}}
	cs.byID[rec.CallID] = e
	id := rec.CallID
	e.ring = time.AfterFunc(cs.s.cfg.CallTimeout, func() {
		cs.event(context.Background(), id, callEvent{Kind: evTimeout})
	})
	call := rec.Call
	cs.mirror(&e.rec)
	cs.s.pushTo(ctx, protocol.PushCallInvited, &call, "", rec.InviteeUserIDs...)
	cs.s.publishCall(ctx, protocol.PushCallInvited, &call, bus.Event{UserIDs: []string{rec.InviterUserID}, SkipToken: rec.InviterDevice})
	call.AnsweredHere = true
	return &call, nil
}

// activeCount counts the calls user takes part in (or is rung for), on
// this node and, as far as it knows, on the others.
func (cs *calls) activeCount(user string) int {
	n := 0
	for _, e := range cs.byID {
		if e.rec.InviterUserID == user || e.rec.isInvitee(user) {
			n++
		}
	}
	for _, r := range cs.mirrors {
		if r.InviterUserID == user || r.isInvitee(user) {
			n++
		}
	}
	return n
}

// callAct returns the handler of a request that steps a call.
func (s *Server) callAct(kind callEventKind) func(ctx context.Context, c caller, req *protocol.CallIDReq) (*protocol.Call, error) {
	return func(ctx context.Context, c caller, req *protocol.CallIDReq) (*protocol.Call, error) {
		if owner := callOwner(req.CallID); owner != s.presence.node {
			return s.calls.forward(ctx, owner, callMsg{Op: kind.String(), User: c.UserID, Device: c.TokenID, CallID: req.CallID})
		}
		return s.calls.act(ctx, req.CallID, callEvent{Kind: kind, User: c.UserID, Device: c.TokenID}, s.presence.node)
	}
}

// act steps the call callID with a participant's request, made through
// node, and answers the call as it is afterwards, as the acting device
// sees it.
func (cs *calls) act(ctx context.Context, callID string, ev callEvent, node string) (*protocol.Call, error) {
	var notify *callRec
	defer func() {
		if notify != nil {
			cs.s.writeCallNotification(ctx, notify)
		}
	}()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	e, err := cs.find(callID)
	if err != nil {
		return nil, err
	}
	ev.Now = cs.s.nowMs()
	step, err := stepCall(e.rec, ev)
	if err != nil {
		return nil, err
	}
	if ev.Kind == evAccept && step.Changed {
		e.held[ev.User] = map[string]bool{node: true}
	}
	notify = cs.commit(ctx, e, step)
	call := step.Next.Call
	call.AnsweredHere = step.Next.Devices[ev.User] == ev.Device && ev.Device != ""
	return &call, nil
}

// find returns a call of this node. An unknown call and one that ended
// answer alike: a call ID says nothing about who is in it.
func (cs *calls) find(callID string) (*callEntry, error) {
	if callID == "" || len(callID) > protocol.MaxClientMsgIDLen {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid callID")
	}
	e := cs.byID[callID]
	if e == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such call in progress")
	}
	return e, nil
}

// event steps a call with an event of the server's own (a timer).
func (cs *calls) event(ctx context.Context, callID string, ev callEvent) {
	cs.mu.Lock()
	e := cs.byID[callID]
	if e == nil {
		cs.mu.Unlock()
		return
	}
	ev.Now = cs.s.nowMs()
	step, err := stepCall(e.rec, ev)
	var notify *callRec
	if err == nil {
		notify = cs.commit(ctx, e, step)
	}
	cs.mu.Unlock()
	if err != nil {
		cs.s.log.Error("call event", "call", callID, "event", ev.Kind, "err", err)
	}
	if notify != nil {
		cs.s.writeCallNotification(ctx, notify)
	}
}

// commit makes step the call's state and tells every device; for a call
// that ended it stops its timers, forgets it and returns it, for the
// caller to write its notification once the lock is released. Called
// with cs.mu held.
func (cs *calls) commit(ctx context.Context, e *callEntry, step callStep) *callRec {
	if !step.Changed {
		return nil
	}
	e.rec = step.Next
	if step.Result != "" {
		// Still running for an answered call: at -call-timeout it stops
		// ringing for the invitees who have not answered (stepCall).
		e.ring.Stop()
	}
	for u, t := range e.away {
		if _, in := e.rec.Devices[u]; !in || step.Result != "" {
			t.Stop()
			delete(e.away, u)
		}
	}
	cs.s.pushCallState(ctx, &e.rec, cs.s.publish)
	cs.mirror(&e.rec)
	if step.Result == "" {
		return nil
	}
	delete(cs.byID, e.rec.CallID)
	rec := e.rec
	cs.remember(&rec)
	return &rec
}

// remember keeps rec, a call that ended, for call.get. Called with cs.mu
// held.
func (cs *calls) remember(rec *callRec) {
	if cs.ended[rec.CallID] == nil {
		cs.endedList = append(cs.endedList, rec.CallID)
	}
	cs.ended[rec.CallID] = rec
	if len(cs.endedList) > maxEndedCalls {
		delete(cs.ended, cs.endedList[0])
		cs.endedList = cs.endedList[1:]
	}
}

// pushCallState tells every device of the call's users its state: the
// device in the call sees AnsweredHere, an invitee's other devices see an
// answered call as answeredElsewhere.
// Every event goes through send: the bus, or this node's connections only.
func (s *Server) pushCallState(ctx context.Context, rec *callRec, send func(context.Context, bus.Event)) {
	users := append([]string{rec.InviterUserID}, rec.InviteeUserIDs...)
	for _, u := range users {
		call := rec.viewOf(u)
		dev, in := rec.Devices[u]
		if !in {
			if u == rec.InviterUserID {
				dev = rec.InviterDevice
			}
		}
		if dev == "" {
			s.sendCall(ctx, send, protocol.PushCallState, &call, bus.Event{UserIDs: []string{u}})
			continue
		}
		here := call
		here.AnsweredHere = in
		s.sendCall(ctx, send, protocol.PushCallState, &here, bus.Event{UserIDs: []string{u}, OnlyToken: dev})
		if call.State == protocol.CallAccepted && u != rec.InviterUserID {
			call.State = protocol.CallAnsweredElsewhere
		}
		s.sendCall(ctx, send, protocol.PushCallState, &call, bus.Event{UserIDs: []string{u}, SkipToken: dev})
	}
}

// publishCall encodes v as a push of type typ and publishes it as ev.
func (s *Server) publishCall(ctx context.Context, typ string, v any, ev bus.Event) {
	s.sendCall(ctx, s.publish, typ, v, ev)
}

// sendCall encodes v as a push of type typ and sends it as ev.
func (s *Server) sendCall(ctx context.Context, send func(context.Context, bus.Event), typ string, v any, ev bus.Event) {
	b, err := protocol.EncodeFrame("", typ, v)
	if err != nil {
		s.log.Error("encode push", "type", typ, "err", err)
		return
	}
	ev.Type, ev.Frame = typ, b
	send(ctx, ev)
}

// writeCallNotification stores the call's one notification message in
// its conversation, as the inviter's: the committer pushes it like any
// message. Its clientMsgID derives from the call, so it is stored once.
func (s *Server) writeCallNotification(ctx context.Context, rec *callRec) {
	result := map[string]string{
		protocol.CallEnded: protocol.CallResultEnded, protocol.CallMissed: protocol.CallResultMissed,
		protocol.CallCanceled: protocol.CallResultCanceled, protocol.CallRejected: protocol.CallResultRejected,
	}[rec.State]
	cc := &protocol.CallContent{Kind: protocol.NotificationCall, CallID: rec.CallID, Media: rec.Media, Result: result}
	if rec.AcceptTime > 0 && rec.EndTime > rec.AcceptTime {
		cc.DurationMs = rec.EndTime - rec.AcceptTime
	}
	content, err := protocol.EncodeContent(cc)
	if err != nil {
		s.log.Error("call notification", "call", rec.CallID, "err", err)
		return
	}
	now := s.nowMs()
	nm := store.NewMessage{
		ClientMsgID: "call_" + rec.CallID,
		ServerMsgID: serverMsgID(now),
		SendID:      rec.InviterUserID,
		ContentType: protocol.ContentNotification,
		Content:     content,
		SendTime:    now,
		CreateTime:  now,
	}
	if st, a, b, _ := protocol.ParseConversationID(rec.ConversationID); st == protocol.SessionGroup {
		nm.GroupID = a
	} else if a == rec.InviterUserID {
		nm.RecvID = b
	} else {
		nm.RecvID = a
	}
	job := &sendJob{msg: nm, done: make(chan sendResult, 1)}
	if !s.commit.enqueue(job) {
		s.log.Warn("call notification not stored: shutting down", "call", rec.CallID)
		return
	}
	go func() {
		if r := s.commit.wait(job); r.err != nil {
			s.log.Error("call notification", "call", rec.CallID, "err", r.err)
		}
	}()
}

// callSignal relays a signal to the device of req.ToUserID in the call,
// and logs it for that device's reconnects.
func (s *Server) callSignal(ctx context.Context, c caller, req *protocol.CallSignalReq) (*empty, error) {
	if len(req.Signal) == 0 || !json.Valid(req.Signal) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "signal must be a JSON value")
	}
	if len(req.Signal) > protocol.MaxCallSignalBytes {
		return nil, protocol.Errorf(protocol.CodeTooLarge, "signal is %d bytes, over the limit of %d", len(req.Signal), protocol.MaxCallSignalBytes)
	}
	if owner := callOwner(req.CallID); owner != s.presence.node {
		_, err := s.calls.forward(ctx, owner, callMsg{Op: opSignal, User: c.UserID, Device: c.TokenID, CallID: req.CallID, ToUser: req.ToUserID, Signal: req.Signal})
		if err != nil {
			return nil, err
		}
		return &empty{}, nil
	}
	return s.calls.signal(ctx, c, req)
}

// signal relays a signal of a call of this node.
func (cs *calls) signal(ctx context.Context, c caller, req *protocol.CallSignalReq) (*empty, error) {
	s := cs.s
	cs.mu.Lock()
	defer cs.mu.Unlock()
	e, err := cs.find(req.CallID)
	if err != nil {
		return nil, err
	}
	if _, err := stepCall(e.rec, callEvent{Kind: evSignal, User: c.UserID, Device: c.TokenID, To: req.ToUserID}); err != nil {
		return nil, err
	}
	if e.rec.Devices[c.UserID] != c.TokenID {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "this call is on another of your devices")
	}
	lim := e.limits[c.UserID]
	if lim == nil {
		lim = rate.NewLimiter(callSignalRate, callSignalBurst)
		e.limits[c.UserID] = lim
	}
	if !lim.Allow() {
		return nil, protocol.Errorf(protocol.CodeRateLimited, "too many signals")
	}
	if e.sentSize+len(req.Signal) > maxCallSignalLog {
		return nil, protocol.Errorf(protocol.CodeRateLimited, "this call relayed too many signals")
	}
	seq := int64(len(e.sent[req.ToUserID]) + 1)
	frame, err := protocol.EncodeFrame("", protocol.PushCallSignal, protocol.CallSignal{CallID: req.CallID, FromUserID: c.UserID, Signal: req.Signal, Seq: seq})
	if err != nil {
		return nil, err
	}
	e.sent[req.ToUserID] = append(e.sent[req.ToUserID], frame)
	e.sentSize += len(req.Signal)
	// Pushed even while the device is away: the log has it for when it
	// is back.
	s.publish(ctx, bus.Event{UserIDs: []string{req.ToUserID}, OnlyToken: e.rec.Devices[req.ToUserID], Type: protocol.PushCallSignal, Frame: frame})
	return &empty{}, nil
}

// callConfig answers the ICE servers, with TURN credentials minted for the
// caller when a TURN secret is set (the TURN REST API scheme of TURN servers: the username
// is "<expiry in Unix seconds>:<userID>", the credential the base64
// HMAC-SHA1 of the username under the secret).
func (s *Server) callConfig(_ context.Context, c caller, _ *protocol.CallIDReq) (*protocol.CallConfig, error) {
	out := &protocol.CallConfig{ICEServers: []protocol.ICEServer{}}
	user := strconv.FormatInt(s.now().Add(turnCredentialTTL).Unix(), 10) + ":" + c.UserID
	mac := hmac.New(sha1.New, []byte(s.cfg.TURNSecret))
	mac.Write([]byte(user))
	cred := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, ice := range s.cfg.ICEServers {
		if s.cfg.TURNSecret != "" && isTURN(ice.URLs) && ice.Username == "" {
			ice.Username, ice.Credential = user, cred
		}
		out.ICEServers = append(out.ICEServers, ice)
	}
	return out, nil
}

// isTURN reports whether urls (a string or a list of them) names a TURN
// server.
func isTURN(urls any) bool {
	var list []string
	switch u := urls.(type) {
	case string:
		list = []string{u}
	case []any:
		for _, v := range u {
			if s, ok := v.(string); ok {
				list = append(list, s)
			}
		}
	case []string:
		list = u
	}
	for _, u := range list {
		if strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:") {
			return true
		}
	}
	return false
}

// ParseICEServers reads -ice-servers: a JSON array of RTCIceServer
// objects, each with urls (a string or an array of strings).
func ParseICEServers(s string) ([]protocol.ICEServer, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []protocol.ICEServer
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("ice servers: %w", err)
	}
	for i, ice := range out {
		switch u := ice.URLs.(type) {
		case string:
			if u == "" {
				return nil, fmt.Errorf("ice servers: entry %d: empty urls", i)
			}
		case []any:
			if len(u) == 0 {
				return nil, fmt.Errorf("ice servers: entry %d: empty urls", i)
			}
			for _, v := range u {
				if s, ok := v.(string); !ok || s == "" {
					return nil, fmt.Errorf("ice servers: entry %d: urls must be strings", i)
				}
			}
		default:
			return nil, fmt.Errorf("ice servers: entry %d: urls must be a string or an array of strings", i)
		}
	}
	return out, nil
}

// connected is told of every new connection: a device coming back to a
// call gets the call's state and every signal relayed to it (from the
// call's node), and an invitee's device gets the invitations still ringing.
func (cs *calls) connected(c *conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	self := cs.s.presence.node
	for _, e := range cs.byID {
		r := &e.rec
		if r.Devices[c.userID] == c.tokenID {
			cs.deviceSeen(e, c.userID, self, true, true, c)
			continue
		}
		cs.ringAgain(r, c)
	}
	for id, r := range cs.mirrors {
		if r.Devices[c.userID] == c.tokenID {
			cs.report(id, c, true, true)
			continue
		}
		cs.ringAgain(r, c)
	}
}

// ringAgain sends c the invitation of r if it rings for c's user.
func (cs *calls) ringAgain(r *callRec, c *conn) {
	if r.ringsFor(c.userID) {
		if f, err := protocol.EncodeFrame("", protocol.PushCallInvited, &r.Call); err == nil {
			c.send(f)
		}
	}
}

// disconnected is told of every closed connection: when it was the last
// of a call device on this node, and no other node holds one, the device
// has the grace to come back before its part of the call ends.
func (cs *calls) disconnected(c *conn) {
	held := cs.s.hub.hasToken(c.userID, c.tokenID)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return
	}
	for _, e := range cs.byID {
		if e.rec.Devices[c.userID] == c.tokenID {
			cs.deviceSeen(e, c.userID, cs.s.presence.node, held, false, nil)
		}
	}
	for id, r := range cs.mirrors {
		if r.Devices[c.userID] == c.tokenID {
			cs.report(id, c, held, false)
		}
	}
}

// deviceSeen records whether node holds a connection of user's call
// device. Once no node does, the device has the grace to come back; a
// connection that opened gets the call's state and its signals (c when
// it is on this node, else through the bus). Called with cs.mu held.
func (cs *calls) deviceSeen(e *callEntry, user, node string, held, opened bool, c *conn) {
	h := e.held[user]
	if h == nil {
		h = map[string]bool{}
		e.held[user] = h
	}
	if held {
		h[node] = true
	} else {
		delete(h, node)
	}
	if len(h) > 0 {
		if t := e.away[user]; t != nil {
			t.Stop()
			delete(e.away, user)
		}
		if opened {
			cs.replay(e, user, c)
		}
		return
	}
	if e.away[user] != nil || cs.closed {
		return
	}
	id := e.rec.CallID
	e.away[user] = time.AfterFunc(cs.s.cfg.CallReconnectGrace, func() {
		cs.event(context.Background(), id, callEvent{Kind: evDeviceLost, User: user})
	})
}

// replay sends user's call device the call's state and every signal
// relayed to it: to c, or to the device wherever it is.
func (cs *calls) replay(e *callEntry, user string, c *conn) {
	here := e.rec.Call
	here.AnsweredHere = true
	f, err := protocol.EncodeFrame("", protocol.PushCallState, &here)
	if err != nil {
		return
	}
	frames := append([][]byte{f}, e.sent[user]...)
	for _, f := range frames {
		if c != nil {
			c.send(f)
			continue
		}
		cs.s.publish(context.Background(), bus.Event{UserIDs: []string{user}, OnlyToken: e.rec.Devices[user], Type: protocol.PushCallState, Frame: f})
	}
}

// shutdown ends every call of this node (serverRestart) and stores their
// notifications; the committer must still be running.
func (cs *calls) shutdown(ctx context.Context) {
	cs.mu.Lock()
	cs.closed = true
	var ended []*callRec
	now := cs.s.nowMs()
	for _, e := range cs.byID {
		step, err := stepCall(e.rec, callEvent{Kind: evShutdown, Now: now})
		if err != nil {
			continue
		}
		if r := cs.commit(ctx, e, step); r != nil {
			ended = append(ended, r)
		}
	}
	cs.mu.Unlock()
	for _, r := range ended {
		cs.s.writeCallNotification(ctx, r)
	}
}

// hasToken reports whether userID has a connection with tokenID here.
func (h *hub) hasToken(userID, tokenID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.byUser[userID] {
		if c.tokenID == tokenID {
			return true
		}
	}
	return false
}
