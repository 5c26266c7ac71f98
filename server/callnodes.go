package server

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"parley/protocol"
	"parley/server/bus"
)

// Calls across nodes (docs/scaling.md, "Calls"). A call is held by the
// node that took its call.start, named at the end of its ID. A request
// about it that reaches another node is passed to that node over the bus
// (call.req) and answered back (call.resp); the pushes it makes travel on
// the bus like any. The holder tells every node each state of its calls
// (call.mirror), so that a node can ring an invitee's device that connects
// to it, report a call device's connections to the holder (its reconnect
// grace), and, when the holder stops being heard without ending its calls,
// end them for its own connections.

// Control kinds of the call messages on the bus.
const (
	ctlCallReq    = "call.req"
	ctlCallResp   = "call.resp"
	ctlCallMirror = "call.mirror"
)

// Operations of call.req besides the callEventKind names.
const (
	opSignal = "signal"
	opGet    = "get"
	// opDevice reports whether the sending node holds a connection of a
	// call device (Held).
	opDevice = "device"
)

// callForwardWait bounds the wait for the holder's answer; a holder that
// does not answer is taken to be gone, and the call with it.
const callForwardWait = 5 * time.Second

// callMsg is the payload of every call control message.
type callMsg struct {
	Node string `json:"node"`
	// To is the node addressed: the holder of a request, the asker of an
	// answer.
	To     string          `json:"to,omitempty"`
	Req    string          `json:"req,omitempty"`
	Op     string          `json:"op,omitempty"`
	User   string          `json:"user,omitempty"`
	Device string          `json:"device,omitempty"`
	CallID string          `json:"callID,omitempty"`
	ToUser string          `json:"toUser,omitempty"`
	Signal json.RawMessage `json:"signal,omitempty"`
	Held   bool            `json:"held,omitempty"`
	// Opened: the report is of a connection that opened.
	Opened bool `json:"opened,omitempty"`
	// Rec is the call of a call.mirror.
	Rec *callRec `json:"rec,omitempty"`
	// Call and Err are a call.resp's answer.
	Call *protocol.Call  `json:"call,omitempty"`
	Err  *protocol.Error `json:"err,omitempty"`
}

// callOwner returns the node that holds callID ("" for an ID without one).
func callOwner(callID string) string {
	i := strings.LastIndexByte(callID, '.')
	if i < 0 {
		return ""
	}
	return callID[i+1:]
}

func (cs *calls) publishCtl(kind string, m callMsg) {
	m.Node = cs.s.presence.node
	b, err := json.Marshal(m)
	if err != nil {
		cs.s.log.Error("calls: encode", "err", err)
		return
	}
	cs.s.publish(context.Background(), bus.Event{Control: kind, Type: kind, Frame: b})
}

// mirror tells the other nodes rec's state. Called with cs.mu held.
func (cs *calls) mirror(rec *callRec) {
	r := rec.clone()
	cs.publishCtl(ctlCallMirror, callMsg{Rec: &r})
}

// forward passes a request about a call of node owner on to it and
// returns its answer.
func (cs *calls) forward(ctx context.Context, owner string, m callMsg) (*protocol.Call, error) {
	gone := protocol.Errorf(protocol.CodeNotFound, "no such call in progress")
	if m.CallID == "" || len(m.CallID) > protocol.MaxClientMsgIDLen {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid callID")
	}
	if !cs.s.presence.knows(owner) {
		// No node by that name: no such call, and no wait for an answer.
		return nil, gone
	}
	m.To, m.Req = owner, randomID("cr", 8)
	ch := make(chan callMsg, 1)
	cs.pmu.Lock()
	cs.pending[m.Req] = ch
	cs.pmu.Unlock()
	defer func() {
		cs.pmu.Lock()
		delete(cs.pending, m.Req)
		cs.pmu.Unlock()
	}()
	cs.publishCtl(ctlCallReq, m)
	t := time.NewTimer(callForwardWait)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Call, nil
	case <-t.C:
		return nil, gone
	case <-ctx.Done():
		return nil, gone
	}
}

// report tells the holder of call id whether this node holds a
// connection of c's device. Called with cs.mu held.
func (cs *calls) report(id string, c *conn, held, opened bool) {
	cs.publishCtl(ctlCallReq, callMsg{To: callOwner(id), Op: opDevice, User: c.userID, Device: c.tokenID, CallID: id, Held: held, Opened: opened})
}

