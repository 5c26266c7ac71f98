package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"

	"parley/protocol"
	"parley/server/store"
)

const msgCols = `conversation_id, seq, server_msg_id, client_msg_id, send_id, recv_id, group_id, session_type, content_type, content, send_time, create_time`

func scanMessage(row interface{ Scan(...any) error }) (protocol.Message, error) {
	var m protocol.Message
	var content []byte
	err := row.Scan(&m.ConversationID, &m.Seq, &m.ServerMsgID, &m.ClientMsgID, &m.SendID, &m.RecvID, &m.GroupID,
		&m.SessionType, &m.ContentType, &content, &m.SendTime, &m.CreateTime)
	m.Content = content
	return m, err
}

// AppendMessages implements store.Messages.
func (s *Store) AppendMessages(ctx context.Context, msgs []store.NewMessage) ([]store.AppendResult, error) {
	res := make([]store.AppendResult, len(msgs))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// A batch runs the same few statements many times: parse them once.
		q := &stmtCache{tx: tx, stmts: make(map[string]*sql.Stmt)}
		for i := range msgs {
			r, err := appendOne(ctx, q, &msgs[i])
			if err != nil {
				return err
			}
			res[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: append messages: %w", err)
	}
	return res, nil
}

func appendOne(ctx context.Context, tx querier, nm *store.NewMessage) (store.AppendResult, error) {
	orig, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE send_id = ? AND client_msg_id = ?`,
		nm.SendID, nm.ClientMsgID))
	if err == nil {
		return store.AppendResult{Message: orig, Duplicate: true}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return store.AppendResult{}, err
	}

	m := nm.Message()
	var recipients []string
	if nm.GroupID != "" {
		recipients, err = groupMemberIDs(ctx, tx, nm.GroupID)
		if err != nil {
			return store.AppendResult{}, err
		}
		if !slices.Contains(recipients, nm.SendID) {
			return store.AppendResult{Err: fmt.Errorf("sqlite: group %q: %w", nm.GroupID, store.ErrNotMember)}, nil
		}
		if err := ensureConversation(ctx, tx, m.ConversationID, protocol.SessionGroup, nm.GroupID, nm.SendTime); err != nil {
			return store.AppendResult{}, err
		}
	} else {
		recipients = []string{nm.SendID}
		if nm.RecvID != nm.SendID {
			recipients = append(recipients, nm.RecvID)
		}
		if err := ensureConversation(ctx, tx, m.ConversationID, protocol.SessionSingle, "", nm.SendTime); err != nil {
			return store.AppendResult{}, err
		}
		if err := ensureSingleState(ctx, tx, nm.SendID, nm.RecvID, m.ConversationID, nm.SendTime); err != nil {
			return store.AppendResult{}, err
		}
		if err := ensureSingleState(ctx, tx, nm.RecvID, nm.SendID, m.ConversationID, nm.SendTime); err != nil {
			return store.AppendResult{}, err
		}
	}

	// The seq is assigned here, in the transaction that stores the message.
	err = tx.QueryRowContext(ctx, `UPDATE conversations SET max_seq = max_seq + 1, update_time = ? WHERE conversation_id = ? RETURNING max_seq`,
		nm.SendTime, m.ConversationID).Scan(&m.Seq)
	if err != nil {
		return store.AppendResult{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO messages (`+msgCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ConversationID, m.Seq, m.ServerMsgID, m.ClientMsgID, m.SendID, m.RecvID, m.GroupID,
		m.SessionType, m.ContentType, []byte(m.Content), m.SendTime, m.CreateTime)
	if err != nil {
		return store.AppendResult{}, err
	}

	// Bump every member's change version and stamp their state with it;
	// the sender has read their own message.
	args := make([]any, 0, len(recipients)+4)
	for _, id := range recipients {
		args = append(args, id)
	}
	in := `(` + placeholders(len(recipients)) + `)`
	if _, err := tx.ExecContext(ctx, `UPDATE users SET change_version = change_version + 1 WHERE user_id IN `+in, args...); err != nil {
		return store.AppendResult{}, err
	}
	args = append([]any{nm.SendID, m.Seq, nm.SendTime, m.ConversationID}, args...)
	_, err = tx.ExecContext(ctx, `UPDATE user_conversations SET
			version = (SELECT change_version FROM users u WHERE u.user_id = user_conversations.user_id),
			read_seq = CASE WHEN user_id = ? THEN ? ELSE read_seq END,
			update_time = ?
		WHERE conversation_id = ? AND user_id IN `+in, args...)
	if err != nil {
		return store.AppendResult{}, err
	}
	return store.AppendResult{Message: m, Recipients: recipients}, nil
}

func groupMemberIDs(ctx context.Context, q querier, groupID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT user_id FROM group_members WHERE group_id = ?`, groupID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func ensureConversation(ctx context.Context, tx querier, convID string, st protocol.SessionType, groupID string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO conversations (conversation_id, session_type, group_id, max_seq, update_time)
		VALUES (?, ?, ?, 0, ?)`, convID, st, groupID, now)
	return err
}

func ensureSingleState(ctx context.Context, tx querier, userID, peerID, convID string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_conversations
		(user_id, conversation_id, session_type, peer_user_id, min_seq, version, update_time)
		VALUES (?, ?, ?, ?, 1, 0, ?)`, userID, convID, protocol.SessionSingle, peerID, now)
	return err
}

// Messages implements store.Messages.
func (s *Store) Messages(ctx context.Context, conversationID string, fromSeq, toSeq int64, limit int, latest bool) ([]protocol.Message, error) {
	if toSeq <= 0 {
		toSeq = math.MaxInt64
	}
	if limit <= 0 || fromSeq > toSeq {
		return nil, nil
	}
	order := "ASC"
	if latest {
		order = "DESC"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+msgCols+` FROM messages
		WHERE conversation_id = ? AND seq >= ? AND seq <= ? ORDER BY seq `+order+` LIMIT ?`,
		conversationID, fromSeq, toSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	defer rows.Close()
	var out []protocol.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	if latest {
		slices.Reverse(out)
	}
	return out, nil
}

// stmtCache is a querier that prepares each distinct query once per
// transaction; the statements are closed when the transaction ends.
type stmtCache struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		// The Row carries the same preparation error.
		return c.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}
