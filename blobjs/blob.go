//go:build js

package blobjs

import (
	"context"
	"errors"
	"syscall/js"

	"parley/core"
)

// Blob is core.Bytes over a JS Blob (a File is one).
type Blob struct {
	v js.Value
	n int64
}

var _ core.Bytes = Blob{}

// FromJS returns the Blob of v, or false if v is not a Blob.
func FromJS(v js.Value) (Blob, bool) {
	ctor := js.Global().Get("Blob")
	if v.Type() != js.TypeObject || ctor.IsUndefined() || !v.InstanceOf(ctor) {
		return Blob{}, false
	}
	return Blob{v: v, n: int64(v.Get("size").Float())}, true
}

// JSValue returns the JS Blob.
func (b Blob) JSValue() js.Value { return b.v }

// Len implements core.Bytes.
func (b Blob) Len() int64 { return b.n }

// Slice implements core.Bytes; no bytes are read.
func (b Blob) Slice(start, end int64) core.Bytes {
	return Blob{v: b.v.Call("slice", float64(start), float64(end)), n: end - start}
}

// ReadBytes implements core.Bytes: the one copy into Go.
func (b Blob) ReadBytes(ctx context.Context) ([]byte, error) {
	ab, err := Await(ctx, b.v.Call("arrayBuffer"))
	if err != nil {
		return nil, err
	}
	u := js.Global().Get("Uint8Array").New(ab)
	out := make([]byte, u.Length())
	js.CopyBytesToGo(out, u)
	return out, nil
}

// ToJS returns b as a JS value fetch and IndexedDB take: its Blob, or a
// Blob of a copy of bytes held in Go.
func ToJS(ctx context.Context, b core.Bytes) (js.Value, error) {
	if jb, ok := b.(interface{ JSValue() js.Value }); ok {
		return jb.JSValue(), nil
	}
	p, err := b.ReadBytes(ctx)
	if err != nil {
		return js.Undefined(), err
	}
	u := js.Global().Get("Uint8Array").New(len(p))
	js.CopyBytesToJS(u, p)
	return js.Global().Get("Blob").New([]any{u}), nil
}

// Await waits for a JS promise; a rejection becomes an error with the
// rejection's text.
func Await(ctx context.Context, p js.Value) (js.Value, error) {
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
			msg = js.Global().Get("String").Invoke(args[0]).String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	p.Call("then", onOK, onErr)
	select {
	case r := <-ch:
		onOK.Release()
		onErr.Release()
		return r.v, r.err
	case <-ctx.Done():
		// The promise may settle later: keep the callbacks until then, so
		// JS never calls a released function.
		go func() {
			<-ch
			onOK.Release()
			onErr.Release()
		}()
		return js.Undefined(), ctx.Err()
	}
}
