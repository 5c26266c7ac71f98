package core

import (
	"context"
	"sort"

	"parley/protocol"
)

// Changes to stored messages (revoke, edit), part of the pure step: a
// change travels as the message in its new state with a higher Version,
// and a stored copy with a Version at least the incoming one's is kept. So
// a change applied twice, or an older state arriving after a newer one (a
// push of the message overtaken by its revoke), changes nothing, and an
// edit never brings back a revoked message's content: the server refuses
// to edit a revoked message, and every later state carries the revoke.

// foldChanged folds in.Changed into res, after fold has folded
// in.Messages; get gives the working copy of a conversation.
func foldChanged(l localState, in foldInput, res *stepResult, seen map[string]bool, get func(string) *Conversation) {
	msgs := make([]protocol.Message, len(in.Changed))
	copy(msgs, in.Changed)
	sort.SliceStable(msgs, func(i, j int) bool {
		if msgs[i].ConversationID != msgs[j].ConversationID {
			return msgs[i].ConversationID < msgs[j].ConversationID
		}
		return msgs[i].Version < msgs[j].Version
	})
	written := make(map[string]int, len(res.Changes.Messages))
	for i, m := range res.Changes.Messages {
		written[m.ClientMsgID] = i
	}
	versions := map[string][]int64{}
	for i := range msgs {
		pm := &msgs[i]
		if pm.ConversationID == "" || pm.Seq <= 0 {
			continue
		}
		if pm.Version > 0 {
			versions[pm.ConversationID] = append(versions[pm.ConversationID], pm.Version)
		}
		m := messageFromProto(pm, l.Self)
		c := get(m.ConversationID)
		cur, have := l.Msgs[m.ClientMsgID]
		if i, ok := written[m.ClientMsgID]; ok {
			cur, have = res.Changes.Messages[i], true
		}
		if have {
			m.ReadCount = max(m.ReadCount, cur.ReadCount)
		}
		switch {
		case have && cur.Deleted:
			continue // deleted by the user: it stays so
		case have && cur.Status == StatusSent && cur.Seq == m.Seq:
			if m.Version <= cur.Version {
				continue // this state or a newer one is here
			}
			if m.CreateTime == 0 {
				m.CreateTime = cur.CreateTime
			}
			if i, ok := written[m.ClientMsgID]; ok {
				res.Changes.Messages[i] = m
			} else {
				written[m.ClientMsgID] = len(res.Changes.Messages)
				res.Changes.Messages = append(res.Changes.Messages, m)
			}
			// Announced once, in its latest state: as new if this batch
			// brings it for the first time, else as changed.
			if !replaceIn(res.New, m) && !replaceIn(res.Updated, m) {
				res.Updated = append(res.Updated, m)
			}
			replaceIn(res.Sent, m)
		case have:
			// The user's own message, not yet acknowledged here, changed
			// on another device: the server has it, so it is sent.
			if m.CreateTime == 0 {
				m.CreateTime = cur.CreateTime
			}
			written[m.ClientMsgID] = len(res.Changes.Messages)
			res.Changes.Messages = append(res.Changes.Messages, m)
			res.Changes.RemovedOutbox = append(res.Changes.RemovedOutbox, m.ClientMsgID)
			res.Sent = append(res.Sent, m)
			// Now stored with its seq: the conversation's run moves over
			// it as over any message that arrives, or it would stay one
			// below a stored message until something else came.
			if m.Seq > c.MaxSeq {
				c.MaxSeq = m.Seq
			}
			if m.Seq == c.LocalMaxSeq+1 {
				c.LocalMaxSeq = m.Seq
			}
			if m.Seq > c.ReadSeq {
				c.ReadSeq = m.Seq
			}
			if m.Seq > c.ServerReadSeq {
				c.ServerReadSeq = m.Seq
			}
		case m.Seq <= c.LocalMaxSeq || m.Seq < c.MinSeq || seen[m.ClientMsgID]:
			// In the part of the conversation this device has not
			// fetched (or may not read): history brings it as it is then.
			continue
		default:
			// News: a message first seen through its change.
			written[m.ClientMsgID] = len(res.Changes.Messages)
			res.Changes.Messages = append(res.Changes.Messages, m)
			if l.Outbox[m.ClientMsgID] {
				res.Changes.RemovedOutbox = append(res.Changes.RemovedOutbox, m.ClientMsgID)
				res.Sent = append(res.Sent, m)
			} else if !in.Quiet && !m.Deleted {
				res.New = append(res.New, m)
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
				c.ServerReadSeq = m.Seq
			}
			if m.SendTime > c.UpdatedAt {
				c.UpdatedAt = m.SendTime
			}
		}
		if m.Deleted {
			dropLatest(c, m)
		} else if c.LatestMessage == nil || m.Seq > c.LatestMessage.Seq ||
			(m.Seq == c.LatestMessage.Seq && m.Version > c.LatestMessage.Version) {
			mm := m
			c.LatestMessage = &mm
		}
	}
	// The run of applied changes moves on through consecutive versions
	// (each change takes the conversation's next one), and to what a pull
	// by version brought.
	for id, vs := range versions {
		c := get(id)
		sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
		for _, v := range vs {
			if v == c.ChangesVersion+1 {
				c.ChangesVersion = v
			}
		}
		c.MessageVersion = max(c.MessageVersion, vs[len(vs)-1])
	}
	for id, v := range in.ChangesThrough {
		c := get(id)
		c.ChangesVersion = max(c.ChangesVersion, v)
		c.MessageVersion = max(c.MessageVersion, v)
	}
}

