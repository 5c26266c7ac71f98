package core

import (
	"sort"

	"parley/protocol"
)

// The sync engine's decisions: pure functions from local state and decoded
// frames to the batch to write, the pulls to make and the events to emit.
// They do no I/O and read no clock; step.go dispatches to fold, writer.go
// does the I/O around it.

// Pull sizing.
const (
	// initialPullCount is how many of a conversation's latest messages the
	// first sync of a store pulls; older ones come with history.
	initialPullCount = 20
	// maxCatchUp is the largest gap pulled in full; beyond it the engine
	// pulls the latest page and leaves the rest to history.
	maxCatchUp = 5000
	// maxPullPerRequest bounds the messages one pull request asks for.
	maxPullPerRequest = 2000
)

// pullPlan is what to pull for one conversation.
type pullPlan struct {
	Ranges []protocol.SeqRange
	// Tail, when not 0, is the lowest seq the pull may return for a
	// conversation whose older messages are skipped: the local contiguous
	// run restarts there.
	Tail int64
}

// planPull decides what to pull to bring a conversation holding messages up
// to localMax (contiguously) to maxSeq. firstSync pulls only the latest page.
func planPull(convID string, localMax, minSeq, maxSeq int64, firstSync bool) pullPlan {
	from := localMax + 1
	if minSeq > from {
		from = minSeq
	}
	if from < 1 {
		from = 1
	}
	if maxSeq < from {
		return pullPlan{}
	}
	n := maxSeq - from + 1
	if firstSync || n > maxCatchUp {
		limit := int64(protocol.MaxPullLimit)
		if firstSync {
			limit = initialPullCount
		}
		if n <= limit {
			// The whole gap fits in one page: no hole.
			return pullPlan{Ranges: []protocol.SeqRange{{ConversationID: convID, FromSeq: from, ToSeq: maxSeq, Limit: int(n)}}}
		}
		return pullPlan{
			Ranges: []protocol.SeqRange{{ConversationID: convID, FromSeq: maxSeq - limit + 1, ToSeq: maxSeq, Limit: int(limit)}},
			Tail:   maxSeq - limit + 1,
		}
	}
	var rs []protocol.SeqRange
	for lo := from; lo <= maxSeq; lo += protocol.MaxPullLimit {
		hi := lo + protocol.MaxPullLimit - 1
		if hi > maxSeq {
			hi = maxSeq
		}
		rs = append(rs, protocol.SeqRange{ConversationID: convID, FromSeq: lo, ToSeq: hi, Limit: int(hi - lo + 1)})
	}
	return pullPlan{Ranges: rs}
}

// planGaps decides what to pull before applying pushed messages: the seqs
// between a conversation's local top and the highest pushed seq that are
// neither stored (held) nor in the batch. Conversations unknown locally start a
// new run at their lowest pushed seq (a group joined late has no earlier
// messages to read).
func planGaps(convs map[string]*Conversation, held map[string][]int64, pushed []protocol.Message) (ranges []protocol.SeqRange, tails map[string]int64) {
	bySeq := make(map[string]map[int64]bool)
	for id, seqs := range held {
		// Stored already (own sends acknowledged ahead of a gap): no pull.
		for _, s := range seqs {
			if bySeq[id] == nil {
				bySeq[id] = make(map[int64]bool)
			}
			bySeq[id][s] = true
		}
	}
	top := make(map[string]int64)
	low := make(map[string]int64)
	for i := range pushed {
		m := &pushed[i]
		if bySeq[m.ConversationID] == nil {
			bySeq[m.ConversationID] = make(map[int64]bool)
		}
		bySeq[m.ConversationID][m.Seq] = true
		if m.Seq > top[m.ConversationID] {
			top[m.ConversationID] = m.Seq
		}
		if l, ok := low[m.ConversationID]; !ok || m.Seq < l {
			low[m.ConversationID] = m.Seq
		}
	}
	ids := make([]string, 0, len(top))
	for id := range top {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := convs[id]
		if c == nil {
			if st, _, _, _ := protocol.ParseConversationID(id); st == protocol.SessionSingle {
				// Nobody joins a one-to-one conversation late: its run
				// starts at 1 (the first message may be the user's own,
				// whose ack was lost, and is never pushed to this device).
				c = &Conversation{MinSeq: 1}
			} else {
				if low[id] > 1 {
					if tails == nil {
						tails = make(map[string]int64)
					}
					tails[id] = low[id]
				}
				continue
			}
		}
		from := c.LocalMaxSeq + 1
		if c.MinSeq > from {
			from = c.MinSeq
		}
		if top[id]-from > maxCatchUp {
			if tails == nil {
				tails = make(map[string]int64)
			}
			tails[id] = low[id]
			continue
		}
		var cur *protocol.SeqRange
		for s := from; s < top[id]; s++ {
			if bySeq[id][s] {
				cur = nil
				continue
			}
			if cur != nil && cur.ToSeq == s-1 && cur.Limit < protocol.MaxPullLimit {
				cur.ToSeq = s
				cur.Limit++
				continue
			}
			ranges = append(ranges, protocol.SeqRange{ConversationID: id, FromSeq: s, ToSeq: s, Limit: 1})
			cur = &ranges[len(ranges)-1]
		}
	}
	return ranges, tails
}

