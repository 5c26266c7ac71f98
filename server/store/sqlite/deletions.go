package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/protocol"
	"parley/server/store"
)

// DeleteMessageForUser implements store.MessageDeletions.
func (s *Store) DeleteMessageForUser(ctx context.Context, userID, conversationID, clientMsgID string) (*protocol.ConversationState, *protocol.Deletion, bool, error) {
	var st protocol.ConversationState
	var d protocol.Deletion
	changed := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = scanConv(tx.QueryRowContext(ctx, `SELECT `+convCols+convFrom+`WHERE uc.user_id = ? AND uc.conversation_id = ?`,
			userID, conversationID))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotMember
		}
		if err != nil {
			return err
		}
		if st.Removed {
			return store.ErrNotMember
		}
		d = protocol.Deletion{ConversationID: conversationID, ClientMsgID: clientMsgID}
		err = tx.QueryRowContext(ctx, `SELECT seq FROM messages WHERE conversation_id = ? AND client_msg_id = ? AND seq >= ?
			ORDER BY seq LIMIT 1`, conversationID, clientMsgID, st.MinSeq).Scan(&d.Seq)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT version FROM user_deleted_messages WHERE user_id = ? AND conversation_id = ? AND seq = ?`,
			userID, conversationID, d.Seq).Scan(&d.Version)
		if err == nil {
			return withLatest(ctx, tx, &st) // deleted before: nothing changes
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.QueryRowContext(ctx, `UPDATE users SET change_version = change_version + 1 WHERE user_id = ? RETURNING change_version`,
			userID).Scan(&d.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_deleted_messages (user_id, conversation_id, seq, client_msg_id, version)
			VALUES (?, ?, ?, ?, ?)`, userID, conversationID, d.Seq, clientMsgID, d.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_conversations SET version = ?, delete_version = ? WHERE user_id = ? AND conversation_id = ?`,
			d.Version, d.Version, userID, conversationID); err != nil {
			return err
		}
		st.Version, st.DeleteVersion, changed = d.Version, d.Version, true
		return withLatest(ctx, tx, &st)
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("sqlite: delete message: %w", err)
	}
	return &st, &d, changed, nil
}

// DeletedMessages implements store.MessageDeletions.
func (s *Store) DeletedMessages(ctx context.Context, userID, conversationID string, afterVersion int64, limit int) ([]protocol.Deletion, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, client_msg_id, version FROM user_deleted_messages
		WHERE user_id = ? AND conversation_id = ? AND version > ? ORDER BY version LIMIT ?`, userID, conversationID, afterVersion, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: deleted messages: %w", err)
	}
	defer rows.Close()
	var out []protocol.Deletion
	for rows.Next() {
		d := protocol.Deletion{ConversationID: conversationID}
		if err := rows.Scan(&d.Seq, &d.ClientMsgID, &d.Version); err != nil {
			return nil, fmt.Errorf("sqlite: deleted messages: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: deleted messages: %w", err)
	}
	return out, nil
}

// DeletedSeqs implements store.MessageDeletions.
func (s *Store) DeletedSeqs(ctx context.Context, userID, conversationID string, fromSeq, toSeq int64) ([]int64, error) {
	return s.int64s(ctx, "deleted seqs", `SELECT seq FROM user_deleted_messages
		WHERE user_id = ? AND conversation_id = ? AND seq >= ? AND seq <= ? ORDER BY seq`, userID, conversationID, fromSeq, toSeq)
}

// DeletedBy implements store.MessageDeletions.
func (s *Store) DeletedBy(ctx context.Context, conversationID string, seq int64) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT user_id FROM user_deleted_messages WHERE conversation_id = ? AND seq = ? ORDER BY user_id`, conversationID, seq)
	if err != nil {
		return nil, fmt.Errorf("sqlite: deleted by: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: deleted by: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: deleted by: %w", err)
	}
	return out, nil
}

func (s *Store) int64s(ctx context.Context, what, query string, args ...any) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return out, nil
}
