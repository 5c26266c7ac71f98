// Package wasmwrapper is the glue between Go and JavaScript for the browser
// SDK: it turns Go functions into Promise-returning JS functions, decodes
// and checks JS arguments into Go values, and turns Go results and errors
// into plain JS objects and Error objects with a string code.
//
// # Wasm
//
//   - Only builds for GOOS=js.
//   - Every call runs in its own goroutine, so a JS caller never blocks the
//     event loop waiting for Go; a panic in a call is recovered and becomes
//     a rejection with code "internal" instead of ending the Go runtime.
//   - Results cross as JSON: Go marshals, JS's JSON.parse builds the
//     object. The app receives plain objects and arrays, never a string.
package wasmwrapper