// packPulls groups ranges into pull requests within the protocol's bounds.
func packPulls(ranges []protocol.SeqRange) []protocol.PullReq {
	var reqs []protocol.PullReq
	var cur protocol.PullReq
	total := 0
	for _, r := range ranges {
		if len(cur.Ranges) == protocol.MaxPullRanges || (len(cur.Ranges) > 0 && total+r.Limit > maxPullPerRequest) {
			reqs = append(reqs, cur)
			cur, total = protocol.PullReq{}, 0
		}
		cur.Ranges = append(cur.Ranges, r)
		total += r.Limit
	}
	if len(cur.Ranges) > 0 {
		reqs = append(reqs, cur)
	}
	return reqs
}

// continuePulls returns what is left of forward ranges that a pull answered
// only in part (the server caps a response's size): each range that got
// messages but not up to its ToSeq continues after the highest seq received.
// A range that got nothing is done.
func continuePulls(ranges []protocol.SeqRange, got []protocol.Message) []protocol.SeqRange {
	var next []protocol.SeqRange
	for _, r := range ranges {
		if r.Latest || r.ToSeq == 0 {
			continue
		}
		var top int64
		for i := range got {
			m := &got[i]
			if m.ConversationID == r.ConversationID && m.Seq >= r.FromSeq && m.Seq <= r.ToSeq && m.Seq > top {
				top = m.Seq
			}
		}
		if top == 0 || top >= r.ToSeq {
			continue
		}
		next = append(next, protocol.SeqRange{ConversationID: r.ConversationID, FromSeq: top + 1, ToSeq: r.ToSeq, Limit: int(r.ToSeq - top)})
	}
	return next
}

// foldInput is what arrived: conversation states from a sync page or a
// push, and messages from pushes, pulls or an ack.
type foldInput struct {
	States   []protocol.ConversationState
	Messages []protocol.Message
	// Tails: see pullPlan.Tail, per conversation.
	Tails map[string]int64
	// Quiet stores messages without announcing them (first sync, history).
	Quiet bool
	// Cursor, when set, is stored with the batch.
	Cursor *int64
	// Ack marks the answer to an own send: if it lands beyond the
	// conversation's contiguous run, what is missing below it is pulled.
	Ack bool
	// Changed are stored messages in a new state (revoked, edited): pushed,
	// pulled by version, or the answer to the user's own change. One this
	// device holds is replaced when its Version is higher; one it does not
	// hold is stored as it is now if it lies above the conversation's
	// contiguous run (it is news), and left for history to bring (in its
	// state then) if it lies in the part of the conversation not fetched.
	Changed []protocol.Message
	// ChangesThrough records, per conversation, that every change up to
	// this version has been pulled (the catch-up's pull by version).
	ChangesThrough map[string]int64
	// Deletions are messages the user deleted for themselves (on this or
	// another device); DeletionsThrough records, per conversation, the
	// version they were pulled up to.
	Deletions        []protocol.Deletion
	DeletionsThrough map[string]int64
	// ReadCounts are read counts of the user's own group messages (pushed
	// after a read, pulled when a sync showed a newer ReceiptVersion).
	ReadCounts []protocol.ReadCounts
	// CatchUp: a sync page. The groups its notifications ask to refresh
	// are left to the catch-up's follow-up (once each, after it).
	CatchUp bool
}

