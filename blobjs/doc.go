// Package blobjs is the browser's side of files: core.Bytes over a JS
// Blob and core.HTTPDoer over fetch, through syscall/js.
//
// A file's bytes stay in JavaScript: the app's File is cut with
// Blob.slice, the slices are stored in IndexedDB as Blobs (package
// indexdb) and sent as fetch bodies, so they never cross into Go and back.
//
// # Wasm
//
//   - It only builds for GOOS=js; it needs the global Blob, fetch and
//     Headers (a page or a Worker).
//   - A cross-origin server needs CORS for the API's routes, with the
//     Authorization header allowed.
package blobjs
