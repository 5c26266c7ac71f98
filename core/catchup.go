package core

import (
	"context"
	"slices"

	"parley/protocol"
)

// The catch-up: after every connect, sync pages from the stored cursor to
// the present, the pulls they call for, and the read positions marked
// here while offline.

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
			// Changes to messages held here, made while away: in the
			// same batch as the page, so the page is applied whole.
			if in.Changed, in.ChangesThrough, err = s.pullChanged(ctx, w, l, resp.Conversations); err != nil {
				return finish(err)
			}
			if in.Deletions, in.DeletionsThrough, err = s.pullDeleted(ctx, w, l, resp.Conversations); err != nil {
				return finish(err)
			}
			if in.ReadCounts, err = s.pullReadCounts(ctx, w, l, resp.Conversations); err != nil {
				return finish(err)
			}
		}
		next := resp.Cursor
		if next != cursor || first {
			in.Cursor = &next
		}
		in.CatchUp = true
		res, err := s.apply(ctx, in)
		if err != nil {
			return finish(err)
		}
		groups = planGroupFollowUp(groups, start, resp.Conversations)
		for _, id := range res.RefreshGroups {
			if !slices.Contains(groups.Notified, id) {
				groups.Notified = append(groups.Notified, id)
			}
		}
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
			// Friends, requests and group applications are part of the
			// catch-up: once it finishes, they are as the server has them.
			// A store that had synced before announces what changed while
			// it was away.
			// Their failure costs only them (the next connect tries
			// again), not the messages.
			if err := s.refreshFriends(w, ok); err != nil {
				s.cfg.Logger.Warn("refreshing friends failed", "err", err)
			}
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

// sendReads tells the server (and so the user's other devices) the read
// seqs and drafts set here while offline.
func (s *session) sendReads(w *wire) error {
	convs, err := s.store.Conversations(w.ctx)
	if err != nil {
		return err
	}
	reads, drafts := unsentReads(convs)
	send := func(typ, convID string, req any) error {
		var st protocol.ConversationState
		if err := w.call(w.ctx, typ, req, &st); err != nil {
			if protocol.CodeOf(err) == protocol.CodeNetwork {
				return err
			}
			s.cfg.Logger.Warn("sending a state set offline refused", "request", typ, "conversation", convID, "err", err)
			return nil
		}
		_, err := s.apply(w.ctx, foldInput{States: []protocol.ConversationState{st}})
		return err
	}
	for _, req := range reads {
		if err := send(protocol.ReqMarkRead, req.ConversationID, req); err != nil {
			return err
		}
	}
	for _, req := range drafts {
		if err := send(protocol.ReqSetDraft, req.ConversationID, req); err != nil {
			return err
		}
	}
	return nil
}

// pullChanged pulls, for each conversation of a sync page held here whose
// MessageVersion moved past the device's ChangesVersion, the messages
// changed in between, page by page: what the catch-up costs is what
// changed. through says how far each conversation's changes were pulled.
func (s *session) pullChanged(ctx context.Context, w *wire, l localState, states []protocol.ConversationState) (msgs []protocol.Message, through map[string]int64, err error) {
	for i := range states {
		st := &states[i]
		from, to, ok := changedPlan(l.Convs[st.ConversationID], st)
		if !ok {
			continue
		}
		for {
			var resp protocol.PullChangesResp
			req := protocol.PullChangesReq{ConversationID: st.ConversationID, AfterVersion: from, Limit: protocol.MaxPullLimit}
			if err := w.call(ctx, protocol.ReqPullChanges, req, &resp); err != nil {
				return nil, nil, err
			}
			msgs = append(msgs, resp.Messages...)
			if n := len(resp.Messages); n > 0 {
				from = max(from, resp.Messages[n-1].Version)
			}
			if !resp.HasMore || len(resp.Messages) == 0 {
				break
			}
		}
		if through == nil {
			through = make(map[string]int64)
		}
		// Everything up to the version the page reported is here now
		// (a change made since then is pushed, or found by the next sync).
		through[st.ConversationID] = max(from, to)
	}
	return msgs, through, nil
}
