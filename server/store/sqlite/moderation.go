package sqlite

import (
	"context"
	"fmt"
	"strings"

	"parley/protocol"
	"parley/server/store"
)

var _ store.Moderation = (*Store)(nil)

// ListUsersForAdmin implements store.Moderation.
func (s *Store) ListUsersForAdmin(ctx context.Context, keyword string, offset, limit int) ([]*store.User, int, error) {
	where := `1`
	var args []any
	if keyword != "" {
		where = `(lower(user_id) LIKE ? ESCAPE '\' OR COALESCE(username_lower, '') LIKE ? ESCAPE '\' OR lower(nickname) LIKE ? ESCAPE '\')`
		args = []any{store.LikePattern(keyword, true), store.LikePattern(keyword, true), store.LikePattern(keyword, false)}
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: search users: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where+` ORDER BY user_id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: search users: %w", err)
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: search users: %w", err)
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// SearchConversations implements store.Moderation.
func (s *Store) SearchConversations(ctx context.Context, keyword string, offset, limit int) ([]store.ConversationInfo, int, error) {
	where := `1`
	var args []any
	if keyword != "" {
		where = `lower(conversation_id) LIKE ? ESCAPE '\'`
		args = []any{store.LikePattern(keyword, false)}
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: search conversations: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT conversation_id, session_type, group_id, max_seq, update_time FROM conversations
		WHERE `+where+` ORDER BY update_time DESC, conversation_id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: search conversations: %w", err)
	}
	defer rows.Close()
	var out []store.ConversationInfo
	for rows.Next() {
		var c store.ConversationInfo
		var st string
		if err := rows.Scan(&c.ConversationID, &st, &c.GroupID, &c.MaxSeq, &c.UpdateTime); err != nil {
			return nil, 0, fmt.Errorf("sqlite: search conversations: %w", err)
		}
		c.SessionType = protocol.SessionType(st)
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// SearchMessages implements store.Moderation.
func (s *Store) SearchMessages(ctx context.Context, q store.MessageQuery) ([]protocol.Message, int, error) {
	var conds []string
	var args []any
	if q.ConversationID != "" {
		conds, args = append(conds, `conversation_id = ?`), append(args, q.ConversationID)
	}
	if q.SendID != "" {
		conds, args = append(conds, `send_id = ?`), append(args, q.SendID)
	}
	if q.Keyword != "" {
		conds, args = append(conds, `lower(CAST(content AS TEXT)) LIKE ? ESCAPE '\'`), append(args, store.LikePattern(q.Keyword, false))
	}
	where := `1`
	if len(conds) > 0 {
		where = strings.Join(conds, ` AND `)
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: search messages: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+msgCols+` FROM messages WHERE `+where+`
		ORDER BY send_time DESC, conversation_id DESC, seq DESC LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: search messages: %w", err)
	}
	defer rows.Close()
	var out []protocol.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: search messages: %w", err)
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}
