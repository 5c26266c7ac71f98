// Package bus carries server pushes to the connections of users, wherever
// those connections are. The Local bus delivers within one process;
// package natsbus implements the same interface across several parleyd
// nodes.
package bus

import (
	"context"
	"errors"
	"sync/atomic"
)

// Event is one push to the online connections of some users.
type Event struct {
	// UserIDs are the users whose connections receive Frame.
	UserIDs []string
	// SkipConn is the ID of a connection that must not receive Frame: the
	// one whose request caused it, which learns the result from its response.
	SkipConn string
	// Type is Frame's push type, for metrics and logs.
	Type string
	// Frame is the encoded push frame, sent as is.
	Frame []byte
	// OnlyToken, when set, restricts delivery to the connections
	// authenticated with that token ID (one device of a call); SkipToken
	// skips them instead (the other devices of the user).
	OnlyToken string
	SkipToken string
	// Kick, when set, restricts delivery to the connections it matches and
	// closes them after Frame is written.
	Kick *Kick
	// Control, when set, makes the event one for the servers rather than
	// for connections: it names the kind, Frame is its payload, UserIDs
	// and the connection filters are unused. Presence and calls that span
	// nodes travel this way; each node's Handler reads them.
	Control string
}

// Kick selects connections to close: those authenticated with TokenID,
// those whose token generation is below BelowGeneration, or those on
// Platform opened before StartedBefore (a newer session replaces them).
type Kick struct {
	TokenID         string
	BelowGeneration int64
	Platform        string
	// StartedBefore is a Unix time in nanoseconds.
	StartedBefore int64
}

// Conn describes a connection for Kick.Matches.
type Conn struct {
	TokenID    string
	Generation int64
	Platform   string
	// Started is when it was opened, Unix ns.
	Started int64
}

// Matches reports whether the connection c is selected.
func (k *Kick) Matches(c Conn) bool {
	return (k.TokenID != "" && k.TokenID == c.TokenID) || c.Generation < k.BelowGeneration ||
		(k.Platform != "" && k.Platform == c.Platform && c.Started < k.StartedBefore)
}

// Handler receives the events of every node, on the node that subscribed.
// A server is the Handler of its bus: it hands each event to its own
// connections of the event's users.
type Handler interface {
	// Deliver hands ev to this node's connections. It must not block: the
	// bus calls it from Publish and from its own goroutines, and events
	// published by one goroutine are delivered in the order published.
	Deliver(ev Event)
	// Missed tells that this node may have missed other nodes' events
	// (its link to them was cut, or it fell behind). The node then closes
	// its connections, so that their clients catch up through sync.
	Missed()
}

// Bus publishes events to every node's connections.
type Bus interface {
	// Subscribe makes h the receiver of every node's events, this node's
	// included. It is called once, before the first Publish; once it
	// returns, an event published by any node is delivered to h, or h is
	// told it may have missed it. A second call is an error.
	Subscribe(ctx context.Context, h Handler) error
	// Publish hands ev to every node, this one included. It does not wait
	// for delivery to the connections; events published by one goroutine
	// are delivered to each connection in the order published. Publish
	// before Subscribe is an error.
	Publish(ctx context.Context, ev Event) error
	// Close stops the bus; Publish must not be called afterwards. Whoever
	// created the bus closes it, after the server using it shut down.
	Close() error
}

// Errors of Subscribe and Publish called out of order.
var (
	ErrSubscribed    = errors.New("bus: already subscribed")
	ErrNotSubscribed = errors.New("bus: publish before subscribe")
)

// Local is the single-process Bus: Publish delivers to the subscribed
// Handler at once, in the caller's goroutine.
type Local struct {
	h atomic.Pointer[Handler]
}

var _ Bus = (*Local)(nil)

// NewLocal returns a bus for one process.
func NewLocal() *Local { return &Local{} }

// Subscribe implements Bus. A Local never calls Missed: nothing travels
// between processes, so nothing can be missed.
func (l *Local) Subscribe(_ context.Context, h Handler) error {
	if !l.h.CompareAndSwap(nil, &h) {
		return ErrSubscribed
	}
	return nil
}

// Publish implements Bus.
func (l *Local) Publish(_ context.Context, ev Event) error {
	h := l.h.Load()
	if h == nil {
		return ErrNotSubscribed
	}
	(*h).Deliver(ev)
	return nil
}

// Close implements Bus.
func (l *Local) Close() error { return nil }
