//go:build js

package wasmwrapper

import (
	"context"
	"encoding/json"
	"errors"
	"runtime/debug"
	"syscall/js"

	"parley/protocol"
)

// Func is the Go side of one Promise-returning JS method. args are the JS
// arguments as passed. The result is converted with ToJS; a nil result
// resolves to undefined.
type Func func(args []js.Value) (any, error)

// Logger receives internal errors (panics). It may be nil.
type Logger interface {
	Error(msg string, args ...any)
}

// Promise returns a JS function that, when called, starts fn in a new
// goroutine and returns a Promise of its result. The caller must Release
// the returned js.Func when it is no longer reachable from JS.
func Promise(log Logger, fn Func) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject, p := newPromise()
		// args stay valid after we return: syscall/js keeps a reference
		// until the Go values are collected.
		go run(log, fn, args, resolve, reject)
		return p
	})
}

func run(log Logger, fn Func, args []js.Value, resolve, reject js.Value) {
	defer func() {
		if r := recover(); r != nil {
			if log != nil {
				log.Error("parley: panic in JS call", "panic", r, "stack", string(debug.Stack()))
			}
			reject.Invoke(ErrorValue(&protocol.Error{Code: protocol.CodeInternal, Message: "internal error: " + panicText(r)}))
		}
	}()
	v, err := fn(args)
	if err != nil {
		reject.Invoke(ErrorValue(err))
		return
	}
	jv, err := ToJS(v)
	if err != nil {
		reject.Invoke(ErrorValue(err))
		return
	}
	resolve.Invoke(jv)
}

func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "panic"
}

// newPromise makes a Promise and returns its resolve and reject functions.
func newPromise() (resolve, reject, p js.Value) {
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject = args[0], args[1]
		return nil
	})
	// The executor runs synchronously inside the constructor.
	p = js.Global().Get("Promise").New(executor)
	executor.Release()
	return resolve, reject, p
}

// ToJS converts a Go value to a plain JS value: nil to undefined, a
// js.Value as is, anything else through JSON (so struct tags name the
// fields).
func ToJS(v any) (js.Value, error) {
	switch x := v.(type) {
	case nil:
		return js.Undefined(), nil
	case js.Value:
		return x, nil
	case string:
		return js.ValueOf(x), nil
	case bool:
		return js.ValueOf(x), nil
	case int:
		return js.ValueOf(x), nil
	case int64:
		return js.ValueOf(x), nil
	case float64:
		return js.ValueOf(x), nil
	}
	if b, ok := appendJSON(nil, v); ok {
		return js.Global().Get("JSON").Call("parse", string(b)), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return js.Undefined(), &protocol.Error{Code: protocol.CodeInternal, Message: "cannot convert result: " + err.Error()}
	}
	return js.Global().Get("JSON").Call("parse", string(b)), nil
}

// Coder is implemented by errors that carry their own protocol code (for
// example core's client error).
type Coder interface {
	Code() protocol.Code
}

// CodeOf returns the code a JS caller sees for err.
func CodeOf(err error) protocol.Code {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	var c Coder
	if errors.As(err, &c) {
		return c.Code()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return protocol.CodeTimeout
	case errors.Is(err, context.Canceled):
		return protocol.CodeCanceled
	}
	return protocol.CodeInternal
}

// ErrorValue returns a JS Error whose message is err's text and whose code
// property is CodeOf(err).
func ErrorValue(err error) js.Value {
	msg := err.Error()
	if pe, ok := err.(*protocol.Error); ok && pe.Message != "" {
		// The code travels in .code; keep the message human.
		msg = pe.Message
	}
	e := js.Global().Get("Error").New(msg)
	e.Set("code", string(CodeOf(err)))
	return e
}
