// Package bus carries server pushes to the connections of users, wherever
// those connections are. The Local bus delivers within one process; a NATS
// bus for several parleyd nodes will implement the same interface.
package bus

import "context"

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
	// Kick, when set, restricts delivery to the connections it matches and
	// closes them after Frame is written.
	Kick *Kick
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

// Bus publishes events to every node's connections.
type Bus interface {
	// Publish hands ev to every node, this one included. It does not wait
	// for delivery to the connections; events published by one goroutine
	// are delivered to each connection in the order published.
	Publish(ctx context.Context, ev Event) error
	// Close stops the bus; Publish must not be called afterwards.
	Close() error
}

// Local is the single-process Bus: Publish calls the deliver function given
// to NewLocal.
type Local struct {
	deliver func(Event)
}

var _ Bus = (*Local)(nil)

// NewLocal returns a bus that delivers each event by calling deliver, which
// must not block.
func NewLocal(deliver func(Event)) *Local { return &Local{deliver: deliver} }

// Publish implements Bus.
func (l *Local) Publish(_ context.Context, ev Event) error {
	l.deliver(ev)
	return nil
}

// Close implements Bus.
func (l *Local) Close() error { return nil }
