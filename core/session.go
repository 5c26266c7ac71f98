package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"parley/protocol"
)

// session is one login: the store, the connection loop, the sync worker and
// the outbox. It ends at Logout.
type session struct {
	c      *Client
	cfg    *Config
	userID string
	url    string
	store  Store

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	wire     *wire
	changed  chan struct{} // closed and replaced when wire or state changes
	state    ConnState
	terminal error // set once the session stopped reconnecting

	// applyMu serializes read-decide-write cycles on the store, so folds
	// see each other's results.
	applyMu sync.Mutex
	// unread is conversationID -> unread count, nil until loadUnread read
	// the conversations (after login, which does not wait for it); total
	// is their sum. Both guarded by applyMu.
	unread map[string]int64
	total  int64

	// listed is closed once the app's first conversation list call
	// returned, or firstListGrace after login if none started by then:
	// reads of the whole list wait for it, so the first screen is not
	// queued behind them.
	listedOnce sync.Once
	listed     chan struct{}
	// listing is set when the app's first list call started: the grace
	// then lasts until it returned, however long a busy page takes.
	listing atomic.Bool

	outbox outbox

	lastCreate atomic.Int64 // the last CreateTime handed out, in ms
}

func (s *session) now() int64 { return s.cfg.Now().UnixMilli() }

// createTime returns the current time in ms, strictly after every earlier
// result in this session, so messages created in one millisecond keep the
// order the app created them in (unsent lists sort by CreateTime).
func (s *session) createTime() int64 {
	for {
		last, t := s.lastCreate.Load(), s.now()
		if t <= last {
			t = last + 1
		}
		if s.lastCreate.CompareAndSwap(last, t) {
			return t
		}
	}
}

// setState records a state and announces it when it changed.
func (s *session) setState(st ConnState, w *wire) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return // logged out: announce nothing more
	}
	s.wire = w
	changed := s.state != st
	s.state = st
	switch st {
	case ConnTokenExpired:
		s.terminal = &Error{Code: protocol.CodeTokenExpired, Message: "token expired or revoked; log in again"}
	case ConnKickedOffline:
		s.terminal = &Error{Code: protocol.CodeUnauthenticated, Message: "kicked offline by another login"}
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if changed {
		s.c.events.emit(ConnectionStateChanged{State: st})
	}
}

func (s *session) connState() ConnState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// liveWire returns the current connection or nil.
func (s *session) liveWire() *wire {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wire != nil && s.wire.ctx.Err() == nil {
		return s.wire
	}
	return nil
}

// waitWire waits for a live connection until ctx ends.
func (s *session) waitWire(ctx context.Context) (*wire, error) {
	for {
		s.mu.Lock()
		w, ch, term := s.wire, s.changed, s.terminal
		s.mu.Unlock()
		if w != nil && w.ctx.Err() == nil {
			return w, nil
		}
		if term != nil {
			return nil, term
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, errNetwork(nil)
		case <-s.ctx.Done():
			return nil, errNotLoggedIn()
		}
	}
}

// call makes one request, waiting for the connection first, within the
// caller's deadline or RequestTimeout.
func (s *session) call(ctx context.Context, typ string, req, resp any) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	w, err := s.waitWire(ctx)
	if err != nil {
		return err
	}
	return w.call(ctx, typ, req, resp)
}

