package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// gateStore holds the next write of a send after arm() until release,
// as if the writer were preempted mid-write, and notes a Close that comes
// while such a write is in flight.
type gateStore struct {
	*mem.Store
	mu       sync.Mutex
	armed    bool
	inFlight bool
	entered  chan struct{}
	release  chan struct{}
	closedIn bool // Close ran while a write was in flight
}

func (g *gateStore) arm() {
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
}

func (g *gateStore) Apply(ctx context.Context, ch *core.Changes) error {
	g.mu.Lock()
	hold := g.armed && len(ch.Outbox) > 0
	if hold {
		g.armed = false
		g.inFlight = true
	}
	g.mu.Unlock()
	if hold {
		close(g.entered)
		<-g.release
		defer func() {
			g.mu.Lock()
			g.inFlight = false
			g.mu.Unlock()
		}()
	}
	return g.Store.Apply(ctx, ch)
}

func (g *gateStore) Close() error {
	g.mu.Lock()
	if g.inFlight {
		g.closedIn = true
	}
	g.mu.Unlock()
	return g.Store.Close()
}

// Logout must not close the store under a write the app's own call (here a
// send) has under way: that write would land after the store changed hands
// and could undo what the next login writes.
func TestLogoutWaitsForWritesInFlight(t *testing.T) {
	st := mem.New()
	conv := protocol.SingleConversationID("me", "bob")
	if err := st.Apply(context.Background(), &core.Changes{Conversations: []core.Conversation{{
		ConversationID: conv, SessionType: protocol.SessionSingle, UserID: "bob",
		MinSeq: 1, MaxSeq: 3, LocalMaxSeq: 3, UnreadCount: 3,
	}}}); err != nil {
		t.Fatal(err)
	}
	g := &gateStore{entered: make(chan struct{}), release: make(chan struct{})}
	c, err := core.New(core.Config{
		ServerURL: "http://parley.test",
		Dialer:    &fakeServer{dialErr: errors.New("server away")},
		OpenStore: func(context.Context, string) (core.Store, error) {
			g.Store = st.Reopen()
			return g, nil
		},
		ReconnectMinDelay: time.Millisecond,
		ReconnectMaxDelay: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	g.arm()
	m, err := c.CreateTextMessage("hi")
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		_, err := c.SendMessage(sctx, m, "bob", "")
		sent <- err
	}()
	<-g.entered
	loggedOut := make(chan error, 1)
	go func() { loggedOut <- c.Logout(ctx) }()
	// Give Logout every chance to close the store under the write.
	time.Sleep(100 * time.Millisecond)
	close(g.release)
	<-sent // stored or refused; either way it has returned
	if err := <-loggedOut; err != nil {
		t.Errorf("Logout: %v", err)
	}
	if g.closedIn {
		t.Error("Logout closed the store while a write was in flight")
	}
}
