package server

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"parley/protocol"
	"parley/server/bus"
)

// Presence across nodes (docs/scaling.md, "Presence"). Every node
// publishes a heartbeat; a node that watches a user tells the others
// (presence.watch), each answers with the user's platforms on it and
// from then on publishes their changes (presence.status) for as long as
// somebody watches. A node not heard from for three heartbeats, or that
// said goodbye, is given up: its users' connections there count as gone.

// Control kinds of the presence messages on the bus.
const (
	ctlHeartbeat = "presence.heartbeat"
	ctlHello     = "presence.hello"
	ctlBye       = "presence.bye"
	ctlWatch     = "presence.watch"
	ctlUnwatch   = "presence.unwatch"
	ctlStatus    = "presence.status"
)

const (
	defaultPresenceHeartbeat = 5 * time.Second
	// presenceAckWait bounds how long a subscription waits for the other
	// nodes' answers; a late answer still arrives, as userStatusChanged.
	presenceAckWait = 2 * time.Second
	// watchChunk bounds the users of one presence.watch message.
	watchChunk = 1000
)

// presenceMsg is the payload of every presence control message.
type presenceMsg struct {
	Node string `json:"node"`
	// Req pairs a watch with its answers; To names the node answered.
	Req      string                `json:"req,omitempty"`
	To       string                `json:"to,omitempty"`
	Users    []string              `json:"users,omitempty"`
	Statuses []protocol.UserStatus `json:"statuses,omitempty"`
}

type presence struct {
	s *Server
	// node is this server's ID on the bus, whichever bus it is.
	node string

	mu    sync.Mutex
	book  *presenceBook
	conns map[string]*conn
	// waits are subscriptions waiting for the nodes' answers: req ->
	// nodes yet to answer.
	waits map[string]*presenceWait

	stop chan struct{}
	done chan struct{}
}

type presenceWait struct {
	pending map[string]bool
	done    chan struct{}
}

func newPresence(s *Server, node string) *presence {
	return &presence{s: s, node: node, book: newPresenceBook(), conns: map[string]*conn{},
		waits: map[string]*presenceWait{}, stop: make(chan struct{}), done: make(chan struct{})}
}

// start says hello (the other nodes answer with a heartbeat and what they
// watch) and runs the heartbeat.
func (p *presence) start() {
	p.publish(ctlHello, presenceMsg{})
	go p.run()
}

func (p *presence) run() {
	defer close(p.done)
	every := p.s.cfg.PresenceHeartbeat
	t := time.NewTicker(every)
	defer t.Stop()
	for beat := 1; ; beat++ {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.publish(ctlHeartbeat, presenceMsg{})
		if beat == 4 {
			// Every live node has been heard from by now: the presence
			// records of any other were left by nodes that ended without
			// letting go.
			p.mu.Lock()
			live := p.book.liveNodes()
			p.mu.Unlock()
			p.s.presenceHooks.goSweep(live)
		}
		p.mu.Lock()
		dead, notes := p.book.expire(p.s.nowMs(), 3*every.Milliseconds(), p.local)
		for _, n := range dead {
			p.answered(n, "")
		}
		p.mu.Unlock()
		for _, n := range dead {
			p.s.log.Warn("presence: node not heard from; its users count as offline", "node", n)
			p.s.calls.nodeGone(n)
		}
		if len(dead) > 0 {
			p.s.presenceHooks.goNodesGone(dead)
		}
		p.tell(notes)
	}
}

// shutdown stops the heartbeat and says goodbye, so that the other nodes
// count this node's users offline at once.
func (p *presence) shutdown() {
	close(p.stop)
	<-p.done
	p.publish(ctlBye, presenceMsg{})
}

func (p *presence) publish(kind string, m presenceMsg) {
	m.Node = p.node
	b, err := json.Marshal(m)
	if err != nil {
		p.s.log.Error("presence: encode", "err", err)
		return
	}
	p.s.publish(context.Background(), bus.Event{Control: kind, Type: kind, Frame: b})
}

// knows reports whether node is another node heard from.
func (p *presence) knows(node string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.book.nodes[node]
	return ok
}

// local returns user's platforms on this node; called with p.mu held.
func (p *presence) local(user string) []string { return p.s.hub.platforms(user) }

// tell pushes each note to its connections.
func (p *presence) tell(notes []statusNote) {
	for _, n := range notes {
		f, err := protocol.EncodeFrame("", protocol.PushUserStatus, n.Status)
		if err != nil {
			continue
		}
		p.mu.Lock()
		targets := make([]*conn, 0, len(n.Conns))
		for _, id := range n.Conns {
			if c := p.conns[id]; c != nil {
				targets = append(targets, c)
			}
		}
		p.mu.Unlock()
		for _, c := range targets {
			c.send(f)
		}
	}
}