// backoff is the delay before connection attempt n (0-based): exponential,
// capped, with the upper half jittered so clients do not reconnect in step.
func backoff(n int, min, max time.Duration) time.Duration {
	d := min
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func (s *session) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// run connects, serves the connection and reconnects until logout, a kick
// or a refused token.
func (s *session) run() {
	defer s.wg.Done()
	// The whole list is read after login resolved and the app's first
	// page came: neither needs it.
	s.goBackground(func() {
		t := time.NewTimer(firstListGrace)
		defer t.Stop()
		select {
		case <-s.listed:
		case <-t.C:
		case <-s.ctx.Done():
			return
		}
		if s.listing.Load() {
			// The app's first page is under way: let it finish.
			select {
			case <-s.listed:
			case <-s.ctx.Done():
				return
			}
		}
		s.markListed()
		if err := s.warm(s.ctx); err != nil && s.ctx.Err() == nil {
			s.cfg.Logger.Warn("reading the conversations failed", "err", err)
		}
	})
	for attempt := 0; ; attempt++ {
		if s.ctx.Err() != nil {
			return
		}
		s.setState(ConnConnecting, nil)
		dctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		conn, err := s.cfg.Dialer.Dial(dctx, s.url)
		cancel()
		if err != nil {
			if errors.Is(err, ErrUnauthorized) {
				s.cfg.Logger.Info("token refused at handshake", "user", s.userID)
				s.setState(ConnTokenExpired, nil)
				return
			}
			s.cfg.Logger.Debug("dial failed", "err", err)
			s.setState(ConnDisconnected, nil)
			if !s.sleep(backoff(attempt, s.cfg.ReconnectMinDelay, s.cfg.ReconnectMaxDelay)) {
				return
			}
			continue
		}
		w := newWire(s.ctx, conn, s.cfg.RequestTimeout)
		caughtUp := s.serve(w)
		if caughtUp {
			attempt = 0
		}
		switch reason := w.kickedReason(); reason {
		case "":
		case "replaced":
			s.setState(ConnKickedOffline, nil)
			return
		default:
			s.cfg.Logger.Info("kicked", "reason", reason)
			s.setState(ConnTokenExpired, nil)
			return
		}
		if s.ctx.Err() != nil {
			return
		}
		s.setState(ConnDisconnected, nil)
		if !s.sleep(backoff(attempt, s.cfg.ReconnectMinDelay, s.cfg.ReconnectMaxDelay)) {
			return
		}
	}
}

// serve runs one connection to its end and reports whether its catch-up
// finished.
func (s *session) serve(w *wire) (caughtUp bool) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); w.readLoop() }()
	go func() { defer wg.Done(); s.heartbeat(w) }()
	go func() {
		defer wg.Done()
		// A page of the list the app has asked for goes first: in a
		// browser the catch-up's requests and records run on the page's
		// one thread, and its first request would pay the runtime's first
		// uses of encoding/json (~300 ms profiled) before the page. An app
		// that has not asked for a page is not waited for.
		if s.listing.Load() {
			select {
			case <-s.listed:
			case <-w.ctx.Done():
				return
			}
		}
		groups, err := s.catchUp(w)
		if err != nil {
			s.cfg.Logger.Warn("catch-up failed", "err", err)
			w.close(err)
			return
		}
		caughtUp = true
		// What follows reads the whole conversation list: after the app's
		// first page.
		select {
		case <-s.listed:
		case <-w.ctx.Done():
			return
		}
		if err := s.applyGroupFollowUp(w, groups); err != nil {
			s.cfg.Logger.Warn("applying group changes failed", "err", err)
		}
		if err := s.sendReads(w); err != nil {
			s.cfg.Logger.Warn("sending read seqs failed", "err", err)
		}
		s.pushLoop(w)
	}()
	s.setState(ConnConnected, w)
	s.outbox.wake()
	wg.Wait()
	w.close(errConnClosed)
	return caughtUp
}

func (s *session) heartbeat(w *wire) {
	t := time.NewTicker(s.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(w.ctx, s.cfg.HeartbeatInterval)
		err := w.call(ctx, protocol.ReqPing, nil, nil)
		cancel()
		if err != nil && w.ctx.Err() == nil {
			s.cfg.Logger.Info("heartbeat failed; reconnecting", "err", err)
			w.close(errors.New("heartbeat: " + err.Error()))
			return
		}
	}
}

