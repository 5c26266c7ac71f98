// Package protocol holds the wire types shared by parleyd and the SDK: the
// WebSocket frame, the request, response and push payloads, the message
// content types and the rules every content passes (content.go), the error
// codes, and the rules for user and conversation IDs.
//
// It has no dependencies beyond the standard library, because everything
// here lands in the browser SDK's wasm. docs/protocol.md explains the
// exchange these types make up.
package protocol
