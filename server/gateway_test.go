package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

func TestBadInputKeepsConnection(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxFrameBytes = 4096 })
	_, tok := e.register("alice")
	bob, _ := e.register("bob")
	c := e.dial(tok)

	raw := func(b string) *protocol.Frame {
		t.Helper()
		c.writeRaw([]byte(b))
		select {
		case f := <-c.pushes:
			return f
		case <-time.After(waitFor):
			t.Fatalf("no answer to %.40q", b)
		}
		return nil
	}
	// Frames without a usable ID are answered with an ID-less error frame.
	for _, b := range []string{`not json`, `[1,2]`, `{"id":5}`, `{}`, `{"data":[}`} {
		f := raw(b)
		if assert.NotNil(t, f.Error, "%q: %+v", b, f) {
			assert.Equal(t, protocol.CodeInvalidArgument, f.Error.Code, b)
		}
	}
	f := raw(`{"type":"ping"}`)
	require.NotNil(t, f.Error, "no id: %+v", f)
	assert.Equal(t, protocol.CodeInvalidArgument, f.Error.Code)
	assert.Equal(t, "ping", f.Type)
	// Broken frames whose id can be read are answered with it.
	for _, b := range []string{`{"id":"r-cut","type":"ping"`, `{"id":"r-trail","type":"ping"} trailing`} {
		id, _, _ := strings.Cut(strings.TrimPrefix(b, `{"id":"`), `"`)
		ch := make(chan *protocol.Frame, 1)
		c.mu.Lock()
		c.pending[id] = ch
		c.mu.Unlock()
		c.writeRaw([]byte(b))
		f := c.await(ch)
		if assert.NotNil(t, f.Error, b) {
			assert.Equal(t, protocol.CodeInvalidArgument, f.Error.Code, b)
		}
	}

	// With an ID, errors are correlated.
	c.wantError("nope", nil, protocol.CodeUnimplemented)
	c.wantError(protocol.ReqSend, "a string", protocol.CodeInvalidArgument)
	c.wantError(protocol.ReqSend, map[string]any{"clientMsgID": 5}, protocol.CodeInvalidArgument)
	c.wantError(protocol.ReqPull, map[string]any{"ranges": "all"}, protocol.CodeInvalidArgument)
	c.wantError(protocol.ReqMarkRead, map[string]any{}, protocol.CodeInvalidArgument)
	c.wantError(protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: make([]string, protocol.MaxGetUsers+1)}, protocol.CodeInvalidArgument)

	// Oversized: answered with too_large, connection kept.
	big := strings.Repeat("x", 5000)
	c.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "big", RecvID: bob, ContentType: "text", Content: text(big)}, protocol.CodeTooLarge)
	c.ping()
	c.sendText("small", bob, "", "fits")
}

// A frame the server will never accept is answered too_large with its id,
// up to the hard read limit (16 × MaxFrameBytes by default), however far
// past the frame limit it is; beyond the hard limit the connection is
// closed with 1009, the reason naming the frame's id.
func TestOversizedFramesUpToTheHardLimit(t *testing.T) {
	const limit = 4096
	e := newEnv(t, func(c *server.Config) { c.MaxFrameBytes = limit })
	me, tok := e.register("writer")
	c := e.dial(tok)
	for _, n := range []int{limit + 1, 5 * limit, 16*limit - 200} {
		f := c.call(protocol.ReqSend, protocol.SendReq{ClientMsgID: fmt.Sprint("big", n), RecvID: me, ContentType: "text", Content: text(strings.Repeat("x", n))})
		require.NotNil(t, f.Error, "%d bytes accepted", n)
		assert.Equal(t, protocol.CodeTooLarge, f.Error.Code, "%d bytes", n)
		assert.Equal(t, protocol.ReqSend, f.Type)
	}
	c.sendText("small", me, "", "fits")

	c.writeRaw([]byte(`{"id":"r-huge","type":"send","data":"` + strings.Repeat("x", 16*limit) + `"}`))
	err := c.waitClosed()
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, protocol.CloseFrameTooLarge, ce.Code)
	id, ok := protocol.FrameTooLargeID(ce.Text)
	assert.True(t, ok, "reason %q", ce.Text)
	assert.Equal(t, "r-huge", id)
}

// The hard limit counts the bytes after permessage-deflate: a frame that
// is small on the wire but large once inflated closes the connection too.
func TestCompressedFrameOverTheHardLimit(t *testing.T) {
	const limit = 4096
	e := newEnv(t, func(c *server.Config) { c.MaxFrameBytes = limit })
	_, tok := e.register("zipper")
	c := e.dial(tok)
	c.ws.EnableWriteCompression(true)
	c.writeRaw([]byte(`{"id":"r-zip","type":"send","data":"` + strings.Repeat("x", 64*limit) + `"}`))
	var ce *websocket.CloseError
	require.ErrorAs(t, c.waitClosed(), &ce)
	assert.Equal(t, protocol.CloseFrameTooLarge, ce.Code)
	assert.Equal(t, protocol.FrameTooLargeReason("r-zip"), ce.Text)
}

