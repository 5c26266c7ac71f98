package store

import (
	"context"
	"strings"

	"parley/protocol"
)

// ConversationInfo is one conversation as the admin API lists it.
type ConversationInfo struct {
	ConversationID string               `json:"conversationID"`
	SessionType    protocol.SessionType `json:"sessionType"`
	GroupID        string               `json:"groupID,omitempty"`
	MaxSeq         int64                `json:"maxSeq"`
	UpdateTime     int64                `json:"updateTime"`
}

// MessageQuery selects messages for moderation; empty fields match all.
type MessageQuery struct {
	ConversationID string
	SendID         string
	// Keyword is a case-insensitive (ASCII) substring of the content's JSON.
	Keyword       string
	Offset, Limit int
}

// Moderation lists and searches for the admin API, paged: each method
// returns the page (from offset, at most limit) and the count of every
// match, whatever the page.
type Moderation interface {
	// ListUsersForAdmin: users whose ID or username starts with keyword, or
	// whose nickname contains it (case-insensitively, ASCII); every user
	// for "". Ordered by user ID.
	ListUsersForAdmin(ctx context.Context, keyword string, offset, limit int) (users []*User, total int, err error)
	// SearchConversations: conversations whose ID contains keyword (all
	// for ""), the latest updated first, then by ID.
	SearchConversations(ctx context.Context, keyword string, offset, limit int) ([]ConversationInfo, int, error)
	// SearchMessages: the messages q selects, newest first (send time,
	// then conversation and seq descending).
	SearchMessages(ctx context.Context, q MessageQuery) ([]protocol.Message, int, error)
}

// LikePattern returns keyword as a LIKE pattern with its wildcards
// escaped (ESCAPE '\'), with % before when prefix is false and % after.
func LikePattern(keyword string, prefix bool) string {
	k := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(keyword))
	if prefix {
		return k + "%"
	}
	return "%" + k + "%"
}
