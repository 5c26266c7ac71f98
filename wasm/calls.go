//go:build js

package main

import (
	"context"

	wasmwrapper "parley/wasm_wrapper"
)

// callMethod binds a call method that takes {callID}.
func (h *handle) callMethod(name string, f func(ctx context.Context, callID string) error) wasmwrapper.Func {
	return idMethod(name, "callID", f)
}