// Malformed, id-less and too large frames count: a connection that keeps
// sending them is closed (1008 "too many bad frames"), while one that sends
// a few stays.
func TestBadFramesAreLimited(t *testing.T) {
	for name, frame := range map[string]string{
		"malformed": `{"id":"x","type":`,
		"no id":     `{"type":"user.getSelf"}`,
		"too large": `{"id":"x","type":"ping","data":"` + strings.Repeat("x", 5000) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *server.Config) {
				c.MaxFrameBytes = 4096
				c.BadFrameRate = 0.001 // no refill during the test
				c.BadFrameBurst = 3
			})
			_, tok := e.register("junk")
			c := e.dial(tok)
			c.lenient.Store(true)
			for range 3 {
				c.writeRaw([]byte(frame))
			}
			c.ping() // a few are answered and forgiven
			c.writeRaw([]byte(frame))
			var ce *websocket.CloseError
			require.ErrorAs(t, c.waitClosed(), &ce)
			assert.Equal(t, websocket.ClosePolicyViolation, ce.Code)
			assert.Equal(t, "too many bad frames", ce.Text)
		})
	}
}

// Bad frames count as requests too: beyond the request rate they are
// refused like any other, and the flooding connection is closed.
func TestBadFramesCountAsRequests(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.RateLimit = 0.001
		c.RateBurst = 2
		c.BadFrameBurst = 1000
	})
	_, tok := e.register("noisy")
	c := e.dial(tok)
	c.lenient.Store(true)
	for range 2 {
		c.writeRaw([]byte(`not json`))
	}
	c.wantError(protocol.ReqGetSelf, nil, protocol.CodeRateLimited)
	// One more refusal is forgiven (RateBurst strikes), the next closes.
	for range 2 {
		c.writeRaw([]byte(`not json`))
	}
	var ce *websocket.CloseError
	require.ErrorAs(t, c.waitClosed(), &ce)
	assert.Equal(t, websocket.ClosePolicyViolation, ce.Code)
	assert.Equal(t, "too many requests", ce.Text)
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.RateLimit = 0.001 // effectively no refill during the test
		c.RateBurst = 5
	})
	_, tok := e.register("alice")
	c := e.dial(tok)
	for range 5 {
		c.do(protocol.ReqGetSelf, nil, nil)
	}
	c.wantError(protocol.ReqGetSelf, nil, protocol.CodeRateLimited)
	c.wantError(protocol.ReqSend, protocol.SendReq{}, protocol.CodeRateLimited)
	// Heartbeats are never limited, and the connection stays usable.
	c.ping()
	// Limits are per connection.
	e.dial(tok).do(protocol.ReqGetSelf, nil, nil)
}

func TestHeartbeatTimeoutClosesSilentConnection(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	_, tok := e.register("alice")
	c := e.dial(tok)
	c.ping()
	err := c.waitClosed()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("closed with %v", err)
	}
	if !strings.Contains(err.Error(), "heartbeat") {
		t.Fatalf("close reason: %v", err)
	}
}

func TestShutdownLosesNothingAcknowledged(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	const senders = 4
	clients := make([]*client, senders)
	for i := range clients {
		clients[i] = e.dial(aTok)
	}

	var mu sync.Mutex
	acked := map[string]int64{} // clientMsgID -> seq
	var wg sync.WaitGroup
	started := make(chan struct{}, senders)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Keep many sends in flight until the server goes away.
			var inflight []<-chan *protocol.Frame
			var ids []string
			for j := 0; ; j++ {
				id := fmt.Sprintf("c%d-%d", i, j)
				ch, ok := c.tryRequest(protocol.ReqSend, protocol.SendReq{ClientMsgID: id, RecvID: bob, ContentType: "text", Content: text(id)})
				if !ok {
					break
				}
				inflight, ids = append(inflight, ch), append(ids, id)
				if j == 20 {
					started <- struct{}{}
				}
				if len(inflight) > 32 {
					if !c.collect(inflight[0], ids[0], &mu, acked) {
						break
					}
					inflight, ids = inflight[1:], ids[1:]
				}
			}
			for k := range inflight {
				c.collect(inflight[k], ids[k], &mu, acked)
			}
		}()
	}
	for range senders {
		<-started
	}
	e.shutdown()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged")
	}

	// Reopen on the same data folder: every acknowledged message is there,
	// with its seq, and seqs are dense.
	e.start()
	b := e.dial(bTok)
	conv := protocol.SingleConversationID(bob, mustSelfID(t, e.dial(aTok)))
	stored := map[string]int64{}
	var from int64 = 1
	for {
		var pr protocol.PullResp
		b.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: from, Limit: protocol.MaxPullLimit}}}, &pr)
		if len(pr.Messages) == 0 {
			break
		}
		for _, m := range pr.Messages {
			if m.Seq != from {
				t.Fatalf("seq %d where %d expected", m.Seq, from)
			}
			stored[m.ClientMsgID] = m.Seq
			from++
		}
	}
	for id, seq := range acked {
		if stored[id] != seq {
			t.Fatalf("acknowledged %s (seq %d) stored as %d", id, seq, stored[id])
		}
	}
	t.Logf("%d acknowledged, %d stored", len(acked), len(stored))
}

