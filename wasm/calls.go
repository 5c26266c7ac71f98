//go:build js

package main

import (
	"context"
	"syscall/js"

	wasmwrapper "parley/wasm_wrapper"
)

// callMethod binds a call method that takes {callID}.
func (h *handle) callMethod(name string, f func(ctx context.Context, callID string) error) wasmwrapper.Func {
	return func(args []js.Value) (any, error) {
		a := wasmwrapper.Object(name, args, 0)
		id := a.RequiredString("callID")
		if err := a.Err(); err != nil {
			return nil, err
		}
		return nil, f(context.Background(), id)
	}
}
