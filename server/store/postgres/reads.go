package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

var _ store.GroupReads = (*Store)(nil)

// NoteGroupRead implements store.GroupReads. The senders' user rows are
// changed in key order, as AppendMessages and ChangeMessage lock them, so
// that they wait for each other rather than deadlock.
func (s *Store) NoteGroupRead(ctx context.Context, conversationID, readerID string, fromSeq, toSeq int64, limit int) ([]store.SentMessage, map[string]int64, error) {
	var msgs []store.SentMessage
	var versions map[string]int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		msgs, err = sentMessages(ctx, tx, `SELECT seq, client_msg_id, send_id FROM messages
			WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND send_id <> $4 ORDER BY seq DESC LIMIT $5`,
			conversationID, fromSeq, toSeq, readerID, limit)
		if err != nil {
			return err
		}
		var ids []string
		for _, m := range msgs {
			ids = append(ids, m.SendID)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		versions = map[string]int64{}
		for _, u := range ids {
			var v int64
			err := tx.QueryRow(ctx, `WITH v AS (UPDATE users SET change_version = change_version + 1 WHERE user_id = $1
					AND EXISTS (SELECT 1 FROM user_conversations WHERE user_id = $1 AND conversation_id = $2 AND removed_seq IS NULL)
					RETURNING change_version)
				UPDATE user_conversations SET version = (SELECT change_version FROM v), receipt_version = (SELECT change_version FROM v)
				WHERE user_id = $1 AND conversation_id = $2 AND EXISTS (SELECT 1 FROM v) RETURNING version`, u, conversationID).Scan(&v)
			if errors.Is(err, pgx.ErrNoRows) {
				continue // no longer a member
			}
			if err != nil {
				return err
			}
			versions[u] = v
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: note group read: %w", err)
	}
	return msgs, versions, nil
}

// ReadPositions implements store.GroupReads, through the group's members
// and a key lookup of each one's state.
func (s *Store) ReadPositions(ctx context.Context, conversationID string) ([]store.ReadPosition, error) {
	_, groupID, _, _ := protocol.ParseConversationID(conversationID)
	rows, err := s.pool.Query(ctx, `SELECT gm.user_id, uc.read_seq, uc.read_time, gm.join_seq FROM group_members gm
		JOIN user_conversations uc ON uc.user_id = gm.user_id AND uc.conversation_id = $1
		WHERE gm.group_id = $2 AND uc.removed_seq IS NULL`, conversationID, groupID)
	if err != nil {
		return nil, fmt.Errorf("postgres: read positions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ReadPosition, error) {
		var p store.ReadPosition
		err := r.Scan(&p.UserID, &p.ReadSeq, &p.ReadTime, &p.JoinSeq)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: read positions: %w", err)
	}
	return out, nil
}

// SentMessages implements store.GroupReads.
func (s *Store) SentMessages(ctx context.Context, conversationID, userID string, fromSeq, toSeq int64, limit int) ([]store.SentMessage, error) {
	if toSeq <= 0 {
		toSeq = 1<<63 - 1
	}
	out, err := sentMessages(ctx, s.pool, `SELECT seq, client_msg_id, send_id FROM messages
		WHERE conversation_id = $1 AND seq >= $2 AND seq <= $3 AND send_id = $4 ORDER BY seq DESC LIMIT $5`,
		conversationID, fromSeq, toSeq, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: sent messages: %w", err)
	}
	return out, nil
}

// SentMessage implements store.GroupReads.
func (s *Store) SentMessage(ctx context.Context, conversationID, clientMsgID string) (*store.SentMessage, error) {
	m := store.SentMessage{ClientMsgID: clientMsgID}
	err := s.pool.QueryRow(ctx, `SELECT seq, send_id FROM messages WHERE conversation_id = $1 AND client_msg_id = $2
		ORDER BY seq LIMIT 1`, conversationID, clientMsgID).Scan(&m.Seq, &m.SendID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: sent message: %w", err)
	}
	return &m, nil
}

// sentMessages runs a query of (seq, client_msg_id, send_id) rows in
// descending seq and returns them ascending.
func sentMessages(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, query string, args ...any) ([]store.SentMessage, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SentMessage, error) {
		var m store.SentMessage
		err := r.Scan(&m.Seq, &m.ClientMsgID, &m.SendID)
		return m, err
	})
	slices.Reverse(out)
	return out, err
}
