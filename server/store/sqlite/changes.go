package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/protocol"
	"parley/server/store"
)

// ChangeMessage implements store.MessageChanges. SQLite has one writer, so
// the transaction alone serializes changes.
func (s *Store) ChangeMessage(ctx context.Context, conversationID, clientMsgID string, change func(m *protocol.Message) error) (*store.ChangedMessage, error) {
	var out *store.ChangedMessage
	var refused error // change's own error, returned as it is
	err := s.tx(ctx, func(tx *sql.Tx) error {
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
		return nil, fmt.Errorf("sqlite: change message: %w", err)
	}
	return out, nil
}

func changeMessage(ctx context.Context, tx *sql.Tx, convID, clientMsgID string, change func(m *protocol.Message) error) (*store.ChangedMessage, error) {
	old, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages
		WHERE conversation_id = ? AND client_msg_id = ? ORDER BY seq LIMIT 1`, convID, clientMsgID))
	if errors.Is(err, sql.ErrNoRows) {
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
	if err := tx.QueryRowContext(ctx, `UPDATE conversations SET message_version = message_version + 1
		WHERE conversation_id = ? RETURNING message_version`, convID).Scan(&m.Version); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET content_type = ?, content = ?, edit_time = ?, version = ?,
		is_pinned = ?, pinned_by = ?, pin_time = ?, reactions = ?
		WHERE conversation_id = ? AND seq = ?`, m.ContentType, []byte(m.Content), m.EditTime, m.Version,
		boolInt(m.IsPinned), m.PinnedBy, m.PinTime, store.EncodeReactions(m.Reactions), convID, m.Seq); err != nil {
		return nil, err
	}
	// Every member's sync reports the conversation again: its
	// MessageVersion moved. A removed member's state is left alone (no
	// content reaches them any more).
	rows, err := tx.QueryContext(ctx, `UPDATE users SET change_version = change_version + 1
		WHERE user_id IN (SELECT user_id FROM user_conversations WHERE conversation_id = ? AND removed_seq IS NULL)
		RETURNING user_id`, convID)
	if err != nil {
		return nil, err
	}
	var users []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		users = append(users, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE user_conversations
		SET version = (SELECT change_version FROM users WHERE users.user_id = user_conversations.user_id)
		WHERE conversation_id = ? AND removed_seq IS NULL`, convID); err != nil {
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
	rows, err := s.r.QueryContext(ctx, `SELECT `+msgCols+` FROM messages
		WHERE conversation_id = ? AND version > ? AND version > 0 AND seq >= ? ORDER BY version LIMIT ?`,
		conversationID, afterVersion, minSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changed messages: %w", err)
	}
	defer rows.Close()
	var out []protocol.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: changed messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: changed messages: %w", err)
	}
	return out, nil
}

// PinnedMessages implements store.MessageChanges, through the partial
// index of pinned messages.
func (s *Store) PinnedMessages(ctx context.Context, conversationID string, minSeq int64, limit int) ([]protocol.Message, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+msgCols+` FROM messages
		WHERE conversation_id = ? AND is_pinned = 1 AND seq >= ? ORDER BY seq LIMIT ?`, conversationID, minSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pinned messages: %w", err)
	}
	defer rows.Close()
	var out []protocol.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: pinned messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: pinned messages: %w", err)
	}
	return out, nil
}
