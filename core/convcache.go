package core

import (
	"context"
	"sort"
	"sync"
)

// convCache is a Store whose conversations, once read in full, are served
// from memory: login reads the list once (for the unread counts) and the
// conversation list, the sync's lookups and the read-state check after a
// catch-up reuse it instead of reading IndexedDB again (each full read of
// 1,000 conversations costs seconds in a busy browser). Every write goes
// through Apply, which updates the copy after the store committed, so the
// copy is the store's content.
type convCache struct {
	Store

	// mu serializes loading with the Applies that write conversations,
	// so a load never misses a write that finished during it.
	mu     sync.Mutex
	convs  map[string]*Conversation // nil: not loaded
	closed bool
}

func newConvCache(s Store) *convCache { return &convCache{Store: s} }

// Apply writes ch and then updates the copy; after an error the copy is
// dropped (a failed transaction may still have committed) and read again
// when next needed.
func (c *convCache) Apply(ctx context.Context, ch *Changes) error {
	if ch == nil || len(ch.Conversations) == 0 {
		return c.Store.Apply(ctx, ch)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.Store.Apply(ctx, ch)
	if c.convs == nil {
		return err
	}
	if err != nil {
		c.convs = nil
		return err
	}
	for i := range ch.Conversations {
		cv := cloneConversation(ch.Conversations[i])
		c.convs[cv.ConversationID] = &cv
	}
	return nil
}

// loaded returns the copy, reading the store's conversations first when
// read is set and the copy is not there; c.mu must be held.
func (c *convCache) loaded(ctx context.Context, read bool) (map[string]*Conversation, error) {
	if c.closed {
		return nil, ErrStoreClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.convs != nil || !read {
		return c.convs, nil
	}
	all, err := c.Store.Conversations(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*Conversation, len(all))
	for i := range all {
		m[all[i].ConversationID] = &all[i]
	}
	c.convs = m
	return m, nil
}

// Conversation serves from the copy when it is there; it does not load the
// whole list for one record.
func (c *convCache) Conversation(ctx context.Context, conversationID string) (Conversation, error) {
	c.mu.Lock()
	m, err := c.loaded(ctx, false)
	if err != nil || m == nil {
		c.mu.Unlock()
		if err != nil {
			return Conversation{}, err
		}
		return c.Store.Conversation(ctx, conversationID)
	}
	cv, ok := m[conversationID]
	var out Conversation
	if ok {
		out = cloneConversation(*cv)
	}
	c.mu.Unlock()
	if !ok {
		return Conversation{}, ErrNotFound
	}
	return out, nil
}

// Conversations returns every conversation ordered by ConversationID,
// reading the store only the first time.
func (c *convCache) Conversations(ctx context.Context) ([]Conversation, error) {
	c.mu.Lock()
	m, err := c.loaded(ctx, true)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	out := make([]Conversation, 0, len(m))
	for _, cv := range m {
		out = append(out, cloneConversation(*cv))
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ConversationID < out[j].ConversationID })
	return out, nil
}

// Close closes the store; the copy is dropped.
func (c *convCache) Close() error {
	c.mu.Lock()
	c.closed, c.convs = true, nil
	c.mu.Unlock()
	return c.Store.Close()
}

// cloneConversation copies cv so that callers never share the copy's
// latest message.
func cloneConversation(cv Conversation) Conversation {
	if cv.LatestMessage != nil {
		m := *cv.LatestMessage
		if m.Content != nil {
			m.Content = append([]byte(nil), m.Content...)
		}
		cv.LatestMessage = &m
	}
	return cv
}