// connChanged is told of every connection opened or closed: the user's
// watchers hear of it (only when somebody watches), and a closed
// connection's subscriptions end.
func (p *presence) connChanged(c *conn, closed bool) {
	p.mu.Lock()
	var gone []string
	if closed {
		gone = p.book.unsubscribe(c.id, nil)
		delete(p.conns, c.id)
	}
	var publish bool
	var notes []statusNote
	var local []string
	if p.book.watched(c.userID) {
		local = p.local(c.userID)
		publish, notes = p.book.localChanged(c.userID, local)
	}
	p.mu.Unlock()
	if len(gone) > 0 {
		p.publish(ctlUnwatch, presenceMsg{Users: gone})
	}
	if publish {
		p.publish(ctlStatus, presenceMsg{Statuses: []protocol.UserStatus{{UserID: c.userID, Online: len(local) > 0, Platforms: local}}})
	}
	p.tell(notes)
}

// subscribe adds users to c's subscriptions and answers their statuses,
// after the other nodes answered for those this node did not watch yet.
func (p *presence) subscribe(c *conn, users []string) ([]protocol.UserStatus, error) {
	return p.watch(c.id, c, users)
}

// statuses answers users' statuses across the nodes, as a subscription's
// first answer, without staying subscribed (offline push asks it).
func (p *presence) statuses(users []string) ([]protocol.UserStatus, error) {
	id := randomID("pq", 8) // a watcher of its own, pushed nothing
	defer p.unsubscribe(id, nil)
	return p.watch(id, nil, users)
}

// watch subscribes watcher id to users, c its connection (nil for none).
func (p *presence) watch(id string, c *conn, users []string) ([]protocol.UserStatus, error) {
	p.mu.Lock()
	fresh, err := p.book.subscribe(id, users, protocol.MaxStatusSubscriptions)
	if err != nil {
		p.mu.Unlock()
		return nil, err
	}
	if c != nil {
		p.conns[id] = c
	}
	var w *presenceWait
	req := ""
	if nodes := p.book.liveNodes(); len(fresh) > 0 && len(nodes) > 0 {
		req = randomID("pw", 8)
		w = &presenceWait{pending: map[string]bool{}, done: make(chan struct{})}
		for _, n := range nodes {
			w.pending[n] = true
		}
		p.waits[req] = w
	}
	p.mu.Unlock()
	for i := 0; i < len(fresh); i += watchChunk {
		p.publish(ctlWatch, presenceMsg{Req: req, Users: fresh[i:min(i+watchChunk, len(fresh))]})
	}
	if w != nil {
		t := time.NewTimer(presenceAckWait)
		select {
		case <-w.done:
		case <-t.C:
		}
		t.Stop()
		p.mu.Lock()
		delete(p.waits, req)
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]protocol.UserStatus, len(users))
	for i, u := range users {
		out[i] = p.book.answer(u, p.local(u))
	}
	return out, nil
}

func (p *presence) unsubscribe(id string, users []string) {
	p.mu.Lock()
	gone := p.book.unsubscribe(id, users)
	p.mu.Unlock()
	if len(gone) > 0 {
		p.publish(ctlUnwatch, presenceMsg{Users: gone})
	}
}

// answered notes that node answered the watch req ("" for all of them:
// the node is gone); called with p.mu held.
func (p *presence) answered(node, req string) {
	for r, w := range p.waits {
		if (req == "" || r == req) && w.pending[node] {
			delete(w.pending, node)
			if len(w.pending) == 0 {
				close(w.done)
				delete(p.waits, r)
			}
		}
	}
}

// control handles another node's presence message. It is called from the
// bus's delivery and must not block.
func (p *presence) control(kind string, data []byte) {
	var m presenceMsg
	if err := json.Unmarshal(data, &m); err != nil || m.Node == "" {
		p.s.log.Warn("presence: dropping malformed message", "kind", kind, "err", err)
		return
	}
	if m.Node == p.node {
		return
	}
	var notes []statusNote
	var reply []func()
	p.mu.Lock()
	unknown := kind != ctlBye && p.book.heard(m.Node, p.s.nowMs())
	switch kind {
	case ctlHello:
		// A node that starts, or that may have missed messages: it learns
		// of this node and of what it watches.
		reply = append(reply, func() { p.publish(ctlHeartbeat, presenceMsg{}) })
		unknown = true
	case ctlBye:
		notes = p.book.dropNode(m.Node, p.local)
		p.answered(m.Node, "")
	case ctlWatch:
		sts := p.book.onWatch(m.Node, m.Users, p.local)
		reply = append(reply, func() { p.publish(ctlStatus, presenceMsg{Req: m.Req, To: m.Node, Statuses: sts}) })
	case ctlUnwatch:
		p.book.onUnwatch(m.Node, m.Users)
	case ctlStatus:
		notes = p.book.onStatus(m.Node, m.Statuses, p.local)
		if m.Req != "" && m.To == p.node {
			p.answered(m.Node, m.Req)
		}
	}
	var watching []string
	if unknown {
		watching = p.book.watching()
	}
	p.mu.Unlock()
	if kind == ctlBye {
		p.s.calls.nodeGone(m.Node)
		p.s.presenceHooks.goNodesGone([]string{m.Node})
	}
	for _, f := range reply {
		f()
	}
	for i := 0; i < len(watching); i += watchChunk {
		p.publish(ctlWatch, presenceMsg{Users: watching[i:min(i+watchChunk, len(watching))]})
	}
	p.tell(notes)
}