// loadLocal reads the conversations a fold needs; loadStored adds the
// messages that may already be stored.
func (s *session) loadLocal(ctx context.Context, convIDs []string) (localState, error) {
	l := localState{Self: s.userID, Convs: make(map[string]*Conversation), Msgs: make(map[string]Message), Outbox: make(map[string]bool)}
	for _, id := range convIDs {
		if _, ok := l.Convs[id]; ok {
			continue
		}
		c, err := s.store.Conversation(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return l, err
		}
		l.Convs[id] = &c
		if c.MaxSeq > c.LocalMaxSeq {
			// Messages may be stored beyond the run's next seq (own acks
			// ahead of a gap); fold needs them to move the run past them.
			// The window does not stop at MaxSeq: the run must reach every
			// stored message even if the record's MaxSeq lags behind one.
			top := c.LocalMaxSeq + 1 + protocol.MaxPullLimit
			ms, err := s.store.MessagesBySeq(ctx, id, c.LocalMaxSeq+2, top)
			if err != nil {
				return l, err
			}
			for _, m := range ms {
				if l.Held == nil {
					l.Held = make(map[string][]int64)
				}
				l.Held[id] = append(l.Held[id], m.Seq)
			}
		}
	}
	return l, nil
}

// applyFold loads local state, folds in, writes the batch and announces the
// result. It is the one place incoming data reaches the store.
func (s *session) applyFold(ctx context.Context, in foldInput) (foldResult, error) {
	convIDs := make([]string, 0, len(in.States)+len(in.Tails))
	for _, st := range in.States {
		convIDs = append(convIDs, st.ConversationID)
	}
	for id := range in.Tails {
		convIDs = append(convIDs, id)
	}
	for _, m := range in.Messages {
		convIDs = append(convIDs, m.ConversationID)
	}
	s.applyMu.Lock()
	var err error
	if len(convIDs) > 0 {
		// Only a fold that may write conversations needs the unread
		// counts before it (a cursor alone does not).
		err = s.loadUnread(ctx)
	}
	var l localState
	if err == nil {
		l, err = s.loadLocal(ctx, convIDs)
	}
	if err == nil {
		err = s.loadStored(ctx, &l, in.Messages)
	}
	if err != nil {
		s.applyMu.Unlock()
		return foldResult{}, err
	}
	res := fold(l, in)
	if !res.Changes.Empty() {
		if err := s.store.Apply(ctx, &res.Changes); err != nil {
			s.applyMu.Unlock()
			return foldResult{}, err
		}
	}
	totalChanged := s.noteUnread(res.Changes.Conversations)
	// Queued under the lock so that events follow the order of the writes;
	// handlers run later, on the emitter's goroutine.
	s.announce(ctx, res, totalChanged, s.total)
	s.applyMu.Unlock()
	return res, nil
}

// firstListGrace is how long after login the whole list waits for the
// app's first page when the app has not asked for one (see
// session.listed); once asked, it waits for the page.
const firstListGrace = 500 * time.Millisecond

// markListed opens the way for reads of the whole list.
func (s *session) markListed() {
	s.listedOnce.Do(func() { close(s.listed) })
}

// warm reads the conversations into the store's cache and the unread
// counts, unless that was done.
func (s *session) warm(ctx context.Context) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	return s.loadUnread(ctx)
}

// loadUnread fills the unread counts from the stored conversations, unless
// they are there; applyMu must be held. Whoever writes conversations loads
// them first, so that the write's noteUnread sees the total before it.
func (s *session) loadUnread(ctx context.Context) error {
	if s.unread != nil {
		return nil
	}
	convs, err := s.store.Conversations(ctx)
	if err != nil {
		return err
	}
	unread := make(map[string]int64, len(convs))
	for _, cv := range convs {
		unread[cv.ConversationID] = cv.UnreadCount
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
		s.unread[c.ConversationID] = c.UnreadCount
	}
	s.total = totalUnread(s.unread)
	return s.total != before
}

