// Package eventlistener delivers the SDK's events to JS handlers registered
// with client.on(name, handler).
//
// # Wasm
//
//   - Only builds for GOOS=js.
//   - A handler that throws is logged to the console and skipped; the other
//     handlers still run and the SDK carries on.
//   - on returns an unsubscribe function; its js.Func is released when it is
//     called, and every remaining one by Close.
package eventlistener
