package server

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/protocol"
)

// Reactions: a member adds or removes an emoji on a message. The message
// carries every reaction (protocol.Message.Reactions) and a reaction is a
// change to it like an edit (changeMessage), so it takes the next message
// version, reaches every member's devices by push and a device that was
// away through pullChanges, and fold keeps the latest state.

// checkEmoji refuses what cannot be an emoji: empty, too long, not UTF-8,
// or holding white space or control characters.
func checkEmoji(e string) error {
	if e == "" || len(e) > protocol.MaxEmojiBytes || !utf8.ValidString(e) ||
		strings.IndexFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return protocol.Errorf(protocol.CodeInvalidArgument, "emoji must be 1 to %d bytes of UTF-8 without spaces or control characters", protocol.MaxEmojiBytes)
	}
	return nil
}

// react adds (add) or removes the caller's emoji on a message of a
// conversation they are a member of; a reaction on a revoked message is
// refused, and one that is already so changes nothing.
func (s *Server) react(ctx context.Context, c caller, req *protocol.ReactionReq, add bool) (*protocol.Message, error) {
	if err := checkEmoji(req.Emoji); err != nil {
		return nil, err
	}
	return s.changeMessage(ctx, c, req.ConversationID, req.ClientMsgID, func(m *protocol.Message) error {
		if m.ContentType == protocol.ContentRevoked {
			if !add {
				return errUnchanged // nothing left to remove
			}
			return protocol.Errorf(protocol.CodeInvalidArgument, "a revoked message cannot be reacted to")
		}
		rs, err := applyReaction(m.Reactions, c.UserID, req.Emoji, add)
		if err != nil {
			return err
		}
		m.Reactions = rs
		return nil
	})
}

// applyReaction returns rs with userID's emoji added or removed, as a new
// slice (rs is the stored state: left as it is); errUnchanged when it
// already was so.
func applyReaction(rs []protocol.Reaction, userID, emoji string, add bool) ([]protocol.Reaction, error) {
	i := slices.IndexFunc(rs, func(r protocol.Reaction) bool { return r.Emoji == emoji })
	has := i >= 0 && slices.Contains(rs[i].UserIDs, userID)
	if has == add {
		return nil, errUnchanged
	}
	out := make([]protocol.Reaction, 0, len(rs)+1)
	for _, r := range rs {
		out = append(out, protocol.Reaction{Emoji: r.Emoji, UserIDs: slices.Clone(r.UserIDs)})
	}
	if !add {
		out[i].UserIDs = slices.DeleteFunc(out[i].UserIDs, func(u string) bool { return u == userID })
		if len(out[i].UserIDs) == 0 {
			out = slices.Delete(out, i, i+1)
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	total, mine := 0, 0
	for _, r := range rs {
		total += len(r.UserIDs)
		if slices.Contains(r.UserIDs, userID) {
			mine++
		}
	}
	switch {
	case mine >= protocol.MaxUserReactions:
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "a user may add at most %d reactions to a message", protocol.MaxUserReactions)
	case total >= protocol.MaxMessageReactions:
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "a message holds at most %d reactions", protocol.MaxMessageReactions)
	case i < 0 && len(rs) >= protocol.MaxMessageEmojis:
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "a message holds at most %d different emojis", protocol.MaxMessageEmojis)
	}
	if i < 0 {
		return append(out, protocol.Reaction{Emoji: emoji, UserIDs: []string{userID}}), nil
	}
	out[i].UserIDs = append(out[i].UserIDs, userID)
	return out, nil
}
