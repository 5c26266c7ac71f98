package server

import (
	"slices"
	"strings"

	"parley/protocol"
)

// The presence decisions: presenceBook is what one node knows about who
// watches whom and who is online where, and every change to it is a pure
// method that says what to publish and whom to tell (table-tested in
// presencebook_test.go). presence.go does the I/O around it.
//
// A node tracks only users somebody watches: its own connections'
// subscriptions (watchers), the users other nodes told it they watch
// (interest), and for the users it watches the platforms each other node
// last reported (remote). A user nobody watches costs no entry and no
// message.

// statusNote is one change to tell: Status to the connections Conns.
type statusNote struct {
	Status protocol.UserStatus
	Conns  []string
}

type presenceBook struct {
	// watchers: user -> this node's connection IDs watching them.
	watchers map[string]map[string]struct{}
	// byConn: connection ID -> the users it watches.
	byConn map[string]map[string]struct{}
	// interest: user -> the other nodes watching them.
	interest map[string]map[string]struct{}
	// remote: watched user -> other node -> its platforms there.
	remote map[string]map[string][]string
	// told: watched user -> the platforms last told to its watchers.
	told map[string]string
	// published: user -> the local platforms last published to the
	// interested nodes.
	published map[string]string
	// nodes: other node -> when it was last heard from, Unix ms.
	nodes map[string]int64
	// asking: users whose first subscription waits for the other nodes'
	// answers; what they answer goes into it, not into pushes.
	asking map[string]bool
}

func newPresenceBook() *presenceBook {
	return &presenceBook{
		watchers: map[string]map[string]struct{}{}, byConn: map[string]map[string]struct{}{},
		interest: map[string]map[string]struct{}{}, remote: map[string]map[string][]string{},
		told: map[string]string{}, published: map[string]string{}, nodes: map[string]int64{},
		asking: map[string]bool{},
	}
}

// watched reports whether anybody, here or on another node, watches user:
// when not, a change of theirs costs nothing.
func (b *presenceBook) watched(user string) bool {
	return len(b.watchers[user]) > 0 || len(b.interest[user]) > 0
}

// subscribe adds users to conn's subscriptions; it fails when conn would
// watch more than max. It returns the users this node did not watch
// before, whose watch the other nodes must hear of.
func (b *presenceBook) subscribe(conn string, users []string, max int) (fresh []string, err error) {
	mine := b.byConn[conn]
	n := len(mine)
	for _, u := range users {
		if _, ok := mine[u]; !ok {
			n++
		}
	}
	if n > max {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "a connection watches at most %d users", max)
	}
	if mine == nil {
		mine = map[string]struct{}{}
		b.byConn[conn] = mine
	}
	for _, u := range users {
		mine[u] = struct{}{}
		w := b.watchers[u]
		if w == nil {
			w = map[string]struct{}{}
			b.watchers[u] = w
			b.asking[u] = true
			fresh = append(fresh, u)
		}
		w[conn] = struct{}{}
	}
	return fresh, nil
}

// unsubscribe drops users from conn's subscriptions (all of them when
// users is nil: the connection closed) and returns those this node no
// longer watches at all.
func (b *presenceBook) unsubscribe(conn string, users []string) (gone []string) {
	mine := b.byConn[conn]
	if users == nil {
		for u := range mine {
			users = append(users, u)
		}
		slices.Sort(users)
	}
	for _, u := range users {
		if _, ok := mine[u]; !ok {
			continue
		}
		delete(mine, u)
		delete(b.watchers[u], conn)
		if len(b.watchers[u]) == 0 {
			delete(b.watchers, u)
			delete(b.remote, u)
			delete(b.told, u)
			delete(b.asking, u)
			if len(b.interest[u]) == 0 {
				delete(b.published, u)
			}
			gone = append(gone, u)
		}
	}
	if len(mine) == 0 {
		delete(b.byConn, conn)
	}
	return gone
}

