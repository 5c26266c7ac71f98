package server

import (
	"context"
	"encoding/json"
	"errors"

	"parley/protocol"
	"parley/server/store"
)

// checkMentions enforces who may mention everyone: a mention with atAll
// is for groups only, sent by the group's owner or an admin. Content is
// the send's checked content.
func (s *Server) checkMentions(ctx context.Context, from string, req *protocol.SendReq, content json.RawMessage) error {
	if req.ContentType != protocol.ContentMention {
		return nil
	}
	c, err := protocol.DecodeContent(req.ContentType, content)
	if err != nil {
		return err
	}
	if !c.(*protocol.MentionContent).AtAll {
		return nil
	}
	if req.GroupID == "" {
		return protocol.Errorf(protocol.CodeInvalidArgument, "atAll mentions a group's members; this is a one-to-one message")
	}
	if !protocol.ValidID(req.GroupID) {
		return protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
	}
	m, err := s.store.GroupMember(ctx, req.GroupID, from)
	if errors.Is(err, store.ErrNotMember) {
		return protocol.Errorf(protocol.CodePermissionDenied, "not a member of this group")
	}
	if err != nil {
		return err
	}
	if m.Role != protocol.RoleOwner && m.Role != protocol.RoleAdmin {
		return protocol.Errorf(protocol.CodePermissionDenied, "only the group's owner and admins may mention everyone")
	}
	return nil
}
