package core

import (
	"slices"

	"parley/protocol"
)

// Pushes: frames the server sends unasked, applied in arrival order.

// pushLoop applies pushes in arrival order; consecutive message pushes are
// applied as one batch.
func (s *session) pushLoop(w *wire) {
	for {
		frames := w.takePushes()
		if frames == nil {
			return
		}
		var batch, changed []protocol.Message
		flush := func() bool {
			if len(batch) == 0 && len(changed) == 0 {
				return true
			}
			err := s.applyPushed(w, batch, changed)
			batch, changed = nil, nil
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
			if f.Type == protocol.PushMessageChanged {
				// In the same batch as the messages around it: a change
				// may arrive before the message it changes.
				var m protocol.Message
				if err := protocol.DecodeData(f.Data, &m); err != nil {
					s.cfg.Logger.Warn("bad push", "type", f.Type, "err", err)
					continue
				}
				changed = append(changed, m)
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

// applyPushed applies pushed messages and changed messages, pulling any
// gap before them first.
func (s *session) applyPushed(w *wire, msgs, changed []protocol.Message) error {
	ctx := w.ctx
	all := append(slices.Clip(msgs), changed...)
	ids := make([]string, len(all))
	for i, m := range all {
		ids[i] = m.ConversationID
	}
	l, err := s.loadLocal(ctx, ids)
	if err != nil {
		return err
	}
	ranges, tails := planGaps(l.Convs, l.Held, all)
	in := foldInput{Messages: msgs, Changed: changed, Tails: tails}
	if len(ranges) > 0 {
		pulled, err := s.pull(ctx, w, ranges)
		if err != nil {
			return err
		}
		in.Messages = append(pulled, msgs...)
	}
	_, err = s.apply(ctx, in)
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
	if _, err := s.apply(ctx, foldInput{Messages: pulled}); err != nil {
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
		in := foldInput{States: []protocol.ConversationState{st}}
		if st.DeleteVersion > 0 {
			// A deletion on another device of the user: pulled with the
			// state, so both are applied together.
			l, err := s.loadLocal(ctx, []string{st.ConversationID})
			if err != nil {
				return err
			}
			if in.Deletions, in.DeletionsThrough, err = s.pullDeleted(ctx, w, l, in.States); err != nil {
				return err
			}
		}
		_, err := s.apply(ctx, in)
		return err
	case protocol.PushReadCounts:
		var rc protocol.ReadCounts
		if err := protocol.DecodeData(f.Data, &rc); err != nil {
			return err
		}
		// Only a pull moves the applied ReceiptVersion: a push says nothing
		// of the counts of reads made while this device was away.
		rc.ReceiptVersion = 0
		_, err := s.apply(ctx, foldInput{ReadCounts: []protocol.ReadCounts{rc}})
		return err
	case protocol.PushTyping:
		var t protocol.Typing
		if err := protocol.DecodeData(f.Data, &t); err != nil {
			return err
		}
		s.onTyping(t)
		return nil
	case protocol.PushFriendRequest:
		var fr protocol.FriendRequest
		if err := protocol.DecodeData(f.Data, &fr); err != nil {
			return err
		}
		_, err := s.apply(ctx, friendRequestInput{Request: fr})
		return err
	case protocol.PushFriendAdded:
		var u protocol.User
		if err := protocol.DecodeData(f.Data, &u); err != nil {
			return err
		}
		_, err := s.apply(ctx, friendAddedInput{User: userFromProto(u)})
		return err
	case protocol.PushFriendDeleted:
		var d protocol.UserIDReq
		if err := protocol.DecodeData(f.Data, &d); err != nil {
			return err
		}
		_, err := s.apply(ctx, friendDeletedInput{UserID: d.UserID})
		return err
	case protocol.PushFriendChanged:
		var u protocol.User
		if err := protocol.DecodeData(f.Data, &u); err != nil {
			return err
		}
		_, err := s.apply(ctx, friendChangedInput{User: userFromProto(u)})
		return err
	case protocol.PushUserChanged:
		var u protocol.User
		if err := protocol.DecodeData(f.Data, &u); err != nil {
			return err
		}
		_, err := s.apply(ctx, profileChangesInput{Users: []User{userFromProto(u)}, Announce: true})
		return err
	case protocol.PushBlockChanged:
		var bc protocol.BlockChanged
		if err := protocol.DecodeData(f.Data, &bc); err != nil {
			return err
		}
		u := userFromProto(bc.User)
		u.UserID = bc.UserID
		_, err := s.apply(ctx, blockChangedInput{User: u, Blocked: bc.Blocked})
		return err
	case protocol.PushGroup:
		var g protocol.Group
		if err := protocol.DecodeData(f.Data, &g); err != nil {
			return err
		}
		_, err := s.apply(ctx, groupInput{Group: g})
		return err
	case protocol.PushGroupMemberRemoved:
		var r protocol.GroupMemberRemoved
		if err := protocol.DecodeData(f.Data, &r); err != nil {
			return err
		}
		ev := GroupMemberRemoved{GroupID: r.GroupID, UserID: r.UserID, OperatorUserID: r.OperatorUserID, Reason: r.Reason, Group: r.Group}
		_, err := s.apply(ctx, groupRemovedInput{Event: ev})
		return err
	case protocol.PushGroupApplication:
		var a protocol.GroupApplication
		if err := protocol.DecodeData(f.Data, &a); err != nil {
			return err
		}
		_, err := s.apply(ctx, groupApplicationInput{Application: a})
		return err
	case protocol.PushGroupMember:
		var m protocol.GroupMember
		if err := protocol.DecodeData(f.Data, &m); err != nil {
			return err
		}
		_, err := s.apply(ctx, groupMembersInput{GroupID: m.GroupID, Members: []GroupMember{m}, Announce: true})
		return err
	case protocol.PushCallInvited, protocol.PushCallState, protocol.PushCallSignal:
		return s.applyCallPush(f)
	case protocol.PushUserStatus:
		var st UserStatus
		if err := protocol.DecodeData(f.Data, &st); err != nil {
			return err
		}
		s.statusesKnown([]UserStatus{st}, true)
		return nil
	default:
		s.cfg.Logger.Debug("ignoring push", "type", f.Type)
	}
	return nil
}
