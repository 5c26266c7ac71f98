package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

// ChangeMessage implements store.MessageChanges. The conversation's row is
// locked first (as AppendMessages locks it), then the members' user rows in
// key order, so that changes and sends on any node wait for each other
// rather than deadlock.
func (s *Store) ChangeMessage(ctx context.Context, conversationID, clientMsgID string, change func(m *protocol.Message) error) (*store.ChangedMessage, error) {
	var out *store.ChangedMessage
	var refused error // change's own error, returned as it is
	err := s.tx(ctx, func(tx pgx.Tx) error {
		refused = nil
		var err error
		out, err = changeMessage(ctx, tx, conversationID, clientMsgID, func(m *protocol.Message) error {
			refused = change(m)
			return refused
		})
		return err
	})
	if refused != nil {
		return nil, refused
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: change message: %w", err)
	}
	return out, nil
}

func changeMessage(ctx context.Context, tx pgx.Tx, convID, clientMsgID string, change func(m *protocol.Message) error) (*store.ChangedMessage, error) {
	var version int64
	err := tx.QueryRow(ctx, `SELECT message_version FROM conversations WHERE conversation_id = $1 FOR UPDATE`, convID).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	old, err := scanMessage(tx.QueryRow(ctx, `SELECT `+msgCols+` FROM messages
		WHERE conversation_id = $1 AND client_msg_id = $2 ORDER BY seq LIMIT 1`, convID, clientMsgID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m := old
	if err := change(&m); err != nil {
		return nil, err
	}
	// Only these may change; the rest of the message is as stored.
	ct, content, editTime := m.ContentType, m.Content, m.EditTime
	pinned, pinnedBy, pinTime, reactions := m.IsPinned, m.PinnedBy, m.PinTime, m.Reactions
	m = old
	m.ContentType, m.Content, m.EditTime = ct, content, editTime
	m.IsPinned, m.PinnedBy, m.PinTime, m.Reactions = pinned, pinnedBy, pinTime, reactions
	m.Version = version + 1
	if _, err := tx.Exec(ctx, `UPDATE conversations SET message_version = $2 WHERE conversation_id = $1`, convID, m.Version); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE messages SET content_type = $3, content = $4, edit_time = $5, version = $6,
		is_pinned = $7, pinned_by = $8, pin_time = $9, reactions = $10
		WHERE conversation_id = $1 AND seq = $2`, convID, m.Seq, m.ContentType, []byte(m.Content), m.EditTime, m.Version,
		m.IsPinned, m.PinnedBy, m.PinTime, store.EncodeReactions(m.Reactions)); err != nil {
		return nil, err
	}
	// Every member's sync reports the conversation again: its
	// MessageVersion moved. A removed member's state is left alone.
	rows, err := tx.Query(ctx, `SELECT u.user_id FROM users u
		JOIN user_conversations uc ON uc.user_id = u.user_id AND uc.conversation_id = $1 AND uc.removed_seq IS NULL
		ORDER BY u.user_id FOR UPDATE OF u`, convID)
	if err != nil {
		return nil, err
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `WITH bumped AS (
			UPDATE users SET change_version = change_version + 1 WHERE user_id = ANY($2) RETURNING user_id, change_version)
		UPDATE user_conversations uc SET version = b.change_version FROM bumped b
		WHERE uc.user_id = b.user_id AND uc.conversation_id = $1`, convID, users); err != nil {
		return nil, err
	}
	return &store.ChangedMessage{Message: m, Recipients: users}, nil
}

// ChangedMessages implements store.MessageChanges, through the partial
// (conversation_id, version) index of changed messages.
func (s *Store) ChangedMessages(ctx context.Context, conversationID string, afterVersion, minSeq int64, limit int) ([]protocol.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+msgCols+` FROM messages
		WHERE conversation_id = $1 AND version > $2 AND version > 0 AND seq >= $3 ORDER BY version LIMIT $4`,
		conversationID, afterVersion, minSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: changed messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: changed messages: %w", err)
	}
	return out, nil
}

// PinnedMessages implements store.MessageChanges, through the partial
// index of pinned messages.
func (s *Store) PinnedMessages(ctx context.Context, conversationID string, minSeq int64, limit int) ([]protocol.Message, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+msgCols+` FROM messages
		WHERE conversation_id = $1 AND is_pinned AND seq >= $2 ORDER BY seq LIMIT $3`, conversationID, minSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: pinned messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: pinned messages: %w", err)
	}
	return out, nil
}