// announce queues the events of a write and starts its follow-ups; applyMu
// must be held.
func (s *session) announce(ctx context.Context, res foldResult, totalChanged bool, total int64) {
	var evs []Event
	for _, m := range res.Sent {
		s.outbox.resolve(m.ClientMsgID, m, nil)
		evs = append(evs, MessageStatusChanged{Message: m})
	}
	if len(res.New) > 0 {
		evs = append(evs, NewMessages{Messages: res.New})
	}
	if len(res.Changed) > 0 {
		evs = append(evs, ConversationsChanged{Conversations: s.decorate(ctx, res.Changed)})
	}
	if totalChanged {
		evs = append(evs, TotalUnreadCountChanged{Count: total})
	}
	s.c.events.emit(evs...)
	if len(res.Changed) > 0 {
		s.fetchProfiles(res.Changed)
	}
}

// catchUp syncs from the stored cursor to the present, one atomic batch per
// sync page.
func (s *session) catchUp(w *wire) (groupFollowUp, error) {
	ctx := w.ctx
	var groups groupFollowUp
	cursor, ok, err := s.store.SyncCursor(ctx)
	if err != nil {
		return groups, err
	}
	start, first := cursor, !ok
	var nConv, nMsg int
	s.c.events.emit(SyncProgressed{Phase: SyncStart})
	finish := func(err error) (groupFollowUp, error) {
		ev := SyncProgressed{Phase: SyncFinish, Conversations: nConv, Messages: nMsg}
		if err != nil {
			ev.Err = string(protocol.CodeOf(err))
		}
		s.c.events.emit(ev)
		return groups, err
	}
	for {
		var resp protocol.SyncResp
		if err := w.call(ctx, protocol.ReqSync, protocol.SyncReq{Cursor: cursor, Limit: protocol.DefaultSyncLimit}, &resp); err != nil {
			return finish(err)
		}
		in := foldInput{States: resp.Conversations, Quiet: first, Tails: map[string]int64{}}
		if len(resp.Conversations) > 0 {
			ids := make([]string, len(resp.Conversations))
			for i, st := range resp.Conversations {
				ids[i] = st.ConversationID
			}
			// Folding this page reads the whole list anyway (the unread
			// counts); reading it first serves the lookups below from
			// memory instead of one read each.
			if err := s.warm(ctx); err != nil {
				return finish(err)
			}
			l, err := s.loadLocal(ctx, ids)
			if err != nil {
				return finish(err)
			}
			var ranges []protocol.SeqRange
			for _, st := range resp.Conversations {
				if st.Removed {
					continue // the server refuses a removed member's pull
				}
				var localMax int64
				if c := l.Convs[st.ConversationID]; c != nil {
					localMax = c.LocalMaxSeq
				}
				p := planPull(st.ConversationID, localMax, st.MinSeq, st.MaxSeq, first)
				ranges = append(ranges, p.Ranges...)
				if p.Tail != 0 {
					in.Tails[st.ConversationID] = p.Tail
				}
			}
			msgs, err := s.pull(ctx, w, ranges)
			if err != nil {
				return finish(err)
			}
			in.Messages = msgs
		}
		next := resp.Cursor
		if next != cursor || first {
			in.Cursor = &next
		}
		if _, err := s.applyFold(ctx, in); err != nil {
			return finish(err)
		}
		groups = planGroupFollowUp(groups, start, resp.Conversations)
		nConv += len(resp.Conversations)
		nMsg += len(in.Messages)
		if len(resp.Conversations) > 0 {
			s.c.events.emit(SyncProgressed{Phase: SyncProgress, Conversations: nConv, Messages: nMsg})
		}
		if resp.HasMore && next <= cursor {
			// A server that says "more" without moving would loop us forever.
			return finish(&Error{Code: protocol.CodeInternal, Message: "sync: hasMore without a new cursor"})
		}
		cursor, first = next, false
		if !resp.HasMore {
			return finish(nil)
		}
	}
}

// pullsInFlight bounds the pull requests sent before their answers are
// read: a catch-up of many conversations otherwise waits one round trip
// (and the server's query) per 500 messages, one after another.
const pullsInFlight = 8