// fold folds states and messages into local state. Whatever is already
// stored changes nothing: folding the same input twice writes the same
// records and announces nothing the second time.
func fold(l localState, in foldInput) stepResult {
	var res stepResult
	work := make(map[string]*Conversation, len(l.Convs))
	before := make(map[string]*Conversation, len(l.Convs))
	get := func(id string) *Conversation {
		if c, ok := work[id]; ok {
			return c
		}
		var c Conversation
		if old := l.Convs[id]; old != nil {
			c = *old
			before[id] = old
		} else {
			c = Conversation{ConversationID: id, MinSeq: 1}
		}
		work[id] = &c
		return &c
	}

	for i := range in.States {
		st := &in.States[i]
		c := get(st.ConversationID)
		c.SessionType = st.SessionType
		if st.PeerUserID != "" {
			c.UserID = st.PeerUserID
		}
		if st.GroupID != "" {
			c.GroupID = st.GroupID
		}
		// An older state (a sync answer overtaken by a clear's push) does
		// not move MinSeq back.
		if st.MinSeq > 0 && (st.MinSeq > c.MinSeq || st.Version >= c.Version) {
			c.MinSeq = st.MinSeq
		}
		if c.LocalMaxSeq < c.MinSeq-1 {
			c.LocalMaxSeq = c.MinSeq - 1
		}
		// A removed member's state (Removed) stops at their removal, up to
		// which it is pulled like any other.
		if st.MaxSeq > c.MaxSeq {
			c.MaxSeq = st.MaxSeq
		}
		if st.ReadSeq > c.ReadSeq {
			c.ReadSeq = st.ReadSeq
		}
		if st.ReadSeq > c.ServerReadSeq {
			c.ServerReadSeq = st.ReadSeq
		}
		if st.Version >= c.Version {
			c.IsPinned = st.IsPinned
			c.IsMuted = st.IsMuted
			c.HiddenUntilSeq = st.HiddenUntilSeq
			if !c.DraftPending || st.DraftText == c.DraftText {
				// A draft set here and not sent yet wins until it is.
				c.DraftText, c.DraftPending = st.DraftText, false
			}
			c.Version = st.Version
		}
		if st.UpdatedAt > c.UpdatedAt {
			c.UpdatedAt = st.UpdatedAt
		}
		if lm := st.LatestMessage; lm != nil && (c.LatestMessage == nil || lm.Seq > c.LatestMessage.Seq ||
			(lm.Seq == c.LatestMessage.Seq && lm.Version > c.LatestMessage.Version)) {
			m := messageFromProto(lm, l.Self)
			c.LatestMessage = &m
		}
		if st.MessageVersion > c.MessageVersion {
			c.MessageVersion = st.MessageVersion
		}
		if st.PeerReadSeq > c.PeerReadSeq && st.SessionType == protocol.SessionSingle {
			c.PeerReadSeq = st.PeerReadSeq
		}
		if _, known := l.Convs[st.ConversationID]; !known {
			// New here: what is pulled with this state is pulled as it is
			// now, changes included, and masked where the user deleted.
			c.ChangesVersion = max(c.ChangesVersion, st.MessageVersion)
			c.DeletesVersion = max(c.DeletesVersion, st.DeleteVersion)
		}
	}

	clearBelow(l, &res, get)

	for id, tail := range in.Tails {
		_, known := l.Convs[id]
		c := get(id)
		if c.LocalMaxSeq < tail-1 {
			c.LocalMaxSeq = tail - 1
		}
		if !known && len(in.States) == 0 && c.MinSeq < tail {
			// A conversation first seen through a push beyond seq 1 (a
			// group joined late): what precedes is not this user's to
			// count as unread. The next sync brings the server's MinSeq.
			c.MinSeq = tail
		}
	}

	msgs := make([]protocol.Message, len(in.Messages))
	copy(msgs, in.Messages)
	sort.SliceStable(msgs, func(i, j int) bool {
		if msgs[i].ConversationID != msgs[j].ConversationID {
			return msgs[i].ConversationID < msgs[j].ConversationID
		}
		return msgs[i].Seq < msgs[j].Seq
	})
	seen := make(map[string]bool, len(msgs))
	for i := range msgs {
		pm := &msgs[i]
		if pm.ConversationID == "" || pm.Seq <= 0 {
			continue // not a stored message; nothing sane to do with it
		}
		m := messageFromProto(pm, l.Self)
		if seen[m.ClientMsgID] {
			continue
		}
		seen[m.ClientMsgID] = true
		c := get(m.ConversationID)
		if c.SessionType == "" {
			c.SessionType = m.SessionType
			if m.SessionType == protocol.SessionGroup {
				c.GroupID = m.GroupID
			} else if m.SendID == l.Self {
				c.UserID = m.RecvID
			} else {
				c.UserID = m.SendID
			}
		}
		old, stored := l.Msgs[m.ClientMsgID]
		if stored {
			m.ReadCount = max(m.ReadCount, old.ReadCount) // counted here, never sent with it
		}
		dup := false // held already: nothing about it is news
		switch {
		case stored && old.Deleted:
			// Deleted by the user: it stays so, whatever copy comes.
			m, dup = old, true
		case stored && old.Status == StatusSent && old.Seq == m.Seq && m.Version <= old.Version:
			// Already here: a duplicate from push and pull, or an older
			// state of it (a change arrived first).
			m, dup = old, true
		case stored && old.Status == StatusSent && old.Seq == m.Seq:
			// A newer state of a stored message (pulled after it changed).
			res.Changes.Messages = append(res.Changes.Messages, m)
			res.Updated = append(res.Updated, m)
		case stored:
			// The user's own message, waiting for its ack or given up on:
			// the server has it, so it is sent, and it is not news.
			if m.CreateTime == 0 {
				m.CreateTime = old.CreateTime
			}
			res.Changes.Messages = append(res.Changes.Messages, m)
			res.Changes.RemovedOutbox = append(res.Changes.RemovedOutbox, m.ClientMsgID)
			res.Sent = append(res.Sent, m)
		case m.Seq < c.MinSeq && !l.Outbox[m.ClientMsgID]:
			// Not this user's any more (cleared) or not yet (joined later).
			continue
		default:
			res.Changes.Messages = append(res.Changes.Messages, m)
			if l.Outbox[m.ClientMsgID] {
				res.Changes.RemovedOutbox = append(res.Changes.RemovedOutbox, m.ClientMsgID)
				res.Sent = append(res.Sent, m)
			} else if !in.Quiet && !m.Deleted {
				res.New = append(res.New, m)
			}
		}
		if m.Seq > c.MaxSeq {
			c.MaxSeq = m.Seq
		}
		if m.Seq == c.LocalMaxSeq+1 {
			c.LocalMaxSeq = m.Seq
		}
		if m.SendID == l.Self && m.Seq > c.ReadSeq {
			c.ReadSeq = m.Seq
		}
		if m.SendID == l.Self && m.Seq > c.ServerReadSeq {
			c.ServerReadSeq = m.Seq // the server moves it with the send
		}
		if !dup && m.SendID != l.Self && m.SessionType == protocol.SessionSingle && m.Seq > c.PeerReadSeq {
			c.PeerReadSeq = m.Seq // the peer's send moved their read seq too
		}
		if m.Deleted {
			dropLatest(c, m)
		} else if c.LatestMessage == nil || m.Seq >= c.LatestMessage.Seq {
			mm := m
			c.LatestMessage = &mm
		}
		if m.SendTime > c.UpdatedAt {
			c.UpdatedAt = m.SendTime
		}
	}

	foldChanged(l, in, &res, seen, get)
	foldDeletions(l, in, &res, get)
	foldPeerRead(l, &res, work, before)
	foldReadCounts(l, in, &res, work, get)

	ids := make([]string, 0, len(work))
	for id := range work {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := work[id]
		if held := l.Held[id]; len(held) > 0 {
			// held is ascending: walk the run on through stored messages.
			for _, seq := range held {
				if seq == c.LocalMaxSeq+1 {
					c.LocalMaxSeq = seq
				}
			}
		}
		c.UnreadCount = c.unread()
		c.IsHidden = c.MaxSeq < c.HiddenUntilSeq
		old := before[id]
		if old != nil && sameConv(old, c) {
			continue
		}
		res.Changes.Conversations = append(res.Changes.Conversations, *c)
		if old == nil || visiblyChanged(old, c) {
			res.Changed = append(res.Changed, *c)
		}
	}
	res.Changes.Cursor = in.Cursor
	if in.Ack {
		for _, pm := range in.Messages {
			if c := work[pm.ConversationID]; c != nil && c.LocalMaxSeq < pm.Seq-1 {
				res.FillBelow = append(res.FillBelow, pm)
			}
		}
	}
	return res
}

