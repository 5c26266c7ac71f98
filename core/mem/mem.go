// Package mem is the in-memory core.Store: the reference implementation of
// the store contract, used by native clients and tests.
package mem

import (
	"context"
	"encoding/json"
	"sort"
	"sync"

	"parley/core"
)

// data is the content shared by every handle opened on it.
type data struct {
	mu            sync.RWMutex
	users         map[string]core.User
	friends       map[string]core.User
	requests      map[[2]string]core.FriendRequest
	black         map[string]core.User
	profileCursor int64
	social        int64
	hasSocial     bool
	groups        map[string]core.Group
	members       map[string]map[string]core.GroupMember // groupID -> userID ->
	applications  map[[2]string]core.GroupApplication    // by (groupID, userID)
	convs         map[string]core.Conversation
	msgs          map[string]core.Message     // by ClientMsgID
	texts         map[string]string           // ClientMsgID -> core.SearchText, of the searchable
	bySeq         map[string]map[int64]string // conversationID -> seq -> ClientMsgID
	outbox        map[string]core.OutboxEntry
	chunks        map[chunkKey]core.Bytes
	cursor        int64
	hasCursor     bool
}

// chunkKey keys a stored file chunk.
type chunkKey struct {
	id          string
	slot, index int
}

// Store is one open handle on in-memory data.
type Store struct {
	d      *data
	mu     sync.Mutex
	closed bool
}

var _ core.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{d: &data{
		users:        make(map[string]core.User),
		friends:      make(map[string]core.User),
		requests:     make(map[[2]string]core.FriendRequest),
		black:        make(map[string]core.User),
		groups:       make(map[string]core.Group),
		members:      make(map[string]map[string]core.GroupMember),
		applications: make(map[[2]string]core.GroupApplication),
		convs:        make(map[string]core.Conversation),
		msgs:         make(map[string]core.Message),
		texts:        make(map[string]string),
		bySeq:        make(map[string]map[int64]string),
		outbox:       make(map[string]core.OutboxEntry),
		chunks:       make(map[chunkKey]core.Bytes),
	}}
}

// Reopen returns a new handle on the same data, as opening the same database
// again would; s itself may be closed or open.
func (s *Store) Reopen() *Store { return &Store{d: s.d} }

// Close closes this handle; the data stays for Reopen.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return core.ErrStoreClosed
	}
	s.closed = true
	return nil
}

func (s *Store) check(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return core.ErrStoreClosed
	}
	return ctx.Err()
}

func cloneMsg(m core.Message) core.Message {
	if m.Content != nil {
		m.Content = append(json.RawMessage(nil), m.Content...)
	}
	if m.Uploads != nil {
		ups := make([]core.Upload, len(m.Uploads))
		for i, u := range m.Uploads {
			if u.Result != nil {
				r := *u.Result
				u.Result = &r
			}
			ups[i] = u
		}
		m.Uploads = ups
	}
	return m
}

func cloneConv(c core.Conversation) core.Conversation {
	if c.LatestMessage != nil {
		m := cloneMsg(*c.LatestMessage)
		c.LatestMessage = &m
	}
	return c
}

// Users implements core.UserReader.
func (s *Store) Users(ctx context.Context, ids []string) ([]core.User, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.User, 0, len(ids))
	for _, id := range ids {
		if u, ok := s.d.users[id]; ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// BlackList implements core.BlackListReader.
func (s *Store) BlackList(ctx context.Context) ([]core.User, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.User, 0, len(s.d.black))
	for _, u := range s.d.black {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

// FriendRequests implements core.FriendRequestReader.
func (s *Store) FriendRequests(ctx context.Context) ([]core.FriendRequest, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.FriendRequest, 0, len(s.d.requests))
	for _, r := range s.d.requests {
		out = append(out, r)
	}
	core.SortFriendRequests(out)
	return out, nil
}

// Friends implements core.FriendReader.
func (s *Store) Friends(ctx context.Context) ([]core.User, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.User, 0, len(s.d.friends))
	for _, u := range s.d.friends {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

// GroupMembers implements core.GroupMemberReader.
func (s *Store) GroupMembers(ctx context.Context, groupID string) ([]core.GroupMember, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.GroupMember, 0, len(s.d.members[groupID]))
	for _, m := range s.d.members[groupID] {
		out = append(out, m)
	}
	core.SortGroupMembers(out)
	return out, nil
}

// GroupApplications implements core.GroupApplicationReader.
func (s *Store) GroupApplications(ctx context.Context) ([]core.GroupApplication, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.GroupApplication, 0, len(s.d.applications))
	for _, a := range s.d.applications {
		out = append(out, a)
	}
	core.SortGroupApplications(out)
	return out, nil
}

