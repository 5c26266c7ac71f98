//go:build js

package indexdb

import (
	"parley/core"
)

// msgRecord is a stored message: the core JSON plus derived index keys.
// Content is shadowed by a string so custom content keeps its exact bytes
// (a JS object would reorder integer-like keys).
type msgRecord struct {
	core.Message
	Content string `json:"content,omitempty"`
	// Uploads is Message.Uploads as a JSON string (rare, and small).
	Uploads string `json:"uploads,omitempty"`
	// CS is [conversationID, seq], set only when seq > 0 (index convSeq).
	CS []any `json:"_cs,omitempty"`
	// US is [conversationID, createTime, clientMsgID], set only when the
	// message has no seq yet (index unsent).
	US []any `json:"_us,omitempty"`
}

func newMsgRecord(m *core.Message) *msgRecord {
	r := &msgRecord{Message: *m, Content: string(m.Content), Uploads: uploadsJSON(m.Uploads)}
	r.Message.Content, r.Message.Uploads = nil, nil
	if m.Seq > 0 {
		r.CS = []any{m.ConversationID, m.Seq}
	} else {
		r.US = []any{m.ConversationID, m.CreateTime, m.ClientMsgID}
	}
	return r
}

// convRecord is a stored conversation.
type convRecord struct {
	core.Conversation
	LatestMessage *msgRecord `json:"latestMessage"`
	// List is listKey (index list); nil for a hidden conversation, which
	// the index then leaves out.
	List []any `json:"_list,omitempty"`
}

// listKey orders conversations ascending as the list shows them
// (core.SortConversations): [0 if pinned else 1, -activity,
// conversationID], so a page is the first records of the index.
func listKey(c *core.Conversation) []any {
	pinned, negActivity, id := listKeyParts(c)
	return []any{pinned, negActivity, id}
}

// listKeyParts are listKey's three parts.
func listKeyParts(c *core.Conversation) (pinned int, negActivity int64, conversationID string) {
	pinned = 1
	if c.IsPinned {
		pinned = 0
	}
	return pinned, -c.Activity(), c.ConversationID
}

func newConvRecord(c *core.Conversation) *convRecord {
	r := &convRecord{Conversation: *c}
	r.Conversation.LatestMessage = nil
	if c.LatestMessage != nil {
		r.LatestMessage = newMsgRecord(c.LatestMessage)
		// The latest message is not a row of its own: keep no index keys.
		r.LatestMessage.CS, r.LatestMessage.US = nil, nil
	}
	if !c.IsHidden {
		r.List = listKey(c)
	}
	return r
}

// outboxRecord is a stored outbox entry.
type outboxRecord struct {
	core.OutboxEntry
	// Order is [order, clientMsgID] (index order).
	Order []any `json:"_order"`
}

func newOutboxRecord(e *core.OutboxEntry) *outboxRecord {
	return &outboxRecord{OutboxEntry: *e, Order: []any{e.Order, e.ClientMsgID}}
}