// status is user's status as this node knows it: its own platforms for
// them (local) with those the other nodes reported.
func (b *presenceBook) status(user string, local []string) protocol.UserStatus {
	all := slices.Clone(local)
	for _, ps := range b.remote[user] {
		all = append(all, ps...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if all == nil {
		all = []string{}
	}
	return protocol.UserStatus{UserID: user, Online: len(all) > 0, Platforms: all}
}

// answer is the status a subscription is answered with; it becomes what
// its watchers were told.
func (b *presenceBook) answer(user string, local []string) protocol.UserStatus {
	st := b.status(user, local)
	delete(b.asking, user)
	if _, ok := b.watchers[user]; ok {
		b.told[user] = strings.Join(st.Platforms, ",")
	}
	return st
}

// retell says whom to tell of user's status when it may have changed.
func (b *presenceBook) retell(user string, local []string) []statusNote {
	w := b.watchers[user]
	if len(w) == 0 || b.asking[user] {
		return nil
	}
	st := b.status(user, local)
	key := strings.Join(st.Platforms, ",")
	if told, ok := b.told[user]; ok && told == key {
		return nil
	}
	b.told[user] = key
	conns := make([]string, 0, len(w))
	for c := range w {
		conns = append(conns, c)
	}
	slices.Sort(conns)
	return []statusNote{{Status: st, Conns: conns}}
}

// localChanged is told that user's connections to this node changed;
// local are their platforms here now. publish says whether the other
// nodes must hear it (some watch the user and the platforms changed).
func (b *presenceBook) localChanged(user string, local []string) (publish bool, notes []statusNote) {
	if len(b.interest[user]) > 0 {
		key := strings.Join(local, ",")
		if last, ok := b.published[user]; !ok || last != key {
			b.published[user] = key
			publish = true
		}
	}
	return publish, b.retell(user, local)
}

// onWatch records that node watches users and returns those of them
// online here, with their platforms (local), as the answer it needs.
func (b *presenceBook) onWatch(node string, users []string, local func(string) []string) []protocol.UserStatus {
	out := []protocol.UserStatus{}
	for _, u := range users {
		in := b.interest[u]
		if in == nil {
			in = map[string]struct{}{}
			b.interest[u] = in
		}
		in[node] = struct{}{}
		ps := local(u)
		b.published[u] = strings.Join(ps, ",")
		if len(ps) > 0 {
			out = append(out, protocol.UserStatus{UserID: u, Online: true, Platforms: ps})
		}
	}
	return out
}

// onUnwatch records that node no longer watches users.
func (b *presenceBook) onUnwatch(node string, users []string) {
	for _, u := range users {
		delete(b.interest[u], node)
		if len(b.interest[u]) == 0 {
			delete(b.interest, u)
			if len(b.watchers[u]) == 0 {
				delete(b.published, u)
			}
		}
	}
}

// onStatus records what node reports of its connections: for each
// status, the user's platforms there (an offline status clears them).
// Statuses of users this node does not watch are ignored.
func (b *presenceBook) onStatus(node string, sts []protocol.UserStatus, local func(string) []string) []statusNote {
	var notes []statusNote
	for _, st := range sts {
		if len(b.watchers[st.UserID]) == 0 {
			continue
		}
		r := b.remote[st.UserID]
		if len(st.Platforms) == 0 {
			delete(r, node)
		} else {
			if r == nil {
				r = map[string][]string{}
				b.remote[st.UserID] = r
			}
			r[node] = slices.Clone(st.Platforms)
		}
		notes = append(notes, b.retell(st.UserID, local(st.UserID))...)
	}
	return notes
}

// heard records a sign of life from node at now and reports whether the
// node was unknown (new, or back after being given up): it then needs to
// hear what this node watches.
func (b *presenceBook) heard(node string, now int64) (unknown bool) {
	_, known := b.nodes[node]
	b.nodes[node] = now
	return !known
}

// expire gives up the nodes not heard from since now-ttl: their users'
// platforms there are dropped (they went offline with the node) and so
// is their interest.
func (b *presenceBook) expire(now, ttl int64, local func(string) []string) (dead []string, notes []statusNote) {
	for n, at := range b.nodes {
		if now-at > ttl {
			dead = append(dead, n)
		}
	}
	slices.Sort(dead)
	for _, n := range dead {
		notes = append(notes, b.dropNode(n, local)...)
	}
	return dead, notes
}

// dropNode forgets node (it said goodbye, or stopped being heard).
func (b *presenceBook) dropNode(node string, local func(string) []string) []statusNote {
	delete(b.nodes, node)
	var users []string
	for u, r := range b.remote {
		if _, ok := r[node]; ok {
			delete(r, node)
			users = append(users, u)
		}
	}
	var interested []string
	for u, in := range b.interest {
		if _, ok := in[node]; ok {
			interested = append(interested, u)
		}
	}
	b.onUnwatch(node, interested)
	slices.Sort(users)
	var notes []statusNote
	for _, u := range users {
		notes = append(notes, b.retell(u, local(u))...)
	}
	return notes
}

// reset forgets everything other nodes said (this node may have missed
// some of it); its connections' subscriptions stay.
func (b *presenceBook) reset() {
	b.interest = map[string]map[string]struct{}{}
	b.remote = map[string]map[string][]string{}
	b.nodes = map[string]int64{}
	for u := range b.published {
		if len(b.watchers[u]) == 0 {
			delete(b.published, u)
		}
	}
}

// watching lists the users this node watches, sorted.
func (b *presenceBook) watching() []string {
	out := make([]string, 0, len(b.watchers))
	for u := range b.watchers {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// liveNodes lists the other nodes known, sorted.
func (b *presenceBook) liveNodes() []string {
	out := make([]string, 0, len(b.nodes))
	for n := range b.nodes {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