// replaceIn replaces the message of m's ClientMsgID in ms by m and reports
// whether there was one.
func replaceIn(ms []Message, m Message) bool {
	for i := range ms {
		if ms[i].ClientMsgID == m.ClientMsgID {
			ms[i] = m
			return true
		}
	}
	return false
}

// changedPlan is what the catch-up pulls by version for one conversation:
// the changes after from (the device's ChangesVersion) up to to (the
// server's MessageVersion); ok is false when there is nothing to pull.
func changedPlan(local *Conversation, st *protocol.ConversationState) (from, to int64, ok bool) {
	if local == nil || st.Removed || st.MessageVersion <= local.ChangesVersion {
		// A conversation new here is pulled as it is now (fold sets its
		// ChangesVersion); a removed member may pull nothing.
		return 0, 0, false
	}
	return local.ChangesVersion, st.MessageVersion, true
}

// clearBelow removes the stored messages below a conversation's new MinSeq
// (l.Cleared, what load found below an incoming state's MinSeq): the user
// cleared the conversation, here or on another device. The latest message
// goes with them.
func clearBelow(l localState, res *stepResult, get func(string) *Conversation) {
	for _, id := range sortedKeys(l.Cleared) {
		c := get(id)
		res.Changes.RemovedMessages = append(res.Changes.RemovedMessages, l.Cleared[id]...)
		if lm := c.LatestMessage; lm != nil && lm.Seq > 0 && lm.Seq < c.MinSeq {
			c.LatestMessage = nil
		}
	}
}

// loadCleared fills l.Cleared for the states that move a stored
// conversation's MinSeq up: a read of the messages cleared, no more.
func (s *session) loadCleared(ctx context.Context, l *localState, states []protocol.ConversationState) error {
	for i := range states {
		st := &states[i]
		c := l.Convs[st.ConversationID]
		if c == nil || st.MinSeq <= max(c.MinSeq, 1) {
			continue
		}
		ms, err := s.store.MessagesBySeq(ctx, st.ConversationID, 1, st.MinSeq-1)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if l.Cleared == nil {
				l.Cleared = make(map[string][]string)
			}
			l.Cleared[st.ConversationID] = append(l.Cleared[st.ConversationID], m.ClientMsgID)
		}
	}
	return nil
}
