// Package core is the platform-neutral heart of Parley's browser SDK: the
// client, its local store, the sync engine and the outbox. It builds natively
// and for GOOS=js GOARCH=wasm and never imports syscall/js, net/http or the
// server.
//
// Layout:
//   - Client (client.go: login and logout) is the API behind every JS call
//     of the contract's section 3, in module files: users.go, messages.go,
//     conversations.go, friends.go, groups.go. Events (events.go) reach the
//     handlers registered with Client.On, in order, never under a lock.
//   - Errors carry a protocol.Code: protocol.CodeOf(err) is the JS
//     Error's .code (not_logged_in, network, invalid_argument, timeout,
//     token_expired, or the server's code).
//   - Store (store.go) is the storage contract; core/mem is the memory
//     implementation, core/storetest the conformance suite every
//     implementation runs.
//   - The engine (engine.go) decides what to pull, what to write and what to
//     announce from local state and decoded frames; it does no I/O. The
//     session (session.go: connect, heartbeat, reconnect with backoff,
//     catch-up, pushes), the wire (wire.go: requests and responses) and the
//     outbox (outbox.go: ordered sends, pacing, timeouts) do the I/O
//     around it. Every write goes through one Store.Apply batch.
//
// # Wasm
//
// The browser build supplies its Dialer (package wsjs) and its Store
// (package indexdb) through Config; NativeDialer exists only in native
// builds. Event handlers run on one goroutine, in order; a handler that
// blocks delays later events.
package core
