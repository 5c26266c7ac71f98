//go:build js

package wsjs

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"parley/core"
	"parley/protocol"
)

// WebSocket readyState values.
const (
	stateOpen = 1
)

// Dialer dials the browser's WebSocket. The zero value is ready to use.
type Dialer struct{}

var _ core.Dialer = Dialer{}

// closedErr is a read after the server's close frame: a network error
// that also carries the frame (core.CloseError).
type closedErr struct {
	net   error
	frame *core.CloseError
}

func (e *closedErr) Error() string   { return e.net.Error() }
func (e *closedErr) Unwrap() []error { return []error{e.net, e.frame} }

func networkErr(msg string) error {
	return &protocol.Error{Code: protocol.CodeNetwork, Message: msg}
}

// Dial opens a WebSocket to url (ws:// or wss://) and waits for the
// handshake, ctx or a failure.
func (Dialer) Dial(ctx context.Context, url string) (core.Conn, error) {
	if !strings.HasPrefix(url, "ws://") && !strings.HasPrefix(url, "wss://") {
		// Browsers resolve relative URLs; the contract wants absolute ones.
		return nil, &protocol.Error{Code: protocol.CodeInvalidArgument, Message: "websocket URL must start with ws:// or wss://: " + strconv.Quote(withoutQuery(url))}
	}
	ctor := js.Global().Get("WebSocket")
	if ctor.IsUndefined() {
		return nil, errors.New("wsjs: no WebSocket in this JS environment")
	}
	ws, err := newSocket(ctor, url)
	if err != nil {
		return nil, err
	}
	c := newConn(ws)

	select {
	case <-c.opened:
		return c, nil
	case <-c.closed:
		select {
		case <-c.opened:
			// Opened and closed before we looked: Read returns what
			// arrived, then the close.
			return c, nil
		default:
		}
		// The handshake failed. The browser hides why; ask over HTTP.
		c.Close()
		if authErr := probeUnauthorized(ctx, url); authErr != nil {
			return nil, authErr
		}
		return nil, networkErr("websocket handshake failed: " + c.closeReason())
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
}

// newSocket calls new WebSocket(url), turning a thrown SyntaxError (bad URL)
// into an error instead of a Go panic.
func newSocket(ctor js.Value, url string) (ws js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &protocol.Error{Code: protocol.CodeInvalidArgument, Message: "bad websocket URL " + strconv.Quote(withoutQuery(url))}
			if je, ok := r.(js.Error); ok {
				err = &protocol.Error{Code: protocol.CodeInvalidArgument, Message: "bad websocket URL " + strconv.Quote(withoutQuery(url)) + ": " + je.Error()}
			}
		}
	}()
	ws = ctor.New(url)
	ws.Set("binaryType", "arraybuffer")
	return ws, nil
}

// probeUnauthorized repeats url as a fetch and returns an error wrapping
// core.ErrUnauthorized when the server answers 401, nil otherwise.
func probeUnauthorized(ctx context.Context, url string) error {
	fetch := js.Global().Get("fetch")
	if fetch.Type() != js.TypeFunction {
		return nil
	}
	httpURL := url
	switch {
	case strings.HasPrefix(url, "ws://"):
		httpURL = "http://" + url[len("ws://"):]
	case strings.HasPrefix(url, "wss://"):
		httpURL = "https://" + url[len("wss://"):]
	}
	var opts js.Value
	abortCtor := js.Global().Get("AbortController")
	var abort js.Value
	if abortCtor.Type() == js.TypeFunction {
		abort = abortCtor.New()
		opts = js.ValueOf(map[string]any{"cache": "no-store", "credentials": "omit"})
		opts.Set("signal", abort.Get("signal"))
	} else {
		opts = js.ValueOf(map[string]any{"cache": "no-store", "credentials": "omit"})
	}
	status, err := await(ctx, fetch.Invoke(httpURL, opts))
	if err != nil {
		if !abort.IsUndefined() {
			abort.Call("abort")
		}
		return nil
	}
	if status.Get("status").Int() == 401 {
		// Don't leave the body stream open.
		if body := status.Get("body"); body.Truthy() {
			body.Call("cancel")
		}
		return &unauthorizedError{}
	}
	return nil
}

type unauthorizedError struct{}

func (*unauthorizedError) Error() string {
	return "wsjs: server answered 401: " + core.ErrUnauthorized.Error()
}
func (*unauthorizedError) Unwrap() error { return core.ErrUnauthorized }

// await waits for a JS promise. A rejection becomes an error.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var onOK, onErr js.Func
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "promise rejected"
		if len(args) > 0 {
			msg = jsString(args[0])
		}
		ch <- result{err: networkErr(msg)}
		return nil
	})
	p.Call("then", onOK, onErr)
	select {
	case r := <-ch:
		onOK.Release()
		onErr.Release()
		return r.v, r.err
	case <-ctx.Done():
		// The promise may still settle later; keep the callbacks alive
		// until then so JS never calls a released function.
		go func() {
			<-ch
			onOK.Release()
			onErr.Release()
		}()
		return js.Undefined(), ctx.Err()
	}
}