// pull fetches ranges, several per request, continuing ranges that a
// size-capped response answered in part. Up to pullsInFlight requests are
// on the wire at once; their messages are returned in request order.
func (s *session) pull(ctx context.Context, w *wire, ranges []protocol.SeqRange) ([]protocol.Message, error) {
	var out []protocol.Message
	for len(ranges) > 0 {
		var next []protocol.SeqRange
		reqs := packPulls(ranges)
		for len(reqs) > 0 {
			batch := reqs[:min(len(reqs), pullsInFlight)]
			reqs = reqs[len(batch):]
			resps, err := s.pullBatch(ctx, w, batch)
			if err != nil {
				return nil, err
			}
			for i := range batch {
				out = append(out, resps[i].Messages...)
				next = append(next, continuePulls(batch[i].Ranges, resps[i].Messages)...)
			}
		}
		ranges = next
	}
	return out, nil
}

// pullBatch sends reqs one after another, then reads their answers.
func (s *session) pullBatch(ctx context.Context, w *wire, reqs []protocol.PullReq) ([]protocol.PullResp, error) {
	started := make([]request, 0, len(reqs))
	defer func() {
		for _, r := range started {
			w.forget(r) // answers no longer awaited after an error
		}
	}()
	for _, req := range reqs {
		r, err := w.start(protocol.ReqPull, req)
		if err != nil {
			return nil, err
		}
		started = append(started, r)
	}
	resps := make([]protocol.PullResp, len(reqs))
	for i, r := range started {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if _, ok := ctx.Deadline(); !ok && w.timeout > 0 {
			// Each answer gets the time a call would: the server answers
			// them in turn.
			actx, cancel = context.WithTimeout(ctx, w.timeout)
		}
		err := w.await(actx, r, &resps[i])
		cancel()
		if protocol.CodeOf(err) == protocol.CodeRateLimited {
			// Back-pressure: ask again alone, with call's waiting.
			err = w.call(ctx, protocol.ReqPull, reqs[i], &resps[i])
		}
		if err != nil {
			return nil, err
		}
	}
	return resps, nil
}

// pushLoop applies pushes in arrival order; consecutive message pushes are
// applied as one batch.
func (s *session) pushLoop(w *wire) {
	for {
		frames := w.takePushes()
		if frames == nil {
			return
		}
		var batch []protocol.Message
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			err := s.applyPushed(w, batch)
			batch = nil
			if err != nil {
				s.cfg.Logger.Warn("applying pushed messages failed; reconnecting to resync", "err", err)
				w.close(err)
				return false
			}
			return true
		}
		for _, f := range frames {
			if f.Type == protocol.PushMessage {
				var m protocol.Message
				if err := protocol.DecodeData(f.Data, &m); err != nil {
					s.cfg.Logger.Warn("bad push", "type", f.Type, "err", err)
					continue
				}
				batch = append(batch, m)
				continue
			}
			if !flush() {
				return
			}
			if err := s.applyPush(w, f); err != nil {
				s.cfg.Logger.Warn("applying push failed", "type", f.Type, "err", err)
			}
		}
		if !flush() {
			return
		}
	}
}

// applyPushed applies pushed messages, pulling any gap before them first.
func (s *session) applyPushed(w *wire, msgs []protocol.Message) error {
	ctx := w.ctx
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ConversationID
	}
	l, err := s.loadLocal(ctx, ids)
	if err != nil {
		return err
	}
	ranges, tails := planGaps(l.Convs, l.Held, msgs)
	in := foldInput{Messages: msgs, Tails: tails}
	if len(ranges) > 0 {
		pulled, err := s.pull(ctx, w, ranges)
		if err != nil {
			return err
		}
		in.Messages = append(pulled, msgs...)
	}
	_, err = s.applyFold(ctx, in)
	return err
}

