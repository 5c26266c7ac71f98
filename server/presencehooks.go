package server

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"

	"parley/server/store"
)

// presenceHooks queues userOnline and userOffline once for all the nodes.
// Each node records in the store whether it holds a user's connections
// (store.PresenceNodes); userOnline is queued by the node whose record is
// the user's first, userOffline by the one whose record was their last,
// in the same transaction as the record. The records of a node gone
// without letting go (a crash, a lost heartbeat) are dropped by the
// others, and by the node itself at its next start, once it has heard
// which nodes are alive.
type presenceHooks struct {
	s    *Server
	node string
	seed maphash.Seed
	// stripes serialize one user's changes on this node, so that a close
	// and an open racing cannot leave the record the wrong way round.
	stripes [64]sync.Mutex

	// bg counts the drops of gone nodes in progress (shutdown waits).
	bg sync.WaitGroup

	mu sync.Mutex
	// recorded are the users this node has a record of.
	recorded map[string]bool
}

func newPresenceHooks(s *Server, node string) *presenceHooks {
	return &presenceHooks{s: s, node: node, seed: maphash.MakeSeed(), recorded: map[string]bool{}}
}

// active reports whether either event is wanted: with neither, nothing is
// recorded.
func (h *presenceHooks) active() bool {
	w := h.s.webhooks
	return w.on(EventUserOnline) || w.on(EventUserOffline)
}

// job is ev's job for userID, or an empty one (queued by nobody) when ev
// is not wanted.
func (h *presenceHooks) job(ev, userID, platform string) (store.WebhookJob, error) {
	w := h.s.webhooks
	if !w.on(ev) {
		return store.WebhookJob{}, nil
	}
	return w.job(ev, randomID("wh", 12), PresenceData{UserID: userID, Platform: platform})
}

// changed brings userID's record in line with this node's connections
// after one of them opened or closed (platform: its platform).
func (h *presenceHooks) changed(userID, platform string) {
	if !h.active() {
		return
	}
	mu := &h.stripes[maphash.String(h.seed, userID)%uint64(len(h.stripes))]
	mu.Lock()
	defer mu.Unlock()
	online := len(h.s.hub.platforms(userID)) > 0
	h.mu.Lock()
	have := h.recorded[userID]
	h.mu.Unlock()
	if online == have {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	ev := EventUserOffline
	if online {
		ev = EventUserOnline
	}
	j, err := h.job(ev, userID, platform)
	var queued bool
	if err == nil && online {
		queued, err = h.s.store.AddPresenceNode(ctx, userID, h.node, platform, j)
	} else if err == nil {
		queued, err = h.s.store.RemovePresenceNode(ctx, userID, h.node, j)
	}
	if err != nil {
		// Unrecorded: the next change of the user's connections here
		// tries again.
		h.s.log.Error("webhook: presence record", "user", userID, "err", err)
		return
	}
	h.mu.Lock()
	if online {
		h.recorded[userID] = true
	} else {
		delete(h.recorded, userID)
	}
	h.mu.Unlock()
	if queued {
		h.s.webhooks.poke()
	}
}

// goNodesGone runs nodesGone in the background (from the bus's and the
// heartbeat's goroutines, which must not wait for the store).
func (h *presenceHooks) goNodesGone(nodes []string) {
	h.bg.Go(func() { h.nodesGone(nodes) })
}

// goSweep runs sweep in the background.
func (h *presenceHooks) goSweep(live []string) {
	h.bg.Go(func() { h.sweep(live) })
}

// wait waits for the background drops (shutdown).
func (h *presenceHooks) wait() { h.bg.Wait() }

// nodesGone drops the records of nodes given up: their users with no
// other node get userOffline.
func (h *presenceHooks) nodesGone(nodes []string) {
	if !h.active() || len(nodes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*webhookTimeout)
	defer cancel()
	for _, n := range nodes {
		if n == h.node {
			continue
		}
		gone, err := h.s.store.DropPresenceNode(ctx, n, func(userID, platform string) (store.WebhookJob, error) {
			return h.job(EventUserOffline, userID, platform)
		})
		if err != nil {
			h.s.log.Error("webhook: dropping a gone node's presence", "node", n, "err", err)
			continue
		}
		if len(gone) > 0 {
			h.s.log.Info("webhook: users of a gone node count as offline", "node", n, "users", len(gone))
			h.s.webhooks.poke()
		}
	}
}

// sweep drops the records of every node but this one and the live ones:
// those left by nodes that ended without letting go, this node's earlier
// runs included (node IDs are new at each start).
func (h *presenceHooks) sweep(live []string) {
	if !h.active() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	nodes, err := h.s.store.PresenceNodeIDs(ctx)
	if err != nil {
		h.s.log.Error("webhook: listing presence nodes", "err", err)
		return
	}
	nodes = slices.DeleteFunc(nodes, func(n string) bool { return n == h.node || slices.Contains(live, n) })
	h.nodesGone(nodes)
}