func jsString(v js.Value) string {
	switch v.Type() {
	case js.TypeString:
		return v.String()
	case js.TypeObject:
		if m := v.Get("message"); m.Type() == js.TypeString {
			return m.String()
		}
	}
	return v.Call("toString").String()
}

// conn is one browser WebSocket.
type conn struct {
	ws js.Value

	opened chan struct{} // closed on the open event
	closed chan struct{} // closed on the close event or Close

	mu       sync.Mutex
	queue    [][]byte
	notify   chan struct{} // cap 1: a message was queued
	isClosed bool
	reason   string
	// closeFrame is the server's close code and reason, once it closed.
	closeFrame *core.CloseError
	listeners  []listener
	openOnce   sync.Once
}

type listener struct {
	name string
	fn   js.Func
}

var _ core.Conn = (*conn)(nil)

func newConn(ws js.Value) *conn {
	c := &conn{
		ws:     ws,
		opened: make(chan struct{}),
		closed: make(chan struct{}),
		notify: make(chan struct{}, 1),
	}
	// JS callbacks must not block: each only records and signals.
	c.listen("open", func(js.Value) {
		c.openOnce.Do(func() { close(c.opened) })
	})
	c.listen("message", c.onMessage)
	c.listen("error", func(js.Value) {
		// An error event is always followed by a close event, which
		// carries the code; nothing to do here but remember it.
		c.mu.Lock()
		if c.reason == "" {
			c.reason = "websocket error"
		}
		c.mu.Unlock()
	})
	c.listen("close", func(ev js.Value) {
		code, r := ev.Get("code").Int(), ev.Get("reason").String()
		reason := "closed with code " + strconv.Itoa(code)
		if r != "" {
			reason += ": " + r
		}
		c.mu.Lock()
		c.closeFrame = &core.CloseError{Code: code, Reason: r}
		c.mu.Unlock()
		c.markClosed(reason)
	})
	return c
}

func (c *conn) listen(name string, f func(ev js.Value)) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ev := js.Undefined()
		if len(args) > 0 {
			ev = args[0]
		}
		f(ev)
		return nil
	})
	c.ws.Call("addEventListener", name, fn)
	c.listeners = append(c.listeners, listener{name: name, fn: fn})
}

func (c *conn) onMessage(ev js.Value) {
	data := ev.Get("data")
	var b []byte
	if data.Type() == js.TypeString {
		b = []byte(data.String())
	} else {
		arr := js.Global().Get("Uint8Array").New(data)
		b = make([]byte, arr.Get("length").Int())
		js.CopyBytesToGo(b, arr)
	}
	c.mu.Lock()
	if !c.isClosed {
		c.queue = append(c.queue, b)
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// markClosed records the end of the connection once and releases every
// js.Func.
func (c *conn) markClosed(reason string) {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return
	}
	c.isClosed = true
	if reason != "" {
		c.reason = reason
	}
	ls := c.listeners
	c.listeners = nil
	c.mu.Unlock()
	for _, l := range ls {
		c.ws.Call("removeEventListener", l.name, l.fn)
		l.fn.Release()
	}
	close(c.closed)
}

func (c *conn) closeReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// Read returns the next message. Messages that arrived before the
// connection closed are still returned, then the close error.
func (c *conn) Read(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			b := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return b, nil
		}
		closed, reason, frame := c.isClosed, c.reason, c.closeFrame
		c.mu.Unlock()
		if closed {
			if frame != nil {
				return nil, &closedErr{net: networkErr("websocket " + reason), frame: frame}
			}
			return nil, networkErr("websocket " + reason)
		}
		select {
		case <-c.notify:
		case <-c.closed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Write sends p as one text frame. The browser queues it; Write does not
// wait for it to leave.
func (c *conn) Write(ctx context.Context, p []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	closed, reason := c.isClosed, c.reason
	c.mu.Unlock()
	if closed || c.ws.Get("readyState").Int() != stateOpen {
		if reason == "" {
			reason = "not open"
		}
		return networkErr("websocket " + reason)
	}
	return c.send(string(p))
}

func (c *conn) send(s string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = networkErr("websocket send failed")
		}
	}()
	c.ws.Call("send", s)
	return nil
}

// Close closes the socket with a normal closure and releases its
// callbacks. Pending and later Reads and Writes fail.
func (c *conn) Close() error {
	c.ws.Call("close", 1000)
	c.markClosed("closed by client")
	return nil
}

// withoutQuery cuts the query from a URL shown in an error: it holds the token.
func withoutQuery(url string) string {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		return url[:i] + "?…"
	}
	return url
}
