package core

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"parley/protocol"
)

// The one writer: apply is the only caller of Store.Apply in core
// (writer_test.go checks). Every change, whether it came from the server or
// from the app, goes load → step → Apply (one transaction, cursor included)
// → emit → effects, under applyMu, so that each decision sees the result
// of the one before and events follow the order of the writes.

// writeTimeout bounds one Apply. A write is not tied to the caller's
// context (a connection that drops mid-batch must not cut its write short
// and leave its outcome unknown), only to this.
const writeTimeout = 30 * time.Second

// apply runs one input through the step and writes its result.
func (s *session) apply(ctx context.Context, in input) (stepResult, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if err := s.confirmUnknown(ctx); err != nil {
		return stepResult{}, err
	}
	if touchesConversations(in) {
		// Whoever writes conversations loads the unread counts first, so
		// that the write's noteUnread sees the total before it.
		if err := s.loadUnread(ctx); err != nil {
			return stepResult{}, err
		}
	}
	l, err := s.load(ctx, in)
	if err != nil {
		return stepResult{}, err
	}
	res, err := step(l, in)
	if err != nil {
		return stepResult{}, err
	}
	for _, m := range res.Sending {
		// Before the write: once it is visible the sender may take the
		// message up, and must not announce its sending again.
		s.outbox.announce(m.ClientMsgID)
	}
	if !res.Changes.Empty() {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		err := s.store.Apply(wctx, &res.Changes)
		cancel()
		if err != nil {
			s.writeFailed(res)
			return stepResult{}, err
		}
	}
	s.outbox.noteWritten(&res.Changes)
	totalChanged := s.noteUnread(res.Changes.Conversations)
	s.emitResult(ctx, res, totalChanged)
	s.runEffects(res)
	return res, nil
}

// touchesConversations reports whether in may write conversations.
func touchesConversations(in input) bool {
	switch in := in.(type) {
	case foldInput:
		// A cursor alone does not.
		return len(in.States) > 0 || len(in.Messages) > 0 || len(in.Tails) > 0 || len(in.Changed) > 0 || len(in.ChangesThrough) > 0 ||
			len(in.Deletions) > 0 || len(in.DeletionsThrough) > 0
	case markReadInput, draftInput, groupInput, groupRemovedInput, groupListInput:
		return true
	}
	return false
}