// missed is told that this node may have missed other nodes' messages:
// it forgets what they said and says hello again. Its connections are
// being closed (hub.Missed), and their subscriptions with them.
func (p *presence) missed() {
	p.mu.Lock()
	p.book.reset()
	p.mu.Unlock()
	p.publish(ctlHello, presenceMsg{})
}

// platforms returns the platforms of userID's connections to this node,
// sorted, each once.
func (h *hub) platforms(userID string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for c := range h.byUser[userID] {
		out = append(out, c.platform)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// conn returns userID's connection connID on this node, or nil.
func (h *hub) conn(userID, connID string) *conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.byUser[userID] {
		if c.id == connID {
			return c
		}
	}
	return nil
}

// busHandler is the server's bus.Handler: pushes go to the hub, the
// servers' own messages to presence and calls.
type busHandler struct{ s *Server }

// Deliver implements bus.Handler.
func (h busHandler) Deliver(ev bus.Event) {
	if ev.Control == "" {
		h.s.hub.Deliver(ev)
		return
	}
	switch {
	case len(ev.Control) > 9 && ev.Control[:9] == "presence.":
		h.s.presence.control(ev.Control, ev.Frame)
	default:
		h.s.calls.control(ev.Control, ev.Frame)
	}
}

// Missed implements bus.Handler.
func (h busHandler) Missed() {
	h.s.hub.Missed()
	h.s.presence.missed()
}

// The subscription requests.

func (s *Server) subscribeStatus(ctx context.Context, c caller, req *protocol.GetUsersReq) (*protocol.UserStatusesResp, error) {
	users, err := checkStatusUsers(req.UserIDs)
	if err != nil {
		return nil, err
	}
	cn := s.hub.conn(c.UserID, c.ConnID)
	if cn == nil {
		return nil, protocol.Errorf(protocol.CodeUnavailable, "connection closing")
	}
	// Users the caller may not watch are answered offline and not
	// watched: a refusal would tell them apart.
	allowed := make([]string, 0, len(users))
	for _, u := range users {
		ok, err := s.mayWatch(ctx, c.UserID, u)
		if err != nil {
			return nil, err
		}
		if ok {
			allowed = append(allowed, u)
		}
	}
	sts, err := s.presence.subscribe(cn, allowed)
	if err != nil {
		return nil, err
	}
	byUser := make(map[string]protocol.UserStatus, len(sts))
	for _, st := range sts {
		byUser[st.UserID] = st
	}
	resp := &protocol.UserStatusesResp{Statuses: make([]protocol.UserStatus, 0, len(users))}
	for _, u := range users {
		st, ok := byUser[u]
		if !ok {
			st = protocol.UserStatus{UserID: u, Platforms: []string{}}
		}
		resp.Statuses = append(resp.Statuses, st)
	}
	return resp, nil
}

func (s *Server) unsubscribeStatus(_ context.Context, c caller, req *protocol.GetUsersReq) (*empty, error) {
	users, err := checkStatusUsers(req.UserIDs)
	if err != nil {
		return nil, err
	}
	if cn := s.hub.conn(c.UserID, c.ConnID); cn != nil {
		s.presence.unsubscribe(cn.id, users)
	}
	return &empty{}, nil
}

// checkStatusUsers validates a subscription's user IDs and returns them
// each once.
func checkStatusUsers(ids []string) ([]string, error) {
	if len(ids) > protocol.MaxGetUsers {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "at most %d userIDs", protocol.MaxGetUsers)
	}
	out := make([]string, 0, len(ids))
	for _, u := range ids {
		if !protocol.ValidID(u) {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID %q", u)
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out, nil
}

// mayWatch is who may see whose status (docs/protocol.md, "Presence"):
// oneself, and anyone the watcher may message one-to-one: a user who
// exists and does not block them, and with DenyStrangers a friend.
func (s *Server) mayWatch(ctx context.Context, watcher, user string) (bool, error) {
	if watcher == user {
		return true, nil
	}
	if err := s.userExists(ctx, user); err != nil {
		if protocol.CodeOf(err) == protocol.CodeNotFound {
			return false, nil
		}
		return false, err
	}
	if blocked, err := s.blockedBy(ctx, user, watcher); err != nil || blocked {
		return false, err
	}
	if s.cfg.DenyStrangers {
		return s.store.AreFriends(ctx, watcher, user)
	}
	return true, nil
}