// Groups implements core.GroupReader.
func (s *Store) Groups(ctx context.Context) ([]core.Group, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.Group, 0, len(s.d.groups))
	for _, g := range s.d.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GroupID < out[j].GroupID })
	return out, nil
}

// Conversation implements core.ConversationReader.
func (s *Store) Conversation(ctx context.Context, id string) (core.Conversation, error) {
	if err := s.check(ctx); err != nil {
		return core.Conversation{}, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	c, ok := s.d.convs[id]
	if !ok {
		return core.Conversation{}, core.ErrNotFound
	}
	return cloneConv(c), nil
}

// Conversations implements core.ConversationReader.
func (s *Store) Conversations(ctx context.Context) ([]core.Conversation, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.Conversation, 0, len(s.d.convs))
	for _, c := range s.d.convs {
		out = append(out, cloneConv(c))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ConversationID < out[j].ConversationID })
	return out, nil
}

// ConversationPage implements core.ConversationReader.
func (s *Store) ConversationPage(ctx context.Context, offset, count int) ([]core.Conversation, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	all := make([]core.Conversation, 0, len(s.d.convs))
	for _, c := range s.d.convs {
		if !c.IsHidden {
			all = append(all, c)
		}
	}
	s.d.mu.RUnlock()
	core.SortConversations(all)
	all = pageOf(all, offset, count)
	for i := range all {
		all[i] = cloneConv(all[i])
	}
	return all, nil
}

// pageOf returns cs[offset:offset+count], count <= 0 meaning to the end.
func pageOf(cs []core.Conversation, offset, count int) []core.Conversation {
	if offset < 0 {
		offset = 0
	}
	if offset >= len(cs) {
		return nil
	}
	cs = cs[offset:]
	if count > 0 && count < len(cs) {
		cs = cs[:count]
	}
	return cs
}

