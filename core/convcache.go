package core

import (
	"context"
	"errors"
	"sort"
	"sync"
)

// convCache is a Store whose conversations, once read in full, are served
// from memory: the session reads the list once, in the background after
// login (for the unread counts), and the conversation list, the sync's
// lookups and the read-state check after a catch-up reuse it instead of
// reading IndexedDB again (each full read of 1,000 conversations costs
// seconds in a busy browser). Until then a page of the list is read from
// the store alone (ConversationPage). Every write goes
// through Apply, which updates the copy after the store committed, so the
// copy is the store's content.
type convCache struct {
	Store

	// loadMu serializes loads. mu guards the rest; it is not held while a
	// load reads the store, so that a page of the list (read from the store
	// until the copy is there) does not wait for the whole list.
	loadMu sync.Mutex
	mu     sync.Mutex
	convs  map[string]*Conversation // nil: not loaded
	closed bool
	// While a load reads, Applies that write conversations note them in
	// pending, in commit order, for the load to lay over what it read; a
	// failed Apply sets stale, and the load's result is dropped.
	loading bool
	pending []Conversation
	stale   bool
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
	if c.loading {
		if err != nil {
			c.stale = true
		}
		for i := range ch.Conversations {
			c.pending = append(c.pending, cloneConversation(ch.Conversations[i]))
		}
	}
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

// loaded returns the copy, or nil when it is not there; c.mu must be held.
func (c *convCache) loaded(ctx context.Context) (map[string]*Conversation, error) {
	if c.closed {
		return nil, ErrStoreClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.convs, nil
}

// load returns with c.mu held and the copy there, reading the store's
// conversations first when needed; on an error c.mu is not held.
func (c *convCache) load(ctx context.Context) (map[string]*Conversation, error) {
	c.mu.Lock()
	m, err := c.loaded(ctx)
	if err != nil || m != nil {
		if err != nil {
			c.mu.Unlock()
		}
		return m, err
	}
	c.mu.Unlock()
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	c.mu.Lock()
	if m, err := c.loaded(ctx); err != nil || m != nil {
		if err != nil {
			c.mu.Unlock()
		}
		return m, err // another load finished meanwhile
	}
	c.loading, c.pending, c.stale = true, nil, false
	c.mu.Unlock()

	all, err := c.Store.Conversations(ctx)

	c.mu.Lock()
	pending, stale := c.pending, c.stale
	c.loading, c.pending, c.stale = false, nil, false
	if err == nil && stale {
		// A write failed during the read, and may have committed or not:
		// what was read cannot be told apart from the store's content.
		err = errors.New("core: conversations changed by a failed write while they were read")
	}
	if err == nil {
		_, err = c.loaded(ctx) // closed meanwhile?
	}
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	m = make(map[string]*Conversation, len(all)+len(pending))
	for i := range all {
		m[all[i].ConversationID] = &all[i]
	}
	// Writes that finished during the read are at least as new as what it
	// saw of them.
	for i := range pending {
		m[pending[i].ConversationID] = &pending[i]
	}
	c.convs = m
	return m, nil
}

// Conversation serves from the copy when it is there; it does not load the
// whole list for one record.
func (c *convCache) Conversation(ctx context.Context, conversationID string) (Conversation, error) {
	c.mu.Lock()
	m, err := c.loaded(ctx)
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
	m, err := c.load(ctx)
	if err != nil {
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

// each calls fn with every conversation of the copy, loading it first
// when needed, without copying them: fn must not keep cv or change it,
// and must not call the cache.
func (c *convCache) each(ctx context.Context, fn func(cv *Conversation)) error {
	m, err := c.load(ctx)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	for _, cv := range m {
		fn(cv)
	}
	return nil
}

// eachConversation calls fn with every conversation of st: from the
// cache's copy without copying them when st is the cache.
func eachConversation(ctx context.Context, st Store, fn func(cv *Conversation)) error {
	if c, ok := st.(*convCache); ok {
		return c.each(ctx, fn)
	}
	convs, err := st.Conversations(ctx)
	if err != nil {
		return err
	}
	for i := range convs {
		fn(&convs[i])
	}
	return nil
}

// pageReadLimit is the most records a page read from the store may cover
// before the whole list is loaded instead.
const pageReadLimit = 200

// ConversationPage serves from the copy when it is there; otherwise it
// reads only the page from the store, so that the first screen of the list
// does not wait for the whole list to be read.
func (c *convCache) ConversationPage(ctx context.Context, offset, count int) ([]Conversation, error) {
	var m map[string]*Conversation
	var err error
	if count <= 0 || offset+count > pageReadLimit {
		// Most of the list: read all of it once, for this and later reads.
		m, err = c.load(ctx)
		if err != nil {
			return nil, err
		}
	} else {
		c.mu.Lock()
		m, err = c.loaded(ctx)
		if err != nil || m == nil {
			c.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return c.Store.ConversationPage(ctx, offset, count)
		}
	}
	// Sort pointers: copying 1,000 records to sort them costs more than
	// the sort.
	all := make([]*Conversation, 0, len(m))
	for _, cv := range m {
		if !cv.IsHidden {
			all = append(all, cv)
		}
	}
	sort.Slice(all, func(i, j int) bool { return listsBefore(all[i], all[j]) })
	if offset < 0 {
		offset = 0
	}
	if offset >= len(all) {
		c.mu.Unlock()
		return nil, nil
	}
	all = all[offset:]
	if count > 0 && count < len(all) {
		all = all[:count]
	}
	out := make([]Conversation, len(all))
	for i, cv := range all {
		out[i] = cloneConversation(*cv)
	}
	c.mu.Unlock()
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