// tryRequest is request that reports a closed connection instead of failing.
func (c *client) tryRequest(typ string, data any) (<-chan *protocol.Frame, bool) {
	id := fmt.Sprintf("r%d", c.nextID.Add(1))
	ch := make(chan *protocol.Frame, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending[id] = ch
	b, _ := protocol.EncodeFrame(id, typ, data)
	return ch, c.ws.WriteMessage(websocket.TextMessage, b) == nil
}

// collect waits for one send's answer and records it if acknowledged; false
// when the connection is gone or the server refused.
func (c *client) collect(ch <-chan *protocol.Frame, id string, mu *sync.Mutex, acked map[string]int64) bool {
	select {
	case f := <-ch:
		if f.Error != nil {
			if f.Error.Code != protocol.CodeUnavailable {
				c.t.Errorf("send %s: %v", id, f.Error)
			}
			return false
		}
		mu.Lock()
		acked[id] = decode[protocol.SendResp](c.t, f).Seq
		mu.Unlock()
		return true
	case <-c.closed:
		return false
	case <-time.After(waitFor):
		c.t.Errorf("no answer for %s", id)
		return false
	}
}

func TestShutdownClosesWithGoingAway(t *testing.T) {
	e := newEnv(t)
	_, tok := e.register("alice")
	c := e.dial(tok)
	c.ping()
	e.shutdown()
	if err := c.waitClosed(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("closed with %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err == nil {
		t.Fatal("second Shutdown succeeded")
	}
}

func TestSlowReaderIsDisconnectedWithoutStallingOthers(t *testing.T) {
	t.Run("frames", func(t *testing.T) {
		testSlowReader(t, func(c *server.Config) { c.SendQueue = 8 })
	})
	t.Run("bytes", func(t *testing.T) {
		testSlowReader(t, func(c *server.Config) { c.SendQueueBytes = 256 << 10 })
	})
}

func testSlowReader(t *testing.T, mod func(*server.Config)) {
	e := newEnvOpts(t, envOpts{smallSendBuffers: true}, mod)
	_, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a := e.dial(aTok)
	fast := e.dial(bTok)

	// Bob's second device never reads, with a tiny socket buffer, so the
	// server's writes to it block and its queue fills.
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return conn, err
	}}
	slow, _, err := d.Dial(e.wsURL(bTok), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()

	// Up to 100 incompressible messages of ~48 KB: more than the kernel
	// buffers hold.
	const n = 100
	buf := make([]byte, 36<<10)
	for i := range n {
		rand.Read(buf)
		a.sendText(fmt.Sprint(i), bob, "", base64.StdEncoding.EncodeToString(buf))
		// The fast device keeps up and gets everything in order.
		if m := decode[protocol.Message](t, fast.push(protocol.PushMessage)); m.Seq != int64(i+1) {
			t.Fatalf("fast device got seq %d, want %d", m.Seq, i+1)
		}
		// Every push to the slow device was queued or refused before its
		// message's ack, so once the buffers are full the overflow has
		// happened by the time the ack is here.
		if i%5 == 4 {
			_, body := e.get("/metrics", nil)
			if strings.Contains(string(body), "parley_slow_consumer_disconnects_total 1") {
				t.Logf("slow reader disconnected after %d messages", i+1)
				return
			}
		}
	}
	_, body := e.get("/metrics", nil)
	t.Fatalf("slow reader not disconnected:\n%s", grepLines(string(body), "parley_slow"))
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestShutdownDeadlineCutsConnections(t *testing.T) {
	e := newEnv(t)
	_, tok := e.register("alice")
	c := e.dial(tok)
	c.ping()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := e.srv.Shutdown(ctx)
	e.down.Store(true)
	// The connection may have drained before the deadline was noticed;
	// either way the server is down and the client is disconnected.
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("shutdown: %v", err)
	}
	c.waitClosed()
	if st := httptestRecorder(e.srv.Handler(), "/healthz"); st != http.StatusServiceUnavailable {
		t.Fatalf("healthz after shutdown: %d", st)
	}
}
