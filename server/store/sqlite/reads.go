package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"parley/protocol"
	"parley/server/store"
)

var _ store.GroupReads = (*Store)(nil)

// NoteGroupRead implements store.GroupReads.
func (s *Store) NoteGroupRead(ctx context.Context, conversationID, readerID string, fromSeq, toSeq int64, limit int) ([]store.SentMessage, map[string]int64, error) {
	var msgs []store.SentMessage
	var versions map[string]int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		msgs, err = sentMessages(ctx, tx, `SELECT seq, client_msg_id, send_id FROM messages
			WHERE conversation_id = ? AND seq > ? AND seq <= ? AND send_id <> ? ORDER BY seq DESC LIMIT ?`,
			conversationID, fromSeq, toSeq, readerID, limit)
		if err != nil {
			return err
		}
		versions = map[string]int64{}
		for _, u := range senders(msgs) {
			var v int64
			err := tx.QueryRowContext(ctx, `UPDATE users SET change_version = change_version + 1 WHERE user_id = ?
				AND EXISTS (SELECT 1 FROM user_conversations WHERE user_id = ? AND conversation_id = ? AND removed_seq IS NULL)
				RETURNING change_version`, u, u, conversationID).Scan(&v)
			if errors.Is(err, sql.ErrNoRows) {
				continue // no longer a member
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE user_conversations SET version = ?, receipt_version = ?
				WHERE user_id = ? AND conversation_id = ?`, v, v, u, conversationID); err != nil {
				return err
			}
			versions[u] = v
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: note group read: %w", err)
	}
	return msgs, versions, nil
}

// ReadPositions implements store.GroupReads, through the group's members
// (group_members' key) and a key lookup of each one's state.
func (s *Store) ReadPositions(ctx context.Context, conversationID string) ([]store.ReadPosition, error) {
	_, groupID, _, _ := protocol.ParseConversationID(conversationID)
	rows, err := s.r.QueryContext(ctx, `SELECT gm.user_id, uc.read_seq, uc.read_time, gm.join_seq FROM group_members gm
		JOIN user_conversations uc ON uc.user_id = gm.user_id AND uc.conversation_id = ?
		WHERE gm.group_id = ? AND uc.removed_seq IS NULL`, conversationID, groupID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read positions: %w", err)
	}
	defer rows.Close()
	var out []store.ReadPosition
	for rows.Next() {
		var p store.ReadPosition
		if err := rows.Scan(&p.UserID, &p.ReadSeq, &p.ReadTime, &p.JoinSeq); err != nil {
			return nil, fmt.Errorf("sqlite: read positions: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read positions: %w", err)
	}
	return out, nil
}

// SentMessages implements store.GroupReads.
func (s *Store) SentMessages(ctx context.Context, conversationID, userID string, fromSeq, toSeq int64, limit int) ([]store.SentMessage, error) {
	if toSeq <= 0 {
		toSeq = 1<<63 - 1
	}
	out, err := sentMessages(ctx, s.r, `SELECT seq, client_msg_id, send_id FROM messages
		WHERE conversation_id = ? AND seq >= ? AND seq <= ? AND send_id = ? ORDER BY seq DESC LIMIT ?`,
		conversationID, fromSeq, toSeq, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sent messages: %w", err)
	}
	return out, nil
}

// SentMessage implements store.GroupReads.
func (s *Store) SentMessage(ctx context.Context, conversationID, clientMsgID string) (*store.SentMessage, error) {
	m := store.SentMessage{ClientMsgID: clientMsgID}
	err := s.r.QueryRowContext(ctx, `SELECT seq, send_id FROM messages WHERE conversation_id = ? AND client_msg_id = ?
		ORDER BY seq LIMIT 1`, conversationID, clientMsgID).Scan(&m.Seq, &m.SendID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: sent message: %w", err)
	}
	return &m, nil
}

// sentMessages runs a query of (seq, client_msg_id, send_id) rows in
// descending seq and returns them ascending.
func sentMessages(ctx context.Context, q querier, query string, args ...any) ([]store.SentMessage, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SentMessage
	for rows.Next() {
		var m store.SentMessage
		if err := rows.Scan(&m.Seq, &m.ClientMsgID, &m.SendID); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.Reverse(out)
	return out, rows.Err()
}

// senders are the distinct senders of msgs, sorted.
func senders(msgs []store.SentMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.SendID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