// load reads the local state in needs.
func (s *session) load(ctx context.Context, in input) (localState, error) {
	l := localState{Self: s.userID, Now: s.now(), Convs: map[string]*Conversation{}, Msgs: map[string]Message{}, Outbox: map[string]bool{}}
	var err error
	switch in := in.(type) {
	case foldInput:
		convIDs := make([]string, 0, len(in.States)+len(in.Tails)+len(in.Messages))
		for _, st := range in.States {
			convIDs = append(convIDs, st.ConversationID)
		}
		for id := range in.Tails {
			convIDs = append(convIDs, id)
		}
		for _, m := range in.Messages {
			convIDs = append(convIDs, m.ConversationID)
		}
		for _, m := range in.Changed {
			convIDs = append(convIDs, m.ConversationID)
		}
		for id := range in.ChangesThrough {
			convIDs = append(convIDs, id)
		}
		for _, d := range in.Deletions {
			convIDs = append(convIDs, d.ConversationID)
		}
		var counted []string
		for _, rc := range in.ReadCounts {
			convIDs = append(convIDs, rc.ConversationID)
			for _, n := range rc.Counts {
				counted = append(counted, n.ClientMsgID)
			}
		}
		if err = s.loadConvs(ctx, &l, convIDs, true); err == nil {
			err = s.loadStored(ctx, &l, append(slices.Clip(in.Messages), in.Changed...))
		}
		if err == nil {
			err = s.loadCleared(ctx, &l, in.States)
		}
		if err == nil {
			err = s.loadPeerRead(ctx, &l, in)
		}
		if err == nil && len(counted) > 0 {
			err = s.loadMsgs(ctx, &l, counted...)
		}
		if err == nil && len(in.Deletions) > 0 {
			ids := make([]string, len(in.Deletions))
			for i, d := range in.Deletions {
				ids[i] = d.ClientMsgID
			}
			err = s.loadMsgs(ctx, &l, ids...)
		}
	case sendInput:
		err = s.loadMsgs(ctx, &l, in.Msg.ClientMsgID)
	case failInput:
		err = s.loadMsgs(ctx, &l, in.ClientMsgID)
	case uploadInput:
		if err = s.loadMsgs(ctx, &l, in.ClientMsgID); err == nil {
			err = s.loadEntries(ctx, &l)
		}
	case deleteUnsentInput:
		if err = s.loadMsgs(ctx, &l, in.ClientMsgID); err == nil {
			err = s.loadEntries(ctx, &l)
		}
	case clearInput:
		err = s.loadMsgs(ctx, &l, in.ClientMsgID)
	case attemptInput:
		err = s.loadEntries(ctx, &l)
	case markReadInput:
		err = s.loadConvs(ctx, &l, []string{in.ConversationID}, false)
	case draftInput:
		err = s.loadConvs(ctx, &l, []string{in.ConversationID}, false)
	case friendListInput, friendDeletedInput, friendChangedInput:
		err = s.loadFriends(ctx, &l)
	case friendRequestInput, friendRequestListInput:
		err = s.loadRequests(ctx, &l)
	case blockChangedInput, blackListInput:
		err = s.loadBlack(ctx, &l)
	case groupApplicationInput, groupApplicationListInput:
		err = s.loadApplications(ctx, &l)
	case socialChangesInput:
		if err = s.loadFriends(ctx, &l); err == nil {
			if err = s.loadBlack(ctx, &l); err == nil {
				if err = s.loadRequests(ctx, &l); err == nil {
					err = s.loadApplications(ctx, &l)
				}
			}
		}
	case profileChangesInput:
		if err = s.loadFriends(ctx, &l); err == nil {
			err = s.loadProfiles(ctx, &l, in.Users)
		}
	case groupInput:
		if err = s.loadGroups(ctx, &l); err == nil {
			err = s.loadConvs(ctx, &l, []string{protocol.GroupConversationID(in.Group.GroupID)}, false)
		}
	case groupRemovedInput:
		if err = s.loadGroups(ctx, &l); err == nil && in.Event.UserID == s.userID {
			err = s.loadConvs(ctx, &l, []string{protocol.GroupConversationID(in.Event.GroupID)}, false)
		} else if err == nil {
			err = s.loadMembers(ctx, &l, in.Event.GroupID)
		}
	case groupMembersInput:
		if err = s.loadGroups(ctx, &l); err == nil {
			err = s.loadMembers(ctx, &l, in.GroupID)
		}
	case groupMemberChangesInput:
		if err = s.loadGroups(ctx, &l); err == nil {
			err = s.loadMembers(ctx, &l, in.GroupID)
		}
	case groupListInput:
		if err = s.loadGroups(ctx, &l); err == nil {
			var ids []string
			for _, g := range in.List {
				ids = append(ids, protocol.GroupConversationID(g.GroupID))
			}
			for _, id := range in.Known.ids() {
				ids = append(ids, protocol.GroupConversationID(id))
			}
			err = s.loadConvs(ctx, &l, ids, false)
		}
	case profilesInput:
		if len(in.Groups) > 0 {
			err = s.loadGroups(ctx, &l)
		}
		if err == nil {
			err = s.loadConvs(ctx, &l, in.ConvIDs, false)
		}
	}
	return l, err
}

// loadConvs reads the stored conversations among ids into l; with held it
// also reads which seqs are stored beyond each one's contiguous run.
func (s *session) loadConvs(ctx context.Context, l *localState, ids []string, held bool) error {
	for _, id := range ids {
		if _, ok := l.Convs[id]; ok {
			continue
		}
		c, err := s.store.Conversation(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		l.Convs[id] = &c
		if !held || c.MaxSeq <= c.LocalMaxSeq {
			continue
		}
		// Messages may be stored beyond the run's next seq (own acks ahead
		// of a gap); fold needs them to move the run past them. The window
		// does not stop at MaxSeq: the run must reach every stored message
		// even if the record's MaxSeq lags behind one.
		top := c.LocalMaxSeq + 1 + protocol.MaxPullLimit
		ms, err := s.store.MessagesBySeq(ctx, id, c.LocalMaxSeq+2, top)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if l.Held == nil {
				l.Held = make(map[string][]int64)
			}
			l.Held[id] = append(l.Held[id], m.Seq)
		}
	}
	return nil
}

// loadLocal reads the conversations a pull plan needs (see loadConvs).
func (s *session) loadLocal(ctx context.Context, convIDs []string) (localState, error) {
	l := localState{Self: s.userID, Convs: make(map[string]*Conversation), Msgs: make(map[string]Message), Outbox: make(map[string]bool)}
	return l, s.loadConvs(ctx, &l, convIDs, true)
}

