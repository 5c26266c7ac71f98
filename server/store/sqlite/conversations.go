package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/protocol"
	"parley/server/store"
)

// convCols reads a state; a removed member's max seq stops at their removal.
const convCols = `uc.conversation_id, uc.session_type, uc.peer_user_id, uc.group_id, uc.min_seq, uc.read_seq,
	uc.is_pinned, uc.draft_text, uc.version, uc.update_time, COALESCE(uc.removed_seq, c.max_seq),
	uc.removed_seq IS NOT NULL, uc.group_version, c.message_version, uc.delete_version,
	COALESCE(pr.read_seq, 0), uc.is_muted, uc.receipt_version, uc.hidden_until_seq`

// convFrom joins, for a one-to-one conversation, the peer's state: its
// read seq is the state's PeerReadSeq.
const convFrom = ` FROM user_conversations uc JOIN conversations c ON c.conversation_id = uc.conversation_id
	LEFT JOIN user_conversations pr ON uc.session_type = 'single' AND pr.user_id = uc.peer_user_id AND pr.conversation_id = uc.conversation_id `

func scanConv(row interface{ Scan(...any) error }) (protocol.ConversationState, error) {
	var st protocol.ConversationState
	var pinned, removed, muted int
	err := row.Scan(&st.ConversationID, &st.SessionType, &st.PeerUserID, &st.GroupID, &st.MinSeq, &st.ReadSeq,
		&pinned, &st.DraftText, &st.Version, &st.UpdatedAt, &st.MaxSeq, &removed, &st.GroupVersion, &st.MessageVersion, &st.DeleteVersion, &st.PeerReadSeq, &muted, &st.ReceiptVersion, &st.HiddenUntilSeq)
	st.IsMuted = muted != 0
	st.IsPinned, st.Removed = pinned != 0, removed != 0
	return st, err
}

// withLatest loads st's latest message, if it has one the user may read: a
// removed member gets no content from the group any more.
func withLatest(ctx context.Context, q querier, st *protocol.ConversationState) error {
	if st.MaxSeq == 0 || st.MaxSeq < st.MinSeq || st.Removed {
		return nil
	}
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND seq = ?`,
		st.ConversationID, st.MaxSeq))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	st.LatestMessage = &m
	return nil
}

// changedQuery reads a user's conversations changed after a cursor through
// the (user_id, version) index; TestSyncUsesVersionIndex checks the plan.
const changedQuery = `SELECT ` + convCols + convFrom + `
	WHERE uc.user_id = ? AND uc.version > ? ORDER BY uc.version LIMIT ?`

// ChangedConversations implements store.Conversations. It reads through the
// (user_id, version) index, then one primary-key lookup per row returned.
func (s *Store) ChangedConversations(ctx context.Context, userID string, cursor int64, limit int) ([]protocol.ConversationState, error) {
	var out []protocol.ConversationState
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, changedQuery, userID, cursor, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			st, err := scanConv(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if err := withLatest(ctx, tx, &out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: changed conversations: %w", err)
	}
	return out, nil
}

// Conversation implements store.Conversations.
func (s *Store) Conversation(ctx context.Context, userID, conversationID string) (*protocol.ConversationState, error) {
	var st protocol.ConversationState
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = scanConv(tx.QueryRowContext(ctx, `SELECT `+convCols+convFrom+`WHERE uc.user_id = ? AND uc.conversation_id = ?`,
			userID, conversationID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: conversation %q of %q: %w", conversationID, userID, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("sqlite: conversation: %w", err)
		}
		return withLatest(ctx, tx, &st)
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// stampPeer bumps the peer's change version and stamps their state of a
// one-to-one conversation: what they see of the user's read seq changed.
func stampPeer(ctx context.Context, tx *sql.Tx, peer, conversationID string) error {
	var v int64
	if err := tx.QueryRowContext(ctx, `UPDATE users SET change_version = change_version + 1 WHERE user_id = ? RETURNING change_version`,
		peer).Scan(&v); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE user_conversations SET version = ? WHERE user_id = ? AND conversation_id = ?`, v, peer, conversationID)
	return err
}

// UpdateConversation implements store.Conversations.
func (s *Store) UpdateConversation(ctx context.Context, userID, conversationID string, ch store.ConversationChange, now int64) (*protocol.ConversationState, bool, error) {
	var st protocol.ConversationState
	changed := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		row := func() *sql.Row {
			return tx.QueryRowContext(ctx, `SELECT `+convCols+convFrom+`WHERE uc.user_id = ? AND uc.conversation_id = ?`,
				userID, conversationID)
		}
		var err error
		st, err = scanConv(row())
		if errors.Is(err, sql.ErrNoRows) {
			typ, a, b, ok := protocol.ParseConversationID(conversationID)
			if !ok || typ != protocol.SessionSingle || (userID != a && userID != b) {
				return fmt.Errorf("sqlite: conversation %q: %w", conversationID, store.ErrNotMember)
			}
			peer := a
			if userID == a {
				peer = b
			}
			if err := ensureConversation(ctx, tx, conversationID, protocol.SessionSingle, "", now); err != nil {
				return err
			}
			if err := ensureSingleState(ctx, tx, userID, peer, conversationID, now); err != nil {
				return err
			}
			st, err = scanConv(row())
		}
		if err != nil {
			return err
		}
		if st.Removed {
			return fmt.Errorf("sqlite: conversation %q: %w", conversationID, store.ErrNotMember)
		}

		readBefore := st.ReadSeq
		changed = ch.ApplyTo(&st)
		if changed && st.ReadSeq != readBefore && st.SessionType == protocol.SessionSingle && st.PeerUserID != "" && st.PeerUserID != userID {
			if err := stampPeer(ctx, tx, st.PeerUserID, conversationID); err != nil {
				return err
			}
		}
		if changed {
			err := tx.QueryRowContext(ctx, `UPDATE users SET change_version = change_version + 1 WHERE user_id = ? RETURNING change_version`,
				userID).Scan(&st.Version)
			if err != nil {
				return err
			}
			st.UpdatedAt = now
			_, err = tx.ExecContext(ctx, `UPDATE user_conversations SET read_seq = ?, is_pinned = ?, draft_text = ?, version = ?, update_time = ?, min_seq = ?, is_muted = ?, hidden_until_seq = ?,
				read_time = CASE WHEN read_seq = ? THEN read_time ELSE ? END
				WHERE user_id = ? AND conversation_id = ?`,
				st.ReadSeq, boolInt(st.IsPinned), st.DraftText, st.Version, st.UpdatedAt, st.MinSeq, boolInt(st.IsMuted), st.HiddenUntilSeq, st.ReadSeq, now, userID, conversationID)
			if err != nil {
				return err
			}
		}
		return withLatest(ctx, tx, &st)
	})
	if err != nil {
		if errors.Is(err, store.ErrNotMember) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("sqlite: update conversation: %w", err)
	}
	return &st, changed, nil
}