// MessagesBySeq implements core.MessageReader.
func (s *Store) MessagesBySeq(ctx context.Context, convID string, from, to int64) ([]core.Message, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	idx := s.d.bySeq[convID]
	var out []core.Message
	if to-from < int64(len(idx)) {
		for seq := from; seq <= to; seq++ {
			if id, ok := idx[seq]; ok {
				out = append(out, cloneMsg(s.d.msgs[id]))
			}
		}
		return out, nil
	}
	for seq, id := range idx {
		if seq >= from && seq <= to {
			out = append(out, cloneMsg(s.d.msgs[id]))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// Messages implements core.MessageReader.
func (s *Store) Messages(ctx context.Context, ids []string) ([]core.Message, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.Message, 0, len(ids))
	for _, id := range ids {
		if m, ok := s.d.msgs[id]; ok {
			out = append(out, cloneMsg(m))
		}
	}
	return out, nil
}

// SearchMessages implements core.MessageSearcher by a scan of the
// searchable messages' stored texts.
func (s *Store) SearchMessages(ctx context.Context, q core.SearchQuery) (int, []core.Message, error) {
	if err := s.check(ctx); err != nil {
		return 0, nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	sm := core.NewSearchMatcher(q)
	var hits []core.SearchHit
	for id, text := range s.d.texts {
		m := s.d.msgs[id]
		if sm.Match(m.SendTime, m.ConversationID, m.SendID, m.ContentType, text) {
			hits = append(hits, core.SearchHit{SendTime: m.SendTime, ClientMsgID: id})
		}
	}
	ids := core.SearchPage(hits, q.Offset, q.Count)
	out := make([]core.Message, len(ids))
	for i, id := range ids {
		out[i] = cloneMsg(s.d.msgs[id])
	}
	return len(hits), out, nil
}

// UnsentMessages implements core.MessageReader.
func (s *Store) UnsentMessages(ctx context.Context, convID string) ([]core.Message, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	var out []core.Message
	for _, m := range s.d.msgs {
		if m.ConversationID == convID && m.Seq == 0 {
			out = append(out, cloneMsg(m))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreateTime != out[j].CreateTime {
			return out[i].CreateTime < out[j].CreateTime
		}
		return out[i].ClientMsgID < out[j].ClientMsgID
	})
	return out, nil
}

// Outbox implements core.OutboxReader.
func (s *Store) Outbox(ctx context.Context) ([]core.OutboxEntry, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := make([]core.OutboxEntry, 0, len(s.d.outbox))
	for _, e := range s.d.outbox {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].ClientMsgID < out[j].ClientMsgID
	})
	return out, nil
}

// Chunks implements core.ChunkReader.
func (s *Store) Chunks(ctx context.Context, id string, slot, from, to int) ([]core.Chunk, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	var out []core.Chunk
	for i := max(from, 0); i <= to; i++ {
		if b, ok := s.d.chunks[chunkKey{id, slot, i}]; ok {
			out = append(out, core.Chunk{ClientMsgID: id, Slot: slot, Index: i, Data: b})
		}
	}
	return out, nil
}

// SocialVersion implements core.SocialVersionReader.
func (s *Store) SocialVersion(ctx context.Context) (int64, bool, error) {
	if err := s.check(ctx); err != nil {
		return 0, false, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	return s.d.social, s.d.hasSocial, nil
}

// ProfileCursor implements core.ProfileCursorReader.
func (s *Store) ProfileCursor(ctx context.Context) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	return s.d.profileCursor, nil
}

// SyncCursor implements core.CursorReader.
func (s *Store) SyncCursor(ctx context.Context) (int64, bool, error) {
	if err := s.check(ctx); err != nil {
		return 0, false, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	return s.d.cursor, s.d.hasCursor, nil
}

// Apply implements core.Applier. Nothing in it can fail half-way, so the
// batch is atomic by holding the lock.
func (s *Store) Apply(ctx context.Context, ch *core.Changes) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if ch == nil {
		return nil
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, u := range ch.Users {
		d.users[u.UserID] = u
	}
	for _, u := range ch.Friends {
		d.friends[u.UserID] = u
	}
	for _, r := range ch.FriendRequests {
		d.requests[[2]string{r.FromUserID, r.ToUserID}] = r
	}
	for _, u := range ch.Black {
		d.black[u.UserID] = u
	}
	for _, g := range ch.Groups {
		d.groups[g.GroupID] = g
	}
	for _, m := range ch.GroupMembers {
		if d.members[m.GroupID] == nil {
			d.members[m.GroupID] = make(map[string]core.GroupMember)
		}
		d.members[m.GroupID][m.UserID] = m
	}
	for _, a := range ch.GroupApplications {
		d.applications[[2]string{a.GroupID, a.UserID}] = a
	}
	for _, c := range ch.Conversations {
		d.convs[c.ConversationID] = cloneConv(c)
	}
	for _, m := range ch.Messages {
		if old, ok := d.msgs[m.ClientMsgID]; ok && old.Seq != 0 {
			if idx := d.bySeq[old.ConversationID]; idx[old.Seq] == m.ClientMsgID {
				delete(idx, old.Seq)
			}
		}
		d.msgs[m.ClientMsgID] = cloneMsg(m)
		delete(d.texts, m.ClientMsgID)
		if core.Searchable(&m) {
			d.texts[m.ClientMsgID] = core.SearchText(&m)
		}
		if m.Seq != 0 {
			idx := d.bySeq[m.ConversationID]
			if idx == nil {
				idx = make(map[int64]string)
				d.bySeq[m.ConversationID] = idx
			}
			idx[m.Seq] = m.ClientMsgID
		}
	}
	for _, e := range ch.Outbox {
		d.outbox[e.ClientMsgID] = e
	}
	for _, id := range ch.RemovedFriends {
		delete(d.friends, id)
	}
	for _, r := range ch.RemovedFriendRequests {
		delete(d.requests, [2]string{r.FromUserID, r.ToUserID})
	}
	for _, id := range ch.RemovedBlack {
		delete(d.black, id)
	}
	for _, m := range ch.RemovedGroupMembers {
		delete(d.members[m.GroupID], m.UserID)
	}
	for _, a := range ch.RemovedGroupApplications {
		delete(d.applications, [2]string{a.GroupID, a.UserID})
	}
	for _, id := range ch.RemovedGroups {
		delete(d.groups, id)
		delete(d.members, id)
	}
	for _, c := range ch.Chunks {
		d.chunks[chunkKey{c.ClientMsgID, c.Slot, c.Index}] = c.Data
	}
	for _, id := range ch.RemovedOutbox {
		delete(d.outbox, id)
	}
	for _, id := range ch.RemovedMessages {
		if old, ok := d.msgs[id]; ok {
			if idx := d.bySeq[old.ConversationID]; old.Seq != 0 && idx[old.Seq] == id {
				delete(idx, old.Seq)
			}
			delete(d.msgs, id)
			delete(d.texts, id)
		}
	}
	if len(ch.RemovedChunks) > 0 {
		gone := make(map[string]bool, len(ch.RemovedChunks))
		for _, id := range ch.RemovedChunks {
			gone[id] = true
		}
		for k := range d.chunks {
			if gone[k.id] {
				delete(d.chunks, k)
			}
		}
	}
	if ch.Cursor != nil {
		d.cursor, d.hasCursor = *ch.Cursor, true
	}
	if ch.ProfileCursor != nil {
		d.profileCursor = *ch.ProfileCursor
	}
	if ch.SocialVersion != nil {
		d.social, d.hasSocial = *ch.SocialVersion, true
	}
	return nil
}
