//go:build js

package main

import (
	"context"
	"syscall/js"

	"parley/core"
	wasmwrapper "parley/wasm_wrapper"
)

// groupRequest binds a group administration method that answers nothing:
// its options object is the request, with required string fields.
func groupRequest(c *core.Client, name, typ string, newReq func() any, required ...string) wasmwrapper.Func {
	return func(args []js.Value) (any, error) {
		a := wasmwrapper.Object(name, args, 0)
		req := newReq()
		if a.Decode(req, required...); a.Err() != nil {
			return nil, a.Err()
		}
		return nil, c.GroupRequest(context.Background(), typ, req)
	}
}
