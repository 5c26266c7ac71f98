package server

import (
	"sync"

	"github.com/gorilla/websocket"

	"parley/protocol"
	"parley/server/bus"
)

// hub knows this node's open connections by user, and delivers bus events
// to them without ever blocking: a connection whose queue is full is closed.
type hub struct {
	metrics *metrics
	mu      sync.RWMutex
	byUser  map[string]map[*conn]struct{}
}

func newHub(m *metrics) *hub {
	return &hub{metrics: m, byUser: make(map[string]map[*conn]struct{})}
}

// add registers c and reports whether it is its user's first connection
// to this node.
func (h *hub) add(c *conn) (first bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.byUser[c.userID]
	if set == nil {
		set = make(map[*conn]struct{})
		h.byUser[c.userID] = set
	}
	set[c] = struct{}{}
	h.metrics.connections.Inc()
	return len(set) == 1
}

// online reports whether userID has a connection to this node.
func (h *hub) online(userID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.byUser[userID]) > 0
}

// remove unregisters c and reports whether it was its user's last
// connection to this node.
func (h *hub) remove(c *conn) (last bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.byUser[c.userID]
	if _, ok := set[c]; !ok {
		return false
	}
	delete(set, c)
	if len(set) == 0 {
		delete(h.byUser, c.userID)
		last = true
	}
	h.metrics.connections.Dec()
	return last
}

func (h *hub) count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for _, set := range h.byUser {
		n += len(set)
	}
	return n
}

func (h *hub) all() []*conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*conn
	for _, set := range h.byUser {
		for c := range set {
			out = append(out, c)
		}
	}
	return out
}

// hub is the Handler of the server's bus.
var _ bus.Handler = (*hub)(nil)

// Deliver implements bus.Handler: it queues ev.Frame on the matching
// connections. Called from one goroutine per publisher, so a publisher's
// events reach each connection in order.
func (h *hub) Deliver(ev bus.Event) {
	h.mu.RLock()
	var targets []*conn
	for _, uid := range ev.UserIDs {
		for c := range h.byUser[uid] {
			if c.id == ev.SkipConn || (ev.OnlyToken != "" && c.tokenID != ev.OnlyToken) || (ev.SkipToken != "" && c.tokenID == ev.SkipToken) {
				continue
			}
			if ev.Kick != nil && !ev.Kick.Matches(c.kickInfo()) {
				continue
			}
			targets = append(targets, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range targets {
		if c.send(ev.Frame) {
			h.metrics.pushes.WithLabelValues(ev.Type).Inc()
			if ev.Type == protocol.PushMessage {
				h.metrics.messagesOut.Inc()
			}
		}
		if ev.Kick != nil {
			c.stop(websocket.ClosePolicyViolation, "kicked", true)
		}
	}
}

// drainAll asks every connection to stop reading, finish what it read and
// close with "going away".
func (h *hub) drainAll() {
	for _, c := range h.all() {
		c.drain()
	}
}

// Missed implements bus.Handler: a node that may have missed pushes (its
// NATS link came back) closes its connections, whose clients reconnect
// and catch up through sync.
func (h *hub) Missed() { h.drainAll() }

// abortAll closes every connection at once, even one whose writer is
// blocked on a slow reader.
func (h *hub) abortAll() {
	for _, c := range h.all() {
		c.stop(websocket.CloseGoingAway, "server shutting down", false)
		c.ws.Close()
	}
}
