package httpapi

import (
	"net/url"
	"strconv"
	"unicode/utf8"

	"parley/protocol"
)

// Admin listing limits; docs/limits.md lists them.
const (
	DefaultAdminCount = 50
	MaxAdminCount     = 200
	MaxAdminKeyword   = 128 // bytes
	// MaxAdminOffset bounds how deep a listing pages (OFFSET scans).
	MaxAdminOffset = 100_000
)

// AdminQuery is the query of a GET /api/v1/admin listing.
type AdminQuery struct {
	Keyword        string
	ConversationID string
	SendID         string
	Offset, Count  int
}

// ParseAdminQuery reads ?keyword=&conversationID=&sendID=&offset=&count=.
func ParseAdminQuery(v url.Values) (AdminQuery, error) {
	q := AdminQuery{Keyword: v.Get("keyword"), ConversationID: v.Get("conversationID"), SendID: v.Get("sendID"), Count: DefaultAdminCount}
	if len(q.Keyword) > MaxAdminKeyword || !utf8.ValidString(q.Keyword) {
		return q, protocol.Errorf(protocol.CodeInvalidArgument, "keyword must be valid UTF-8 of at most %d bytes", MaxAdminKeyword)
	}
	if q.ConversationID != "" && len(q.ConversationID) > 2*protocol.MaxIDLen+4 {
		return q, protocol.Errorf(protocol.CodeInvalidArgument, "invalid conversationID")
	}
	if q.SendID != "" && !protocol.ValidID(q.SendID) {
		return q, protocol.Errorf(protocol.CodeInvalidArgument, "invalid sendID")
	}
	num := func(name string, def, lo, hi int) (int, error) {
		s := v.Get(name)
		if s == "" {
			return def, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, protocol.Errorf(protocol.CodeInvalidArgument, "%s must be an integer from %d to %d", name, lo, hi)
		}
		return n, nil
	}
	var err error
	if q.Offset, err = num("offset", 0, 0, MaxAdminOffset); err != nil {
		return q, err
	}
	if q.Count, err = num("count", DefaultAdminCount, 1, MaxAdminCount); err != nil {
		return q, err
	}
	return q, nil
}
