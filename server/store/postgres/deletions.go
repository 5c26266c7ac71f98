package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

// DeleteMessageForUser implements store.MessageDeletions. The user's row
// is locked first, as UpdateConversation does, so that the user's changes
// apply one after the other.
func (s *Store) DeleteMessageForUser(ctx context.Context, userID, conversationID, clientMsgID string) (*protocol.ConversationState, *protocol.Deletion, bool, error) {
	var st protocol.ConversationState
	var d protocol.Deletion
	var changed bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		changed = false
		if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE`, userID); err != nil {
			return err
		}
		var err error
		st, err = scanConv(tx.QueryRow(ctx, oneConv, userID, conversationID))
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && st.Removed) {
			return store.ErrNotMember
		}
		if err != nil {
			return err
		}
		d = protocol.Deletion{ConversationID: conversationID, ClientMsgID: clientMsgID}
		err = tx.QueryRow(ctx, `SELECT seq FROM messages WHERE conversation_id = $1 AND client_msg_id = $2 AND seq >= $3
			ORDER BY seq LIMIT 1`, conversationID, clientMsgID, st.MinSeq).Scan(&d.Seq)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT version FROM user_deleted_messages WHERE user_id = $1 AND conversation_id = $2 AND seq = $3`,
			userID, conversationID, d.Seq).Scan(&d.Version)
		if err == nil {
			return nil // deleted before: nothing changes
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE users SET change_version = change_version + 1 WHERE user_id = $1 RETURNING change_version`,
			userID).Scan(&d.Version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_deleted_messages (user_id, conversation_id, seq, client_msg_id, version)
			VALUES ($1, $2, $3, $4, $5)`, userID, conversationID, d.Seq, clientMsgID, d.Version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE user_conversations SET version = $3, delete_version = $3 WHERE user_id = $1 AND conversation_id = $2`,
			userID, conversationID, d.Version); err != nil {
			return err
		}
		st.Version, st.DeleteVersion, changed = d.Version, d.Version, true
		return nil
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("postgres: delete message: %w", err)
	}
	return &st, &d, changed, nil
}

// DeletedMessages implements store.MessageDeletions.
func (s *Store) DeletedMessages(ctx context.Context, userID, conversationID string, afterVersion int64, limit int) ([]protocol.Deletion, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, client_msg_id, version FROM user_deleted_messages
		WHERE user_id = $1 AND conversation_id = $2 AND version > $3 ORDER BY version LIMIT $4`, userID, conversationID, afterVersion, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: deleted messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.Deletion, error) {
		d := protocol.Deletion{ConversationID: conversationID}
		return d, r.Scan(&d.Seq, &d.ClientMsgID, &d.Version)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: deleted messages: %w", err)
	}
	return out, nil
}

// DeletedSeqs implements store.MessageDeletions.
func (s *Store) DeletedSeqs(ctx context.Context, userID, conversationID string, fromSeq, toSeq int64) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq FROM user_deleted_messages
		WHERE user_id = $1 AND conversation_id = $2 AND seq >= $3 AND seq <= $4 ORDER BY seq`, userID, conversationID, fromSeq, toSeq)
	if err != nil {
		return nil, fmt.Errorf("postgres: deleted seqs: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: deleted seqs: %w", err)
	}
	return out, nil
}

// DeletedBy implements store.MessageDeletions.
func (s *Store) DeletedBy(ctx context.Context, conversationID string, seq int64) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT user_id FROM user_deleted_messages WHERE conversation_id = $1 AND seq = $2 ORDER BY user_id`, conversationID, seq)
	if err != nil {
		return nil, fmt.Errorf("postgres: deleted by: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: deleted by: %w", err)
	}
	return out, nil
}
