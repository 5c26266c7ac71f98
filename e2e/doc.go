// Package e2e holds Parley's native end-to-end tests: core.Client against a
// real parleyd (server.New behind httptest) over real WebSockets on
// loopback. It has no code of its own.
package e2e
