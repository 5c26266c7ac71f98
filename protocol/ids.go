package protocol

import (
	"strings"
)

// Conversation ID prefixes (contract section 2).
const (
	singlePrefix = "si_"
	groupPrefix  = "sg_"
)

// MaxIDLen bounds user and group IDs.
const MaxIDLen = 64

// ValidID reports whether s is a valid user or group ID: 1 to 64 bytes of
// ASCII letters, digits, '-', '.' and '@', not starting with a punctuation
// character. '_' is excluded so that a conversation ID always splits back
// into its parts.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '-' || c == '.' || c == '@') && i > 0:
		default:
			return false
		}
	}
	return true
}

// SingleConversationID returns the one-to-one conversation ID of two users:
// si_<lower>_<higher>, ordered byte-wise.
func SingleConversationID(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return singlePrefix + a + "_" + b
}

// GroupConversationID returns the conversation ID of a group: sg_<groupID>.
func GroupConversationID(groupID string) string {
	return groupPrefix + groupID
}

// ParseConversationID splits a conversation ID into its session type and
// parts. For a single conversation it returns the two user IDs (lower first);
// for a group, the group ID in a. ok is false for anything malformed.
func ParseConversationID(id string) (st SessionType, a, b string, ok bool) {
	switch {
	case strings.HasPrefix(id, singlePrefix):
		rest := id[len(singlePrefix):]
		i := strings.IndexByte(rest, '_')
		if i < 0 {
			return "", "", "", false
		}
		a, b = rest[:i], rest[i+1:]
		if !ValidID(a) || !ValidID(b) || a > b {
			return "", "", "", false
		}
		return SessionSingle, a, b, true
	case strings.HasPrefix(id, groupPrefix):
		g := id[len(groupPrefix):]
		if !ValidID(g) {
			return "", "", "", false
		}
		return SessionGroup, g, "", true
	}
	return "", "", "", false
}
