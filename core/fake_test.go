package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// fakeServer is a scripted in-memory server behind a core.Dialer: enough of
// the protocol to drive the client's connection and outbox logic without a
// real server (the e2e package tests against parleyd).
type fakeServer struct {
	dials atomic.Int64

	mu sync.Mutex
	// dialErr, when set, is returned by Dial.
	dialErr error
	// handle answers a request; nil answer and nil error means no answer.
	handle func(f *protocol.Frame) (any, *protocol.Error, bool)
	conns  []*fakeConn
	seq    int64
}

func (s *fakeServer) Dial(ctx context.Context, url string) (core.Conn, error) {
	s.dials.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dialErr != nil {
		return nil, s.dialErr
	}
	c := &fakeConn{s: s, in: make(chan []byte, 1024), done: make(chan struct{})}
	s.conns = append(s.conns, c)
	return c, nil
}

func (s *fakeServer) set(fn func(*fakeServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

// push sends a push frame on every live connection.
func (s *fakeServer) push(typ string, v any) {
	b, _ := protocol.EncodeFrame("", typ, v)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.deliver(b)
	}
}

type fakeConn struct {
	s     *fakeServer
	in    chan []byte
	once  sync.Once
	done  chan struct{}
	mu    sync.Mutex
	ended bool
}

func (c *fakeConn) deliver(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended {
		c.in <- b
	}
}

func (c *fakeConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.in:
		return b, nil
	case <-c.done:
		return nil, errors.New("closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *fakeConn) Write(ctx context.Context, p []byte) error {
	select {
	case <-c.done:
		return errors.New("closed")
	default:
	}
	f, err := protocol.DecodeFrame(p)
	if err != nil {
		return err
	}
	c.s.mu.Lock()
	h := c.s.handle
	c.s.mu.Unlock()
	var resp any
	var perr *protocol.Error
	answer := true
	if h != nil {
		resp, perr, answer = h(f)
	} else {
		resp, perr = defaultAnswer(c.s, f)
	}
	if !answer {
		return nil
	}
	var b []byte
	if perr != nil {
		b, _ = protocol.EncodeError(f.ID, f.Type, perr)
	} else {
		b, _ = protocol.EncodeFrame(f.ID, f.Type, resp)
	}
	c.deliver(b)
	return nil
}

func (c *fakeConn) Close() error {
	c.once.Do(func() {
		c.mu.Lock()
		c.ended = true
		c.mu.Unlock()
		close(c.done)
	})
	return nil
}

// defaultAnswer is a well-behaved empty server that acks every send.
func defaultAnswer(s *fakeServer, f *protocol.Frame) (any, *protocol.Error) {
	switch f.Type {
	case protocol.ReqPing:
		return protocol.Pong{ServerTime: 1}, nil
	case protocol.ReqSync:
		return protocol.SyncResp{Conversations: []protocol.ConversationState{}}, nil
	case protocol.ReqPull:
		return protocol.PullResp{Messages: []protocol.Message{}}, nil
	case protocol.ReqSend:
		var req protocol.SendReq
		_ = json.Unmarshal(f.Data, &req)
		s.mu.Lock()
		s.seq++
		seq := s.seq
		s.mu.Unlock()
		return protocol.SendResp{ConversationID: protocol.SingleConversationID("me", req.RecvID),
			ServerMsgID: "srv" + req.ClientMsgID, Seq: seq, SendTime: 5000 + seq}, nil
	case protocol.ReqGetUsers, protocol.ReqListGroups:
		return struct{}{}, nil
	}
	return nil, &protocol.Error{Code: protocol.CodeUnimplemented}
}

type recorder struct {
	mu      sync.Mutex
	changed chan struct{}
	events  []core.Event
}

func newRecorder(c *core.Client) *recorder {
	r := &recorder{changed: make(chan struct{})}
	c.On(func(ev core.Event) {
		r.mu.Lock()
		r.events = append(r.events, ev)
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
	})
	return r
}

func (r *recorder) waitFor(t *testing.T, what string, cond func([]core.Event) bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond(r.events)
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (r *recorder) states() []core.ConnState {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []core.ConnState
	for _, ev := range r.events {
		if s, ok := ev.(core.ConnectionStateChanged); ok {
			out = append(out, s.State)
		}
	}
	return out
}

func lastState(st core.ConnState) func([]core.Event) bool {
	return func(evs []core.Event) bool {
		for i := len(evs) - 1; i >= 0; i-- {
			if s, ok := evs[i].(core.ConnectionStateChanged); ok {
				return s.State == st
			}
		}
		return false
	}
}

func newTestClient(t *testing.T, fs *fakeServer, st *mem.Store, mod func(*core.Config)) (*core.Client, *recorder) {
	t.Helper()
	cfg := core.Config{
		ServerURL:         "http://parley.test",
		Dialer:            fs,
		OpenStore:         func(context.Context, string) (core.Store, error) { return st.Reopen(), nil },
		ReconnectMinDelay: time.Millisecond,
		ReconnectMaxDelay: 5 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(c)
	t.Cleanup(func() {
		if c.LoginUserID() != "" {
			c.Logout(context.Background())
		}
	})
	return c, rec
}
