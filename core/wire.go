package core

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"parley/protocol"
)

// wire is one live connection: it matches responses to requests and queues
// pushes for the session's worker.
type wire struct {
	conn   Conn
	ctx    context.Context // done when the connection ends
	cancel context.CancelCauseFunc
	// timeout bounds a call whose context has no deadline.
	timeout time.Duration

	writeMu sync.Mutex

	mu      sync.Mutex
	nextID  uint64
	pending map[string]chan *protocol.Frame
	kicked  string
	pushes  []*protocol.Frame
	pushSig chan struct{} // has a value when pushes is not empty
}

func newWire(parent context.Context, conn Conn, timeout time.Duration) *wire {
	ctx, cancel := context.WithCancelCause(parent)
	return &wire{
		conn:    conn,
		timeout: timeout,
		ctx:     ctx,
		cancel:  cancel,
		pending: make(map[string]chan *protocol.Frame),
		pushSig: make(chan struct{}, 1),
	}
}

var errConnClosed = errors.New("connection closed")

func errNetwork(cause error) error {
	msg := "not connected"
	if cause != nil {
		msg = "connection lost: " + cause.Error()
	}
	return &Error{Code: protocol.CodeNetwork, Message: msg}
}

// close ends the connection; pending calls fail with a network error.
func (w *wire) close(cause error) {
	w.cancel(cause)
	w.conn.Close()
}

// readLoop reads until the connection fails; it must run while calls are made.
func (w *wire) readLoop() {
	for {
		b, err := w.conn.Read(w.ctx)
		if err != nil {
			w.failTooLarge(err)
			w.close(err)
			return
		}
		f, err := protocol.DecodeFrame(b)
		if err != nil {
			continue // a frame we cannot read answers nothing we wait for
		}
		if f.IsPush() {
			if f.Type == protocol.PushKicked {
				var k protocol.Kicked
				_ = protocol.DecodeData(f.Data, &k)
				if k.Reason == "" {
					k.Reason = "unknown"
				}
				w.mu.Lock()
				w.kicked = k.Reason
				w.mu.Unlock()
				w.close(errors.New("kicked: " + k.Reason))
				return
			}
			w.mu.Lock()
			w.pushes = append(w.pushes, f)
			w.mu.Unlock()
			select {
			case w.pushSig <- struct{}{}:
			default:
			}
			continue
		}
		w.mu.Lock()
		ch := w.pending[f.ID]
		delete(w.pending, f.ID)
		w.mu.Unlock()
		if ch != nil {
			ch <- f
		}
	}
}

// failTooLarge answers too_large to the request a close for a frame too
// large names: the server will never read it, so it fails alone while the
// others are retried on the next connection.
func (w *wire) failTooLarge(err error) {
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != protocol.CloseFrameTooLarge {
		return
	}
	id, ok := protocol.FrameTooLargeID(ce.Reason)
	if !ok || id == "" {
		return
	}
	w.mu.Lock()
	ch := w.pending[id]
	delete(w.pending, id)
	w.mu.Unlock()
	if ch != nil {
		ch <- &protocol.Frame{ID: id, Error: &Error{Code: protocol.CodeTooLarge, Message: "frame too large for the server"}}
	}
}

// takePushes returns the queued pushes, waiting for one if there are none;
// nil means the connection ended.
func (w *wire) takePushes() []*protocol.Frame {
	for {
		w.mu.Lock()
		ps := w.pushes
		w.pushes = nil
		w.mu.Unlock()
		if len(ps) > 0 {
			return ps
		}
		select {
		case <-w.pushSig:
		case <-w.ctx.Done():
			return nil
		}
	}
}

func (w *wire) kickedReason() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.kicked
}

// call sends one request and decodes its response into resp (may be nil),
// repeating it while the server answers rate_limited. Errors: the server's
// *Error, a network error when the connection ends first, or
// timeout/canceled from ctx.
func (w *wire) call(ctx context.Context, typ string, req, resp any) error {
	if _, ok := ctx.Deadline(); !ok && w.timeout > 0 {
		// Nothing waits forever for a server that stopped answering.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.timeout)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		p, err := w.start(typ, req)
		if err != nil {
			return err
		}
		err = w.await(ctx, p, resp)
		if protocol.CodeOf(err) != protocol.CodeRateLimited {
			return err
		}
		// Back-pressure: wait and ask again, within the caller's deadline.
		t := time.NewTimer(backoff(attempt, 50*time.Millisecond, 2*time.Second))
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
			return errNetwork(context.Cause(w.ctx))
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// request is one request on the wire, waiting for its response.
type request struct {
	id, typ string
	ch      chan *protocol.Frame
}

// start writes a request; requests started one after another go out in
// that order.
func (w *wire) start(typ string, req any) (request, error) {
	w.mu.Lock()
	w.nextID++
	r := request{id: strconv.FormatUint(w.nextID, 36), typ: typ, ch: make(chan *protocol.Frame, 1)}
	w.pending[r.id] = r.ch
	w.mu.Unlock()
	b, err := protocol.EncodeFrame(r.id, typ, req)
	if err != nil {
		w.forget(r)
		return r, withCode(err)
	}
	// Writes use the connection's context: a caller's deadline must not
	// tear down the connection mid-frame.
	w.writeMu.Lock()
	err = w.conn.Write(w.ctx, b)
	w.writeMu.Unlock()
	if err != nil {
		w.forget(r)
		w.close(err)
		return r, errNetwork(err)
	}
	return r, nil
}

func (w *wire) forget(r request) {
	w.mu.Lock()
	delete(w.pending, r.id)
	w.mu.Unlock()
}

// await waits for r's response and decodes it into resp (may be nil).
func (w *wire) await(ctx context.Context, r request, resp any) error {
	defer w.forget(r)
	select {
	case f := <-r.ch:
		if f.Error != nil {
			return f.Error
		}
		if resp == nil {
			return nil
		}
		if err := json.Unmarshal(orEmpty(f.Data), resp); err != nil {
			return &Error{Code: protocol.CodeInternal, Message: "bad " + r.typ + " response: " + err.Error()}
		}
		return nil
	case <-w.ctx.Done():
		return errNetwork(context.Cause(w.ctx))
	case <-ctx.Done():
		return withCode(ctx.Err())
	}
}

func orEmpty(b json.RawMessage) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}