// fillGaps pulls what is missing below pm, an own message just
// acknowledged beyond the conversation's contiguous run. Usually the gap is
// another member's message whose push is on its way (then the pull finds
// it applied and asks for nothing), but it may be the user's own earlier
// message whose ack was lost: that one is never pushed to this device, and
// without the pull it would stay failed here while stored on the server.
func (s *session) fillGaps(w *wire, pm protocol.Message) {
	ctx := w.ctx
	l, err := s.loadLocal(ctx, []string{pm.ConversationID})
	if err != nil {
		return
	}
	ranges, _ := planGaps(l.Convs, l.Held, []protocol.Message{pm})
	if len(ranges) == 0 {
		return
	}
	pulled, err := s.pull(ctx, w, ranges)
	if err != nil || len(pulled) == 0 {
		return
	}
	if _, err := s.applyFold(ctx, foldInput{Messages: pulled}); err != nil {
		s.cfg.Logger.Warn("storing messages pulled below an ack failed", "err", err)
	}
}

func (s *session) applyPush(w *wire, f *protocol.Frame) error {
	ctx := w.ctx
	switch f.Type {
	case protocol.PushConversation:
		var st protocol.ConversationState
		if err := protocol.DecodeData(f.Data, &st); err != nil {
			return err
		}
		_, err := s.applyFold(ctx, foldInput{States: []protocol.ConversationState{st}})
		return err
	case protocol.PushFriendRequest:
		var fr protocol.FriendRequest
		if err := protocol.DecodeData(f.Data, &fr); err != nil {
			return err
		}
		if fr.FromUser != nil {
			if err := s.store.Apply(ctx, &Changes{Users: []User{userFromProto(*fr.FromUser)}}); err != nil {
				return err
			}
		}
		s.c.events.emit(FriendRequestReceived{Request: fr})
	case protocol.PushFriendAdded:
		var u protocol.User
		if err := protocol.DecodeData(f.Data, &u); err != nil {
			return err
		}
		cu := userFromProto(u)
		if err := s.store.Apply(ctx, &Changes{Users: []User{cu}, Friends: []User{cu}}); err != nil {
			return err
		}
		s.c.events.emit(FriendAdded{User: cu})
	case protocol.PushGroup:
		var g protocol.Group
		if err := protocol.DecodeData(f.Data, &g); err != nil {
			return err
		}
		return s.applyGroupPushed(ctx, groupFromProto(g))
	case protocol.PushGroupMemberRemoved:
		var r protocol.GroupMemberRemoved
		if err := protocol.DecodeData(f.Data, &r); err != nil {
			return err
		}
		return s.applyGroupMemberRemoved(ctx, r)
	default:
		s.cfg.Logger.Debug("ignoring push", "type", f.Type)
	}
	return nil
}

// sendReads tells the server (and so the user's other devices) the read
// seqs marked here while offline.
func (s *session) sendReads(w *wire) error {
	convs, err := s.store.Conversations(w.ctx)
	if err != nil {
		return err
	}
	for _, req := range unsentReads(convs) {
		var st protocol.ConversationState
		if err := w.call(w.ctx, protocol.ReqMarkRead, req, &st); err != nil {
			if protocol.CodeOf(err) == protocol.CodeNetwork {
				return err
			}
			s.cfg.Logger.Warn("sending read seq refused", "conversation", req.ConversationID, "err", err)
			continue
		}
		if _, err := s.applyFold(w.ctx, foldInput{States: []protocol.ConversationState{st}}); err != nil {
			return err
		}
	}
	return nil
}

