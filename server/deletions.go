package server

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"parley/protocol"
	"parley/server/store"
)

// Messages a user deleted for themselves ("delete for me"): the store
// keeps them for everyone else; what the server gives that user carries
// them masked (Deleted, no content), so that no device of theirs gets the
// content again, and their seq is still there for the device's run of
// messages to stay whole. Their other devices learn of a deletion from
// the state's DeleteVersion (push.conversation, sync) and pull it with
// message.deletions.

// maskMessage leaves a message's content out for a user who deleted it.
func maskMessage(m *protocol.Message) {
	m.Deleted = true
	m.Content = json.RawMessage(`{}`)
	m.Reactions = nil
}

// maskDeleted masks the messages of msgs (of one conversation) that userID
// deleted; deleteVersion 0 (no deletion in it) skips the look-up.
func (s *Server) maskDeleted(ctx context.Context, userID string, deleteVersion int64, msgs []protocol.Message) error {
	if deleteVersion == 0 || len(msgs) == 0 {
		return nil
	}
	lo, hi := msgs[0].Seq, msgs[0].Seq
	for _, m := range msgs {
		lo, hi = min(lo, m.Seq), max(hi, m.Seq)
	}
	seqs, err := s.store.DeletedSeqs(ctx, userID, msgs[0].ConversationID, lo, hi)
	if err != nil || len(seqs) == 0 {
		return err
	}
	for i := range msgs {
		if _, found := slices.BinarySearch(seqs, msgs[i].Seq); found {
			maskMessage(&msgs[i])
		}
	}
	return nil
}

// maskDeletedState masks a state's latest message if the user deleted it.
func (s *Server) maskDeletedState(ctx context.Context, userID string, st *protocol.ConversationState) error {
	if st == nil || st.LatestMessage == nil {
		return nil
	}
	one := []protocol.Message{*st.LatestMessage}
	if err := s.maskDeleted(ctx, userID, st.DeleteVersion, one); err != nil {
		return err
	}
	st.LatestMessage = &one[0]
	return nil
}

// deleteMessage deletes a message for the caller alone and tells their
// other connections (push.conversation with the new DeleteVersion).
func (s *Server) deleteMessage(ctx context.Context, c caller, req *protocol.MessageRefReq) (*protocol.ConversationState, error) {
	if req.ClientMsgID == "" || len(req.ClientMsgID) > protocol.MaxClientMsgIDLen {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "clientMsgID must be 1 to %d bytes", protocol.MaxClientMsgIDLen)
	}
	if _, err := s.access(ctx, c.UserID, req.ConversationID); err != nil {
		return nil, err
	}
	st, _, changed, err := s.store.DeleteMessageForUser(ctx, c.UserID, req.ConversationID, req.ClientMsgID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, protocol.Errorf(protocol.CodeNotFound, "no message %q in this conversation", req.ClientMsgID)
	case errors.Is(err, store.ErrNotMember):
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "not your conversation")
	case err != nil:
		return nil, err
	}
	s.deliverableState(st)
	if err := s.maskDeletedState(ctx, c.UserID, st); err != nil {
		return nil, err
	}
	if changed {
		s.pushTo(ctx, protocol.PushConversation, st, c.ConnID, c.UserID)
	}
	return st, nil
}

// pullDeletions returns the caller's deletions in a conversation after a
// version.
func (s *Server) pullDeletions(ctx context.Context, c caller, req *protocol.PullDeletionsReq) (*protocol.PullDeletionsResp, error) {
	if req.AfterVersion < 0 || req.Limit < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "negative afterVersion or limit")
	}
	if _, err := s.access(ctx, c.UserID, req.ConversationID); err != nil {
		return nil, err
	}
	limit := req.Limit
	if limit == 0 {
		limit = defaultPullLimit
	}
	limit = min(limit, protocol.MaxPullLimit)
	ds, err := s.store.DeletedMessages(ctx, c.UserID, req.ConversationID, req.AfterVersion, limit+1)
	if err != nil {
		return nil, err
	}
	resp := &protocol.PullDeletionsResp{Deletions: []protocol.Deletion{}}
	if len(ds) > limit {
		ds, resp.HasMore = ds[:limit], true
	}
	resp.Deletions = append(resp.Deletions, ds...)
	return resp, nil
}
