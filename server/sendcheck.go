package server

import (
	"time"

	"parley/protocol"
	"parley/server/store"
)

// The window of a message's createTime: from 2000-01-01 (earlier values
// are a bug, a zero clock or seconds sent as milliseconds) to a day past
// the server's clock (an offline device's clock may run a little ahead).
const (
	minCreateTimeMs = 946_684_800_000
	maxCreateAhead  = 24 * time.Hour
)

// checkCreateTime accepts 0 (not given) or a Unix ms time in the window.
func (s *Server) checkCreateTime(ms int64) error {
	if ms == 0 {
		return nil
	}
	if ms < minCreateTimeMs || ms > s.now().Add(maxCreateAhead).UnixMilli() {
		return protocol.Errorf(protocol.CodeInvalidArgument,
			"createTime must be 0 or Unix milliseconds between 2000-01-01 and a day from now")
	}
	return nil
}

// sameRecipient reports whether the stored message m, found as a
// duplicate of nm (same sender and clientMsgID), went where nm is going;
// if not, the clientMsgID was reused for another message.
func sameRecipient(m *protocol.Message, nm *store.NewMessage) bool {
	return m.RecvID == nm.RecvID && m.GroupID == nm.GroupID
}
