// Package wsjs implements core.Dialer and core.Conn on the browser's own
// WebSocket, through syscall/js. Using the browser's socket instead of a Go
// WebSocket library keeps net/http out of the wasm and lets the browser
// handle TLS, proxies and cookies.
//
// # Wasm
//
//   - It only builds for GOOS=js. It needs a global WebSocket constructor,
//     so it works in a page and in a Worker alike (it never touches window
//     or document).
//   - Browsers do not reveal a failed handshake's HTTP status. When the
//     handshake fails, Dial repeats the URL as a plain fetch (http/https
//     scheme); a 401 answer there gives an error wrapping
//     core.ErrUnauthorized. For a cross-origin server this needs CORS on
//     the WebSocket path; without it the failure is reported as a network
//     error and the caller retries.
//   - Only text frames are expected. A binary frame is delivered as its
//     bytes.
package wsjs