// sameConv reports whether two records are equal, latest message by identity.
func sameConv(a, b *Conversation) bool {
	x, y := *a, *b
	x.LatestMessage, y.LatestMessage = nil, nil
	return x == y && sameLatest(a.LatestMessage, b.LatestMessage)
}

func sameLatest(a, b *Message) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ClientMsgID == b.ClientMsgID && a.Seq == b.Seq && a.Status == b.Status && a.Version == b.Version
}

// visiblyChanged reports a change an app shows: not seq bookkeeping alone.
func visiblyChanged(a, b *Conversation) bool {
	return a.UnreadCount != b.UnreadCount || a.IsPinned != b.IsPinned || a.IsMuted != b.IsMuted || a.DraftText != b.DraftText || a.DraftPending != b.DraftPending || a.IsHidden != b.IsHidden ||
		a.UpdatedAt != b.UpdatedAt || a.SessionType != b.SessionType || a.UserID != b.UserID ||
		a.GroupID != b.GroupID || !sameLatest(a.LatestMessage, b.LatestMessage)
}

// failMessage is the batch that gives up on an own message.
func failMessage(m Message, code protocol.Code) Changes {
	m.Status = StatusFailed
	m.ErrorCode = code
	return Changes{Messages: []Message{m}, RemovedOutbox: []string{m.ClientMsgID}}
}

