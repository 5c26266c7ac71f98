package core

// Local search (contract §4.2): searchLocalMessages over the stored
// messages, offline. The matching rules live here, once, for every store.

import (
	"context"
	"sort"
	"strings"

	"parley/protocol"
)

// SearchQuery selects stored messages. Zero fields select everything.
type SearchQuery struct {
	// Keyword is matched case-insensitively as a substring of a message's
	// SearchText: no word splitting, so it works for any language.
	Keyword        string
	ConversationID string
	SenderUserIDs  []string
	ContentTypes   []string
	// StartTime and EndTime bound SendTime, Unix ms, inclusive (0: open).
	StartTime int64
	EndTime   int64
	// Offset and Count page the matches in search order (SortSearchHits).
	Offset int
	Count  int
}

// SearchResult is one page of matches and how many there are in all.
type SearchResult struct {
	TotalCount int       `json:"totalCount"`
	Messages   []Message `json:"messages"`
}

// MessageSearcher searches the stored messages.
type MessageSearcher interface {
	// SearchMessages returns the stored messages that q selects (sent,
	// not deleted: Seq > 0 and !Deleted) matched by NewSearchMatcher(q),
	// the page q.Offset, q.Count of them in SortSearchHits order, and the
	// number of every match.
	SearchMessages(ctx context.Context, q SearchQuery) (total int, msgs []Message, err error)
}

// Searchable reports whether a stored message takes part in searches.
func Searchable(m *Message) bool { return m.Seq > 0 && !m.Deleted }

// SearchText is the lower-case text a keyword is matched against: a
// text-bearing message's text, else what its content says in words (a
// file's name, a custom message's or a location's description, a link's
// title, a card's name, a merger's title); "" for media without words.
func SearchText(m *Message) string {
	t := m.Text
	if t == "" && len(m.Content) > 0 {
		switch m.ContentType {
		case protocol.ContentFile, protocol.ContentCustom, protocol.ContentLocation,
			protocol.ContentLink, protocol.ContentCard, protocol.ContentMerger:
			t = protocol.ContentSummary(m.ContentType, m.Content)
		}
	}
	return strings.ToLower(t)
}

// SearchMatcher is a SearchQuery prepared for matching many messages.
type SearchMatcher struct {
	q       SearchQuery
	keyword string
	senders map[string]bool
	types   map[string]bool
}

// NewSearchMatcher prepares q.
func NewSearchMatcher(q SearchQuery) *SearchMatcher {
	set := func(xs []string) map[string]bool {
		if len(xs) == 0 {
			return nil
		}
		m := make(map[string]bool, len(xs))
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	return &SearchMatcher{q: q, keyword: strings.ToLower(q.Keyword), senders: set(q.SenderUserIDs), types: set(q.ContentTypes)}
}

// Match reports whether a message with these fields matches; text is its
// SearchText. The cheap tests come first: a store calls it per message.
func (sm *SearchMatcher) Match(sendTime int64, conversationID, sendID, contentType, text string) bool {
	q := &sm.q
	return (q.ConversationID == "" || q.ConversationID == conversationID) &&
		(q.StartTime == 0 || sendTime >= q.StartTime) && (q.EndTime == 0 || sendTime <= q.EndTime) &&
		(sm.senders == nil || sm.senders[sendID]) && (sm.types == nil || sm.types[contentType]) &&
		strings.Contains(text, sm.keyword)
}

// SearchHit is a match, by what orders it.
type SearchHit struct {
	SendTime    int64
	ClientMsgID string
}

// SortSearchHits orders hits as searches return them: newest first by
// SendTime, then by ClientMsgID descending.
func SortSearchHits(hits []SearchHit) {
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].SendTime != hits[j].SendTime {
			return hits[i].SendTime > hits[j].SendTime
		}
		return hits[i].ClientMsgID > hits[j].ClientMsgID
	})
}

// SearchPage sorts hits and returns the ClientMsgIDs of the page from
// offset, at most count of them.
func SearchPage(hits []SearchHit, offset, count int) []string {
	SortSearchHits(hits)
	if offset >= len(hits) {
		return nil
	}
	hits = hits[offset:min(len(hits), offset+count)]
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ClientMsgID
	}
	return ids
}

// Search bounds.
const (
	DefaultSearchCount = 20
	MaxSearchCount     = 100
	maxSearchKeyword   = 200
)

// SearchLocalMessages searches the messages stored here, offline: newest
// first across conversations, totalCount counting every match.
func (c *Client) SearchLocalMessages(ctx context.Context, q SearchQuery) (SearchResult, error) {
	s, err := c.session()
	if err != nil {
		return SearchResult{}, err
	}
	switch {
	case q.Offset < 0 || q.Count < 0 || q.Count > MaxSearchCount:
		return SearchResult{}, errInvalid("offset must not be negative and count at most 100")
	case len(q.Keyword) > maxSearchKeyword:
		return SearchResult{}, errInvalid("keyword is longer than 200 bytes")
	case q.StartTime < 0 || q.EndTime < 0 || (q.EndTime > 0 && q.EndTime < q.StartTime):
		return SearchResult{}, errInvalid("invalid time range")
	}
	if q.Count == 0 {
		q.Count = DefaultSearchCount
	}
	total, msgs, err := s.store.SearchMessages(ctx, q)
	if err != nil {
		return SearchResult{}, withCode(err)
	}
	if msgs == nil {
		msgs = []Message{}
	}
	return SearchResult{TotalCount: total, Messages: msgs}, nil
}
