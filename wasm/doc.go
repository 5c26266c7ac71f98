// Command wasm is the browser SDK's WebAssembly program (parley.wasm). It
// publishes one object on globalThis, under the name given as its first
// argument (index.js picks a unique one), with createClient(options); each
// client is core.Client on wsjs (the browser's WebSocket) and indexdb (one
// IndexedDB database per user), with every contract method as a
// Promise-returning function and on(name, handler) for events.
//
// index.js, index.d.ts and package.json beside this file are the npm
// package's sources; ../build.sh assembles the package in dist/. The
// client's methods and events are declared once, in surface.go: go generate
// writes them to surface.gen.js for index.js, and the tests hold the Go
// bindings and index.d.ts to the same table. A new method is a line in the
// table, its binding in client.go and its declaration in index.d.ts.
//
// # Wasm
//
//   - It never touches window or document, so it runs in a page or a Worker.
//   - Several clients can live in one page (one Go runtime): give each its
//     own dbName, or log them in as different users.
//   - main never returns: the Go runtime stays up for the page's life.
package main
