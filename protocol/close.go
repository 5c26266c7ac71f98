package protocol

import "strings"

// Close codes and reasons the server uses beyond the standard ones; see
// docs/protocol.md, "Heartbeat and closing".
const (
	// CloseFrameTooLarge (1009, "message too big") closes a connection
	// whose client sent a frame longer than the server reads at all. The
	// reason is CloseReasonFrameTooLarge, followed by " id=<id>" when the
	// frame's id could be read, so that a client can fail that one request
	// instead of sending it again.
	CloseFrameTooLarge       = 1009
	CloseReasonFrameTooLarge = "frame too large"
	// maxReasonID bounds an id quoted in a close reason, which must fit in
	// 123 bytes.
	maxReasonID = 64
)

// FrameTooLargeReason is the close reason for a too-large frame with the
// given id ("" when unknown; an id that cannot be quoted is left out).
func FrameTooLargeReason(id string) string {
	if id == "" || len(id) > maxReasonID {
		return CloseReasonFrameTooLarge
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return CloseReasonFrameTooLarge
		}
	}
	return CloseReasonFrameTooLarge + " id=" + id
}

// FrameTooLargeID returns the id named by a FrameTooLargeReason, and
// whether the reason is one at all.
func FrameTooLargeID(reason string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(reason, CloseReasonFrameTooLarge)
	if !ok {
		return "", false
	}
	if rest == "" {
		return "", true
	}
	id, ok = strings.CutPrefix(rest, " id=")
	return id, ok
}
