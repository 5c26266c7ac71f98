package core

import (
	"context"
	"sort"

	"parley/protocol"
)

// Messages the user deleted for themselves ("delete for me"). What is left
// of one here is a tombstone: the message's place (its seq, so that the
// run of messages stays whole) without its content, never shown. The
// server masks such messages in whatever it gives this user, so a device
// that pulls them later stores tombstones at once; a device that held one
// learns of the deletion from its conversation's DeleteVersion and pulls
// the deletions above its DeletesVersion.

// tombstone is what is kept of m once deleted.
func tombstone(m Message) Message {
	return Message{
		ClientMsgID: m.ClientMsgID, ServerMsgID: m.ServerMsgID, ConversationID: m.ConversationID, Seq: m.Seq,
		SendID: m.SendID, RecvID: m.RecvID, GroupID: m.GroupID, SessionType: m.SessionType,
		SendTime: m.SendTime, CreateTime: m.CreateTime, Status: StatusSent, Version: m.Version, Deleted: true,
	}
}

// dropLatest forgets c's latest message when it is m, now deleted: the
// list shows no preview rather than a deleted one.
func dropLatest(c *Conversation, m Message) {
	if c.LatestMessage != nil && c.LatestMessage.ClientMsgID == m.ClientMsgID {
		c.LatestMessage = nil
	}
}

// foldDeletions folds in.Deletions into res, after the messages and
// changes of in.
func foldDeletions(l localState, in foldInput, res *stepResult, get func(string) *Conversation) {
	ds := make([]protocol.Deletion, len(in.Deletions))
	copy(ds, in.Deletions)
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].ConversationID != ds[j].ConversationID {
			return ds[i].ConversationID < ds[j].ConversationID
		}
		return ds[i].Seq < ds[j].Seq
	})
	written := make(map[string]int, len(res.Changes.Messages))
	for i, m := range res.Changes.Messages {
		written[m.ClientMsgID] = i
	}
	for _, d := range ds {
		if d.ConversationID == "" || d.Seq <= 0 || d.ClientMsgID == "" {
			continue
		}
		c := get(d.ConversationID)
		c.DeletesVersion = max(c.DeletesVersion, d.Version)
		cur, have := l.Msgs[d.ClientMsgID]
		i, inBatch := written[d.ClientMsgID]
		if inBatch {
			cur, have = res.Changes.Messages[i], true
		}
		switch {
		case have && cur.Deleted:
			continue
		case have:
			t := tombstone(cur)
			if inBatch {
				res.Changes.Messages[i] = t
			} else {
				written[t.ClientMsgID] = len(res.Changes.Messages)
				res.Changes.Messages = append(res.Changes.Messages, t)
			}
			// Not news any more if this batch brought it; else the app
			// is told to take it away.
			if !removeFrom(&res.New, t.ClientMsgID) {
				removeFrom(&res.Updated, t.ClientMsgID)
				res.Updated = append(res.Updated, t)
			}
			dropLatest(c, cur)
		case d.Seq > c.LocalMaxSeq:
			// Deleted on another device before it arrived here: its place
			// is kept, so that its copy (a push on its way) changes nothing.
			t := Message{ClientMsgID: d.ClientMsgID, ConversationID: d.ConversationID, Seq: d.Seq,
				SessionType: c.SessionType, GroupID: c.GroupID, Status: StatusSent, Deleted: true}
			written[t.ClientMsgID] = len(res.Changes.Messages)
			res.Changes.Messages = append(res.Changes.Messages, t)
			if d.Seq > c.MaxSeq {
				c.MaxSeq = d.Seq
			}
			if d.Seq == c.LocalMaxSeq+1 {
				c.LocalMaxSeq = d.Seq
			}
		}
	}
	for id, v := range in.DeletionsThrough {
		c := get(id)
		c.DeletesVersion = max(c.DeletesVersion, v)
	}
}

// removeFrom removes the message with clientMsgID from *ms and reports
// whether it was there.
func removeFrom(ms *[]Message, clientMsgID string) bool {
	for i := range *ms {
		if (*ms)[i].ClientMsgID == clientMsgID {
			*ms = append((*ms)[:i], (*ms)[i+1:]...)
			return true
		}
	}
	return false
}

// deletionsPlan says whether the deletions of a conversation held here
// must be pulled: the server's DeleteVersion is past the device's. A
// conversation new here is pulled masked (fold takes its DeleteVersion).
func deletionsPlan(local *Conversation, st *protocol.ConversationState) (after int64, ok bool) {
	if local == nil || st.Removed || st.DeleteVersion <= local.DeletesVersion {
		return 0, false
	}
	return local.DeletesVersion, true
}

// pullDeleted pulls the deletions that deletionsPlan asks for, for the
// states of a sync page or a push.
func (s *session) pullDeleted(ctx context.Context, w *wire, l localState, states []protocol.ConversationState) (ds []protocol.Deletion, through map[string]int64, err error) {
	for i := range states {
		st := &states[i]
		after, ok := deletionsPlan(l.Convs[st.ConversationID], st)
		if !ok {
			continue
		}
		for {
			var resp protocol.PullDeletionsResp
			req := protocol.PullDeletionsReq{ConversationID: st.ConversationID, AfterVersion: after, Limit: protocol.MaxPullLimit}
			if err := w.call(ctx, protocol.ReqPullDeletions, req, &resp); err != nil {
				return nil, nil, err
			}
			ds = append(ds, resp.Deletions...)
			if n := len(resp.Deletions); n > 0 {
				after = max(after, resp.Deletions[n-1].Version)
			}
			if !resp.HasMore || len(resp.Deletions) == 0 {
				break
			}
		}
		if through == nil {
			through = make(map[string]int64)
		}
		through[st.ConversationID] = max(after, st.DeleteVersion)
	}
	return ds, through, nil
}