// goBackground runs fn on a goroutine that Logout waits for, unless the
// session already ended.
func (s *session) goBackground(fn func()) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// decorate fills ShowName and FaceURL from stored profiles and groups.
func (s *session) decorate(ctx context.Context, convs []Conversation) []Conversation {
	var userIDs []string
	for _, c := range convs {
		if c.SessionType != protocol.SessionGroup && c.UserID != "" {
			userIDs = append(userIDs, c.UserID)
		}
	}
	users := map[string]User{}
	if len(userIDs) > 0 {
		us, err := s.store.Users(ctx, userIDs)
		if err == nil {
			for _, u := range us {
				users[u.UserID] = u
			}
		}
	}
	groups := map[string]Group{}
	for _, c := range convs {
		if c.SessionType == protocol.SessionGroup {
			gs, err := s.store.Groups(ctx)
			if err == nil {
				for _, g := range gs {
					groups[g.GroupID] = g
				}
			}
			break
		}
	}
	out := make([]Conversation, len(convs))
	for i, c := range convs {
		if c.SessionType == protocol.SessionGroup {
			if g, ok := groups[c.GroupID]; ok {
				c.ShowName, c.FaceURL = g.Name, g.FaceURL
			}
		} else if u, ok := users[c.UserID]; ok {
			c.ShowName, c.FaceURL = u.Nickname, u.FaceURL
		}
		if c.ShowName == "" {
			if c.SessionType == protocol.SessionGroup {
				c.ShowName = c.GroupID
			} else {
				c.ShowName = c.UserID
			}
		}
		out[i] = c
	}
	return out
}

// fetchProfiles loads the profiles and groups of conversations whose names
// are not stored yet, then announces those conversations again.
func (s *session) fetchProfiles(convs []Conversation) {
	w := s.liveWire()
	if w == nil {
		return
	}
	ctx := w.ctx
	var userIDs []string
	needGroups := false
	var missing []Conversation
	known := map[string]bool{}
	for _, c := range convs {
		if c.SessionType == protocol.SessionGroup {
			needGroups = true
			continue
		}
		if c.UserID != "" {
			userIDs = append(userIDs, c.UserID)
		}
	}
	if len(userIDs) > 0 {
		us, err := s.store.Users(ctx, userIDs)
		if err != nil {
			return
		}
		for _, u := range us {
			known[u.UserID] = true
		}
	}
	var fetch []string
	for _, c := range convs {
		if c.SessionType == protocol.SessionGroup {
			missing = append(missing, c)
		} else if c.UserID != "" && !known[c.UserID] {
			fetch = append(fetch, c.UserID)
			missing = append(missing, c)
		}
	}
	if needGroups {
		gs, err := s.store.Groups(ctx)
		if err != nil {
			return
		}
		have := map[string]bool{}
		for _, g := range gs {
			have[g.GroupID] = true
		}
		needGroups = false
		kept := missing[:0]
		for _, c := range missing {
			if c.SessionType == protocol.SessionGroup {
				if have[c.GroupID] {
					continue
				}
				needGroups = true
			}
			kept = append(kept, c)
		}
		missing = kept
	}
	if len(fetch) == 0 && !needGroups {
		return
	}
	s.goBackground(func() {
		var ch Changes
		sort.Strings(fetch)
		ids := dedup(fetch)
		for len(ids) > 0 {
			n := min(len(ids), protocol.MaxGetUsers)
			var resp protocol.UsersResp
			if err := w.call(ctx, protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: ids[:n]}, &resp); err != nil {
				return
			}
			for _, u := range resp.Users {
				ch.Users = append(ch.Users, userFromProto(u))
			}
			ids = ids[n:]
		}
		if needGroups {
			var resp protocol.GroupsResp
			if err := w.call(ctx, protocol.ReqListGroups, nil, &resp); err != nil {
				return
			}
			for _, g := range resp.Groups {
				ch.Groups = append(ch.Groups, groupFromProto(g))
			}
		}
		s.applyMu.Lock()
		defer s.applyMu.Unlock()
		if err := s.store.Apply(ctx, &ch); err != nil {
			return
		}
		// Re-read: the conversations may have changed meanwhile.
		var fresh []Conversation
		for _, c := range missing {
			if cur, err := s.store.Conversation(ctx, c.ConversationID); err == nil {
				fresh = append(fresh, cur)
			}
		}
		if len(fresh) > 0 {
			s.c.events.emit(ConversationsChanged{Conversations: s.decorate(ctx, fresh)})
		}
	})
}

func dedup(ids []string) []string {
	out := ids[:0]
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			continue
		}
		out = append(out, id)
	}
	return out
}
