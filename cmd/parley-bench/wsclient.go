package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"parley/protocol"
)

// wire counts the bytes that cross the TCP connections of the clients that
// share it (WebSocket framing included, TCP/IP headers not).
type wire struct {
	read, written atomic.Int64
}

type countingConn struct {
	net.Conn
	w *wire
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.written.Add(int64(n))
	return n, err
}

// dialOptions configure one raw-protocol client.
type dialOptions struct {
	// compress negotiates permessage-deflate, as browsers do.
	compress bool
	// wire, if set, counts the connection's bytes.
	wire *wire
	// onPush is called on the client's reader goroutine for every push,
	// with the time it was read. It must not block.
	onPush func(f *protocol.Frame, at time.Time)
	// keepAlive pings every protocol.HeartbeatIntervalMs, so that runs
	// longer than the server's idle timeout keep their connections.
	keepAlive bool
}

// client speaks Parley's raw WebSocket protocol: one reader goroutine
// decodes every frame and hands responses to the callback of their request
// and pushes to onPush. It measures the server, not the SDK.
type client struct {
	userID string
	ws     *websocket.Conn
	opts   dialOptions

	writeMu sync.Mutex
	nextID  atomic.Uint64

	mu      sync.Mutex
	pending map[string]func(*protocol.Frame, time.Time)

	done chan struct{}
	err  error // set before done is closed
}

// errClosed is the error of requests pending when a connection ends.
var errClosed = errors.New("connection closed")

// dial opens an authenticated WebSocket to the server at base (http://host:port).
func dial(ctx context.Context, base, userID, token string, o dialOptions) (*client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	default:
		return nil, fmt.Errorf("-server %q: want an http:// or https:// URL", base)
	}
	u.Path = protocol.WSPath
	u.RawQuery = url.Values{protocol.WSTokenParam: {token}}.Encode()
	d := websocket.Dialer{
		HandshakeTimeout:  30 * time.Second,
		EnableCompression: o.compress,
		ReadBufferSize:    4096,
		WriteBufferSize:   4096,
	}
	if o.wire != nil {
		w := o.wire
		nd := &net.Dialer{}
		d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, w: w}, nil
		}
	}
	ws, resp, err := d.DialContext(ctx, u.String(), http.Header{})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", userID, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", userID, err)
	}
	// Catch-ups can be large: accept up to the server's pull byte bound.
	ws.SetReadLimit(64 << 20)
	c := &client{
		userID:  userID,
		ws:      ws,
		opts:    o,
		pending: make(map[string]func(*protocol.Frame, time.Time)),
		done:    make(chan struct{}),
	}
	go c.readLoop()
	if o.keepAlive {
		go c.heartbeat()
	}
	return c, nil
}

func (c *client) readLoop() {
	var err error
	for {
		var data []byte
		if _, data, err = c.ws.ReadMessage(); err != nil {
			break
		}
		at := time.Now()
		f, derr := protocol.DecodeFrame(data)
		if derr != nil {
			err = fmt.Errorf("bad frame from server: %w", derr)
			break
		}
		if f.IsPush() {
			if c.opts.onPush != nil {
				c.opts.onPush(f, at)
			}
			continue
		}
		c.mu.Lock()
		cb := c.pending[f.ID]
		delete(c.pending, f.ID)
		c.mu.Unlock()
		if cb != nil {
			cb(f, at)
		}
	}
	c.mu.Lock()
	c.err = err
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	close(c.done)
	for _, cb := range pending {
		cb(&protocol.Frame{Type: "closed", Error: &protocol.Error{Code: protocol.CodeNetwork, Message: errClosed.Error()}}, time.Now())
	}
}

func (c *client) heartbeat() {
	t := time.NewTicker(protocol.HeartbeatIntervalMs * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.start(protocol.ReqPing, nil, nil)
		}
	}
}

// start sends a request; cb (may be nil) gets its response on the reader
// goroutine, or a CodeNetwork error frame if the connection ends first.
func (c *client) start(typ string, req any, cb func(*protocol.Frame, time.Time)) error {
	id := strconv.FormatUint(c.nextID.Add(1), 36)
	b, err := protocol.EncodeFrame(id, typ, req)
	if err != nil {
		return err
	}
	if cb == nil {
		cb = func(*protocol.Frame, time.Time) {}
	}
	c.mu.Lock()
	if c.pending == nil {
		c.mu.Unlock()
		return errClosed
	}
	c.pending[id] = cb
	c.mu.Unlock()
	c.writeMu.Lock()
	c.ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
	err = c.ws.WriteMessage(websocket.TextMessage, b)
	c.writeMu.Unlock()
	if err != nil {
		c.mu.Lock()
		if c.pending != nil {
			delete(c.pending, id)
		}
		c.mu.Unlock()
		return fmt.Errorf("write %s: %w", typ, err)
	}
	return nil
}

// call sends a request and waits for its response, decoding Data into resp
// (may be nil). A server error comes back as *protocol.Error.
func (c *client) call(ctx context.Context, typ string, req, resp any) error {
	ch := make(chan *protocol.Frame, 1)
	if err := c.start(typ, req, func(f *protocol.Frame, _ time.Time) { ch <- f }); err != nil {
		return err
	}
	select {
	case f := <-ch:
		if f.Error != nil {
			return f.Error
		}
		if resp != nil {
			if err := json.Unmarshal(f.Data, resp); err != nil {
				return fmt.Errorf("decode %s response: %w", typ, err)
			}
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", typ, ctx.Err())
	}
}

// close closes the connection and waits for the reader to finish.
func (c *client) close() {
	c.writeMu.Lock()
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.writeMu.Unlock()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	c.ws.Close()
	<-c.done
}

// closedUnexpectedly reports whether the connection ended with an error
// other than a normal close.
func (c *client) closedUnexpectedly() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	if c.err == nil || websocket.IsCloseError(c.err, websocket.CloseNormalClosure) {
		return nil
	}
	return c.err
}
