package core_test

import (
	"context"
	"errors"
	"testing"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

func TestClose(t *testing.T) {
	st := mem.New()
	fs := &fakeServer{}
	c, rec := newTestClient(t, fs, st, nil)
	ctx := context.Background()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "catch-up", syncFinished)
	c.WaitEvents()
	rec.mu.Lock()
	before := len(rec.events)
	rec.mu.Unlock()

	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The session ended: its store is closed (the client held a reopened
	// copy of st) and its connection too.
	if _, err := st.Reopen().Groups(ctx); err != nil {
		t.Fatalf("store data after Close: %v", err)
	}
	fs.mu.Lock()
	for _, conn := range fs.conns {
		select {
		case <-conn.done:
		default:
			t.Error("a connection is still open after Close")
		}
	}
	fs.mu.Unlock()

	calls := map[string]error{}
	_, calls["SelfInfo"] = c.SelfInfo(ctx)
	_, calls["CreateTextMessage"] = c.CreateTextMessage("x")
	_, calls["SendMessage"] = c.SendMessage(ctx, core.Message{ClientMsgID: "a", Text: "x"}, "bob", "")
	_, calls["ConversationList"] = c.ConversationList(ctx, 0, 10)
	_, calls["JoinedGroupList"] = c.JoinedGroupList(ctx)
	calls["Login"] = c.Login(ctx, "me", "tok")
	calls["Logout"] = c.Logout(ctx)
	for name, err := range calls {
		if protocol.CodeOf(err) != protocol.CodeClosed {
			t.Errorf("%s after Close: err = %v, want closed", name, err)
		}
	}
	if c.LoginUserID() != "" || c.ConnectionState() != core.ConnDisconnected {
		t.Errorf("after Close: user %q, state %s", c.LoginUserID(), c.ConnectionState())
	}
	if err := c.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// Handlers are dropped: registering one now is a no-op, and nothing is
	// delivered after Close but the disconnect, if its delivery had begun.
	called := false
	c.On(func(core.Event) { called = true })()
	c.WaitEvents()
	rec.mu.Lock()
	after := rec.events[before:]
	rec.mu.Unlock()
	for _, ev := range after {
		if _, ok := ev.(core.ConnectionStateChanged); !ok {
			t.Errorf("event after Close: %#v", ev)
		}
	}
	if called {
		t.Error("a handler registered after Close was called")
	}
}

// TestCloseLoggedOut: a client never logged in closes too.
func TestCloseLoggedOut(t *testing.T) {
	c, _ := newTestClient(t, &fakeServer{}, mem.New(), nil)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var e *core.Error
	if err := c.Login(context.Background(), "me", "tok"); !errors.As(err, &e) || e.Code != protocol.CodeClosed {
		t.Fatalf("Login after Close: %v", err)
	}
}
