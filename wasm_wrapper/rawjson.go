//go:build js

package wasmwrapper

import (
	"encoding/json"
	"fmt"
	"syscall/js"
)

// RawJSON returns a required field of any JSON value (an object, an
// array, a string…) as its JSON.stringify encoding, which objects such as
// RTCSessionDescription and RTCIceCandidate define through toJSON.
func (a *Args) RawJSON(field string) (raw json.RawMessage) {
	v, ok := a.get(field)
	if !ok {
		if a.err == nil {
			a.fail(field, "is required")
		}
		return nil
	}
	defer func() {
		// JSON.stringify throws on cycles and BigInt.
		if r := recover(); r != nil {
			a.fail(field, fmt.Sprintf("cannot be encoded as JSON: %v", r))
			raw = nil
		}
	}()
	s := js.Global().Get("JSON").Call("stringify", v)
	if s.Type() != js.TypeString {
		a.fail(field, "cannot be encoded as JSON, got "+describe(v))
		return nil
	}
	return json.RawMessage(s.String())
}
