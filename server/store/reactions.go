package store

import (
	"encoding/json"
	"fmt"

	"parley/protocol"
)

// Both stores keep a message's reactions in one text column as their
// JSON ('' for none): a message's reactions are bounded
// (protocol.MaxMessageReactions) and always read and written whole, with
// the message, by ChangeMessage.

// EncodeReactions is the column value of rs.
func EncodeReactions(rs []protocol.Reaction) string {
	if len(rs) == 0 {
		return ""
	}
	b, err := json.Marshal(rs)
	if err != nil {
		panic(fmt.Sprintf("store: encode reactions: %v", err)) // strings and slices of them always encode
	}
	return string(b)
}

// DecodeReactions reads a column value written by EncodeReactions.
func DecodeReactions(s string) ([]protocol.Reaction, error) {
	if s == "" {
		return nil, nil
	}
	var rs []protocol.Reaction
	if err := json.Unmarshal([]byte(s), &rs); err != nil {
		return nil, fmt.Errorf("store: decode reactions: %w", err)
	}
	return rs, nil
}