func (s *session) loadMsgs(ctx context.Context, l *localState, ids ...string) error {
	ms, err := s.store.Messages(ctx, ids)
	if err != nil {
		return err
	}
	for _, m := range ms {
		l.Msgs[m.ClientMsgID] = m
	}
	for _, id := range ids {
		if s.outbox.has(id) {
			l.Outbox[id] = true
		}
	}
	return nil
}

func (s *session) loadEntries(ctx context.Context, l *localState) error {
	es, err := s.store.Outbox(ctx)
	if err != nil {
		return err
	}
	l.Entries = make(map[string]OutboxEntry, len(es))
	for _, e := range es {
		l.Entries[e.ClientMsgID] = e
	}
	return nil
}

func (s *session) loadFriends(ctx context.Context, l *localState) error {
	fs, err := s.store.Friends(ctx)
	if err != nil {
		return err
	}
	l.Friends = make(map[string]User, len(fs))
	for _, u := range fs {
		l.Friends[u.UserID] = u
	}
	return nil
}

func (s *session) loadProfiles(ctx context.Context, l *localState, users []User) error {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.UserID
	}
	us, err := s.store.Users(ctx, ids)
	if err != nil {
		return err
	}
	l.Profiles = make(map[string]User, len(us))
	for _, u := range us {
		l.Profiles[u.UserID] = u
	}
	return nil
}

func (s *session) loadBlack(ctx context.Context, l *localState) error {
	us, err := s.store.BlackList(ctx)
	if err != nil {
		return err
	}
	l.Black = make(map[string]User, len(us))
	for _, u := range us {
		l.Black[u.UserID] = u
	}
	return nil
}

func (s *session) loadRequests(ctx context.Context, l *localState) error {
	rs, err := s.store.FriendRequests(ctx)
	if err != nil {
		return err
	}
	l.Requests = make(map[[2]string]FriendRequest, len(rs))
	for _, r := range rs {
		l.Requests[requestKey(r)] = r
	}
	return nil
}

func (s *session) loadApplications(ctx context.Context, l *localState) error {
	as, err := s.store.GroupApplications(ctx)
	if err != nil {
		return err
	}
	l.Applications = make(map[[2]string]GroupApplication, len(as))
	for _, a := range as {
		l.Applications[applicationKey(a)] = a
	}
	return nil
}

func (s *session) loadMembers(ctx context.Context, l *localState, groupID string) error {
	ms, err := s.store.GroupMembers(ctx, groupID)
	l.Members = make(map[string]GroupMember, len(ms))
	for _, m := range ms {
		l.Members[m.UserID] = m
	}
	return err
}

func (s *session) loadGroups(ctx context.Context, l *localState) error {
	gs, err := s.store.Groups(ctx)
	if err != nil {
		return err
	}
	l.Groups = make(map[string]Group, len(gs))
	for _, g := range gs {
		l.Groups[g.GroupID] = g
	}
	return nil
}

// writeFailed notes what a failed Apply meant to announce. A failed
// transaction may still have committed (IndexedDB can report an outcome it
// does not know): the messages it would have announced are announced by
// the fold that stores them again, or, if they turn out stored,
// by confirmUnknown, so each is announced once either way. The caches are
// dropped: they may not match the store any more.
func (s *session) writeFailed(res stepResult) {
	for _, m := range res.New {
		if s.unannounced == nil {
			s.unannounced = make(map[string]bool)
		}
		s.unannounced[m.ClientMsgID] = true
	}
	s.unread, s.total = nil, 0
}

// confirmUnknown announces the messages of an earlier failed write that
// are stored after all; applyMu must be held.
func (s *session) confirmUnknown(ctx context.Context) error {
	if len(s.unannounced) == 0 {
		return nil
	}
	ids := sortedKeys(s.unannounced)
	ms, err := s.store.Messages(ctx, ids)
	if err != nil {
		return err
	}
	var found []Message
	var convIDs []string
	for _, m := range ms {
		if m.Status == StatusSent {
			found = append(found, m)
			convIDs = append(convIDs, m.ConversationID)
			delete(s.unannounced, m.ClientMsgID)
		}
	}
	if len(found) == 0 {
		return nil
	}
	sortMessages(found)
	evs := []Event{NewMessages{Messages: found}}
	var convs []Conversation
	for _, id := range dedupSorted(convIDs) {
		if c, err := s.store.Conversation(ctx, id); err == nil {
			convs = append(convs, c)
		}
	}
	if len(convs) > 0 {
		evs = append(evs, ConversationsChanged{Conversations: s.decorate(ctx, convs)})
	}
	s.c.events.emit(evs...)
	return nil
}

