//go:build js

package core

// defaultHTTP is nil in the browser: the fetch transport (package fetchjs)
// is passed in through Config.HTTP, which keeps net/http out of the wasm.
func defaultHTTP() HTTPDoer { return nil }
