//go:build js

package core

// defaultDialer is nil in the browser: the browser transport (package wsjs)
// is passed in through Config.Dialer, which keeps net/http out of the wasm.
func defaultDialer() Dialer { return nil }