// emitResult queues the events of a write; applyMu must be held, so that
// events follow the order of the writes (handlers run later, on the
// emitter's goroutine).
func (s *session) emitResult(ctx context.Context, res stepResult, totalChanged bool) {
	var evs []Event
	for _, m := range res.Sending {
		evs = append(evs, MessageStatusChanged{Message: m})
	}
	for _, m := range res.Sent {
		evs = append(evs, MessageStatusChanged{Message: m})
	}
	for _, m := range res.Failed {
		if m.ConversationID != "" {
			evs = append(evs, MessageStatusChanged{Message: m})
		}
	}
	evs = append(evs, res.Events...)
	if len(res.New) > 0 {
		for _, m := range res.New {
			delete(s.unannounced, m.ClientMsgID)
		}
		evs = append(evs, NewMessages{Messages: res.New})
	}
	if len(res.Updated) > 0 {
		evs = append(evs, MessagesChanged{Messages: res.Updated})
	}
	if len(res.Changed) > 0 {
		evs = append(evs, ConversationsChanged{Conversations: s.decorate(context.WithoutCancel(ctx), res.Changed)})
	}
	if totalChanged {
		evs = append(evs, TotalUnreadCountChanged{Count: s.total})
	}
	s.c.events.emit(evs...)
}

// runEffects starts what a write asks for beyond the store and events.
func (s *session) runEffects(res stepResult) {
	for _, m := range res.Sent {
		s.outbox.resolve(m.ClientMsgID, m, nil)
	}
	for _, m := range res.Resolved {
		s.outbox.resolve(m.ClientMsgID, m, nil)
	}
	for _, m := range res.Failed {
		s.outbox.resolve(m.ClientMsgID, m, failError(m.ErrorCode))
	}
	if len(res.Sending) > 0 {
		s.outbox.wake()
	}
	if w := s.liveWire(); w != nil {
		for _, pm := range res.FillBelow {
			s.goBackground(func() { s.fillGaps(w, pm) })
		}
	}
	if len(res.Changed) > 0 && !res.Named {
		s.fetchProfiles(res.Changed)
	}
	if w := s.liveWire(); w != nil && !res.RefreshLater {
		for _, id := range res.RefreshGroups {
			s.goBackground(func() { s.refreshGroup(w, id) })
		}
	}
}

// failError is how SendMessage rejects for a message that failed with
// code: the same words the app shows for it after a reload, when only the
// stored ErrorCode is left.
func failError(code protocol.Code) error {
	return &Error{Code: code, Message: "message not sent: " + string(code)}
}

// warm reads the conversations into the store's cache and the unread
// counts, unless that was done.
func (s *session) warm(ctx context.Context) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	return s.loadUnread(ctx)
}

// loadUnread fills the unread counts from the stored conversations, unless
// they are there; applyMu must be held.
func (s *session) loadUnread(ctx context.Context) error {
	if s.unread != nil {
		return nil
	}
	unread := make(map[string]int64)
	if err := eachConversation(ctx, s.store, func(cv *Conversation) { unread[cv.ConversationID] = cv.totalShare() }); err != nil {
		return err
	}
	s.unread, s.total = unread, totalUnread(unread)
	return nil
}

// noteUnread updates the unread cache after a write of convs; applyMu must
// be held. Before loadUnread it does nothing: the load reads the write.
func (s *session) noteUnread(convs []Conversation) bool {
	if s.unread == nil {
		return false
	}
	before := s.total
	for _, c := range convs {
		s.unread[c.ConversationID] = c.totalShare()
	}
	s.total = totalUnread(s.unread)
	return s.total != before
}

func dedupSorted(ids []string) []string {
	sort.Strings(ids)
	return dedup(ids)
}

// sortMessages sorts ms by conversation, then seq, as fold announces them.
func sortMessages(ms []Message) {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].ConversationID != ms[j].ConversationID {
			return ms[i].ConversationID < ms[j].ConversationID
		}
		return ms[i].Seq < ms[j].Seq
	})
}