// control handles another node's call message; from the bus's delivery,
// so it does not block.
func (cs *calls) control(kind string, data []byte) {
	var m callMsg
	if err := json.Unmarshal(data, &m); err != nil || m.Node == "" {
		cs.s.log.Warn("calls: dropping malformed message", "kind", kind, "err", err)
		return
	}
	self := cs.s.presence.node
	if m.Node == self {
		return
	}
	switch kind {
	case ctlCallResp:
		if m.To != self {
			return
		}
		cs.pmu.Lock()
		ch := cs.pending[m.Req]
		cs.pmu.Unlock()
		if ch != nil {
			select {
			case ch <- m:
			default:
			}
		}
	case ctlCallReq:
		if m.To != self {
			return
		}
		if m.Op == opDevice {
			cs.mu.Lock()
			if e := cs.byID[m.CallID]; e != nil && e.rec.Devices[m.User] == m.Device {
				cs.deviceSeen(e, m.User, m.Node, m.Held, m.Opened, nil)
			}
			cs.mu.Unlock()
			return
		}
		// Answering may take the store: not on the bus's goroutine.
		go cs.serve(m)
	case ctlCallMirror:
		if m.Rec == nil || callOwner(m.Rec.CallID) != m.Node {
			return
		}
		cs.mu.Lock()
		if m.Rec.final() {
			delete(cs.mirrors, m.Rec.CallID)
			cs.remember(m.Rec)
		} else if cs.ended[m.Rec.CallID] == nil {
			cs.mirrors[m.Rec.CallID] = m.Rec
		}
		cs.mu.Unlock()
	}
}

// serve answers a request passed on by another node.
func (cs *calls) serve(m callMsg) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	s := cs.s
	c := caller{UserID: m.User, TokenID: m.Device}
	var call *protocol.Call
	var err error
	switch m.Op {
	case opGet:
		call, err = cs.get(c, m.CallID)
	case opSignal:
		_, err = cs.signal(ctx, c, &protocol.CallSignalReq{CallID: m.CallID, ToUserID: m.ToUser, Signal: m.Signal})
	default:
		kind, ok := callEventKindOf(m.Op)
		if !ok {
			err = protocol.Errorf(protocol.CodeInvalidArgument, "unknown call operation %q", m.Op)
			break
		}
		call, err = cs.act(ctx, m.CallID, callEvent{Kind: kind, User: m.User, Device: m.Device}, m.Node)
	}
	r := callMsg{To: m.Node, Req: m.Req, Call: call}
	if err != nil {
		r.Call, r.Err = nil, s.publicError(err)
	}
	cs.publishCtl(ctlCallResp, r)
}

// callEventKindOf is the request event named name.
func callEventKindOf(name string) (callEventKind, bool) {
	for _, k := range []callEventKind{evAccept, evReject, evCancel, evHangUp} {
		if k.String() == name {
			return k, true
		}
	}
	return 0, false
}

// nodeGone ends, for this node's connections, the calls of a node that
// stopped being heard without ending them (it crashed, or is cut off):
// as a restart would, and with the call's notification, which the
// conversation stores once whichever nodes write it. The call devices
// the node held for this node's calls count as disconnected.
func (cs *calls) nodeGone(node string) {
	ctx := context.Background()
	now := cs.s.nowMs()
	var ended []*callRec
	cs.mu.Lock()
	for _, e := range cs.byID {
		for user, h := range e.held {
			if h[node] {
				cs.deviceSeen(e, user, node, false, false, nil)
			}
		}
	}
	for id, r := range cs.mirrors {
		if callOwner(id) != node {
			continue
		}
		step, err := stepCall(*r, callEvent{Kind: evShutdown, Now: now})
		delete(cs.mirrors, id)
		if err != nil || !step.Changed {
			continue
		}
		rec := step.Next
		cs.remember(&rec)
		cs.s.pushCallState(ctx, &rec, func(_ context.Context, ev bus.Event) { cs.s.hub.Deliver(ev) })
		ended = append(ended, &rec)
	}
	cs.mu.Unlock()
	for _, r := range ended {
		cs.s.log.Warn("call ended: its node is gone", "call", r.CallID, "node", node)
		cs.s.writeCallNotification(ctx, r)
	}
}
