package core

// Changes to stored messages, the app's side: revoke and edit. Both need
// the server (it decides who may change what), so they wait for the
// connection like any request; the answer is folded through the writer
// as the message in its new state, as a push of it would be.

import (
	"context"

	"parley/protocol"
)

// RevokeMessage revokes a message of a conversation: it becomes
// contentType revoked with content {revokerUserID, revokeTime} on every
// device that holds it, its earlier content removed. The sender may
// revoke within the server's window (default 24 h); a group's owner and
// admins may revoke any message of the group.
func (c *Client) RevokeMessage(ctx context.Context, conversationID, clientMsgID string) error {
	_, err := c.changeMessage(ctx, protocol.ReqRevokeMessage, conversationID, clientMsgID,
		protocol.MessageRefReq{ConversationID: conversationID, ClientMsgID: clientMsgID})
	return err
}

// EditMessage replaces the text of one of the user's text messages and
// returns the message as stored, with EditTime set.
func (c *Client) EditMessage(ctx context.Context, conversationID, clientMsgID, text string) (Message, error) {
	if _, err := protocol.EncodeContent(&protocol.TextContent{Text: text}); err != nil {
		return Message{}, err
	}
	return c.changeMessage(ctx, protocol.ReqEditMessage, conversationID, clientMsgID,
		protocol.EditMessageReq{ConversationID: conversationID, ClientMsgID: clientMsgID, Text: text})
}

func (c *Client) changeMessage(ctx context.Context, typ, conversationID, clientMsgID string, req any) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return Message{}, errInvalid("invalid conversationID")
	}
	if clientMsgID == "" || len(clientMsgID) > protocol.MaxClientMsgIDLen {
		return Message{}, errInvalid("invalid clientMsgID")
	}
	var m protocol.Message
	if err := s.call(ctx, typ, req, &m); err != nil {
		return Message{}, err
	}
	if m.ConversationID != conversationID || m.Seq <= 0 {
		return Message{}, &Error{Code: protocol.CodeInternal, Message: "the server answered a change with another message"}
	}
	if _, err := s.apply(ctx, foldInput{Changed: []protocol.Message{m}}); err != nil {
		return Message{}, withCode(err)
	}
	stored, err := s.store.Messages(ctx, []string{clientMsgID})
	if err != nil {
		return Message{}, withCode(err)
	}
	if len(stored) == 1 && stored[0].Version >= m.Version {
		return stored[0], nil
	}
	// Not held here (in the part of the conversation not fetched): the
	// server's answer is the message.
	return messageFromProto(&m, s.userID), nil
}

// ClearConversationMessages clears a conversation for the user on all
// their devices: every message up to now is removed here and is no longer
// theirs to read (the others keep theirs). Later messages arrive as usual.
func (c *Client) ClearConversationMessages(ctx context.Context, conversationID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return errInvalid("invalid conversationID")
	}
	var st protocol.ConversationState
	if err := s.call(ctx, protocol.ReqClearConversation, protocol.ConversationIDReq{ConversationID: conversationID}, &st); err != nil {
		return err
	}
	_, err = s.apply(ctx, foldInput{States: []protocol.ConversationState{st}})
	return withCode(err)
}

// DeleteMessage deletes a message for the user alone, on all their
// devices: here it is removed at once (its content gone from local data),
// the others follow; the other members keep theirs.
func (c *Client) DeleteMessage(ctx context.Context, conversationID, clientMsgID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return errInvalid("invalid conversationID")
	}
	if clientMsgID == "" || len(clientMsgID) > protocol.MaxClientMsgIDLen {
		return errInvalid("invalid clientMsgID")
	}
	var st protocol.ConversationState
	if err := s.call(ctx, protocol.ReqDeleteMessage, protocol.MessageRefReq{ConversationID: conversationID, ClientMsgID: clientMsgID}, &st); err != nil {
		return err
	}
	in := foldInput{States: []protocol.ConversationState{st}}
	if w := s.liveWire(); w != nil {
		l, err := s.loadLocal(ctx, []string{conversationID})
		if err != nil {
			return withCode(err)
		}
		if in.Deletions, in.DeletionsThrough, err = s.pullDeleted(ctx, w, l, in.States); err != nil {
			return err
		}
	}
	_, err = s.apply(ctx, in)
	return withCode(err)
}

// PinMessage pins (or unpins) a message for every member of the
// conversation; any member may.
func (c *Client) PinMessage(ctx context.Context, conversationID, clientMsgID string, pinned bool) error {
	_, err := c.changeMessage(ctx, protocol.ReqPinMessage, conversationID, clientMsgID,
		protocol.PinMessageReq{ConversationID: conversationID, ClientMsgID: clientMsgID, IsPinned: pinned})
	return err
}

// PinnedMessages returns a conversation's pinned messages, ascending by
// seq: the server's list while connected (stored here as it is), the
// pinned messages held here otherwise.
func (c *Client) PinnedMessages(ctx context.Context, conversationID string) ([]Message, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return nil, errInvalid("invalid conversationID")
	}
	if s.liveWire() != nil {
		var resp protocol.MessagesResp
		err := s.call(ctx, protocol.ReqPinnedMessages, protocol.ConversationIDReq{ConversationID: conversationID}, &resp)
		if err == nil {
			if _, err := s.apply(ctx, foldInput{Changed: resp.Messages}); err != nil {
				return nil, withCode(err)
			}
			out := make([]Message, 0, len(resp.Messages))
			for i := range resp.Messages {
				if m := messageFromProto(&resp.Messages[i], s.userID); !m.Deleted {
					out = append(out, m)
				}
			}
			return out, nil
		}
		if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	cv, err := s.store.Conversation(ctx, conversationID)
	if err != nil {
		return nil, withCode(err)
	}
	held, err := s.store.MessagesBySeq(ctx, conversationID, max(cv.MinSeq, 1), max(cv.MaxSeq, cv.LocalMaxSeq))
	if err != nil {
		return nil, withCode(err)
	}
	out := []Message{}
	for _, m := range held {
		if m.IsPinned && !m.Deleted {
			out = append(out, m)
		}
	}
	return out, nil
}

// ReactMessage adds the user's reaction emoji to a message (a member's,
// not of a revoked message); ReactMessage with add false takes it away.
// Either is a change every member's devices get; doing it twice changes
// nothing.
func (c *Client) ReactMessage(ctx context.Context, conversationID, clientMsgID, emoji string, add bool) error {
	if emoji == "" {
		return errInvalid("empty emoji")
	}
	typ := protocol.ReqRemoveReaction
	if add {
		typ = protocol.ReqAddReaction
	}
	_, err := c.changeMessage(ctx, typ, conversationID, clientMsgID,
		protocol.ReactionReq{ConversationID: conversationID, ClientMsgID: clientMsgID, Emoji: emoji})
	return err
}
