//go:build js

package eventlistener

import (
	"sync"
	"syscall/js"

	"parley/protocol"
)

// Emitter holds the JS handlers of one client, by event name.
type Emitter struct {
	known map[string]bool

	mu       sync.Mutex
	next     uint64
	handlers map[string][]entry
	offs     map[uint64]js.Func // unsubscribe functions not yet called
	closed   bool
}

type entry struct {
	id uint64
	fn js.Value
}

// New returns an Emitter that accepts handlers for the given event names
// only, so a typo in an app's on('newMesages', …) fails loudly.
func New(events ...string) *Emitter {
	known := make(map[string]bool, len(events))
	for _, e := range events {
		known[e] = true
	}
	return &Emitter{
		known:    known,
		handlers: make(map[string][]entry),
		offs:     make(map[uint64]js.Func),
	}
}

// On registers handler for event name and returns the unsubscribe function
// to hand back to JS.
func (e *Emitter) On(name string, handler js.Value) (js.Func, error) {
	if !e.known[name] {
		return js.Func{}, &protocol.Error{Code: protocol.CodeInvalidArgument, Message: "on: unknown event " + quote(name)}
	}
	if !isFunction(handler) {
		return js.Func{}, &protocol.Error{Code: protocol.CodeInvalidArgument, Message: "on: handler must be a function"}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return js.Func{}, &protocol.Error{Code: protocol.CodeInvalidArgument, Message: "on: client is closed"}
	}
	e.next++
	id := e.next
	e.handlers[name] = append(e.handlers[name], entry{id: id, fn: handler})
	var off js.Func
	off = js.FuncOf(func(js.Value, []js.Value) any {
		e.remove(name, id)
		return nil
	})
	e.offs[id] = off
	return off, nil
}

// remove drops one handler and releases its unsubscribe function. Calling
// it again is a no-op.
func (e *Emitter) remove(name string, id uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	hs := e.handlers[name]
	for i, h := range hs {
		if h.id == id {
			// Copy so an Emit iterating the old slice is not disturbed.
			n := make([]entry, 0, len(hs)-1)
			n = append(n, hs[:i]...)
			e.handlers[name] = append(n, hs[i+1:]...)
			break
		}
	}
	if off, ok := e.offs[id]; ok {
		delete(e.offs, id)
		// Releasing the function we are running in is fine: syscall/js
		// only drops it from its table.
		off.Release()
	}
}

// Count returns how many handlers are registered for name.
func (e *Emitter) Count(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.handlers[name])
}

// Emit calls every handler of name with payload, in registration order. A
// handler that throws is reported on the console and does not stop the
// others.
func (e *Emitter) Emit(name string, payload js.Value) {
	e.mu.Lock()
	hs := e.handlers[name]
	e.mu.Unlock()
	for _, h := range hs {
		call(name, h.fn, payload)
	}
}

func call(name string, fn, payload js.Value) {
	defer func() {
		if r := recover(); r != nil {
			report(name, r)
		}
	}()
	fn.Invoke(payload)
}

// report logs a handler's exception on the console, where app developers
// look for it.
func report(name string, r any) {
	console := js.Global().Get("console")
	if console.Type() != js.TypeObject {
		return
	}
	msg := "parley: a handler of event " + quote(name) + " threw; the SDK ignored it:"
	if je, ok := r.(js.Error); ok {
		console.Call("error", msg, je.Value)
		return
	}
	if err, ok := r.(error); ok {
		console.Call("error", msg, err.Error())
		return
	}
	console.Call("error", msg)
}

// Close removes every handler and releases every unsubscribe function not
// yet called. Later calls to those functions are logged by syscall/js as
// calls to a released function and do nothing else.
func (e *Emitter) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	for id, off := range e.offs {
		off.Release()
		delete(e.offs, id)
	}
	e.handlers = make(map[string][]entry)
}

func isFunction(v js.Value) (ok bool) {
	defer func() {
		if recover() != nil { // a BigInt: syscall/js panics on its type
			ok = false
		}
	}()
	return v.Type() == js.TypeFunction
}

func quote(s string) string {
	return "'" + s + "'"
}