// ackMessage is the server message an ack describes.
func ackMessage(m Message, ack protocol.SendResp) (protocol.Message, error) {
	content, err := m.wireContent()
	if err != nil {
		return protocol.Message{}, err
	}
	conv := ack.ConversationID
	if conv == "" {
		conv = m.ConversationID
	}
	return protocol.Message{
		ClientMsgID:    m.ClientMsgID,
		ServerMsgID:    ack.ServerMsgID,
		ConversationID: conv,
		Seq:            ack.Seq,
		SendID:         m.SendID,
		RecvID:         m.RecvID,
		GroupID:        m.GroupID,
		SessionType:    m.SessionType,
		ContentType:    m.ContentType,
		Content:        content,
		SendTime:       ack.SendTime,
		CreateTime:     m.CreateTime,
	}, nil
}

// totalUnread sums unread counts.
func totalUnread(unread map[string]int64) int64 {
	var n int64
	for _, u := range unread {
		n += u
	}
	return n
}

// unsentReads picks the conversations read further here than the server
// knows (marked while offline): their read seq is to be sent; and those
// whose draft was set here and not yet sent.
func unsentReads(convs []Conversation) (reads []protocol.MarkReadReq, drafts []protocol.SetDraftReq) {
	for _, c := range convs {
		if c.Removed {
			continue // the server refuses a former member's state changes
		}
		if c.ReadSeq > c.ServerReadSeq {
			reads = append(reads, protocol.MarkReadReq{ConversationID: c.ConversationID, ReadSeq: c.ReadSeq})
		}
		if c.DraftPending {
			drafts = append(drafts, protocol.SetDraftReq{ConversationID: c.ConversationID, DraftText: c.DraftText})
		}
	}
	return reads, drafts
}
