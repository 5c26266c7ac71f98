package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

const msgCols = `conversation_id, seq, server_msg_id, client_msg_id, send_id, recv_id, group_id, session_type, content_type, content, send_time, create_time`

func scanMessage(row pgx.Row) (protocol.Message, error) {
	var m protocol.Message
	var content []byte
	var st string
	err := row.Scan(&m.ConversationID, &m.Seq, &m.ServerMsgID, &m.ClientMsgID, &m.SendID, &m.RecvID, &m.GroupID,
		&st, &m.ContentType, &content, &m.SendTime, &m.CreateTime)
	m.SessionType = protocol.SessionType(st)
	m.Content = content
	return m, err
}

// AppendMessages implements store.Messages. The whole batch is one
// transaction, which first locks every conversation and then every user it
// touches, each in key order; a batch on another node touching the same
// rows waits for this one to commit, so seqs and versions stay dense and
// ordered across nodes.
func (s *Store) AppendMessages(ctx context.Context, msgs []store.NewMessage) ([]store.AppendResult, error) {
	var res []store.AppendResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		res = make([]store.AppendResult, len(msgs))
		if err := lockBatch(ctx, tx, msgs); err != nil {
			return err
		}
		for i := range msgs {
			r, err := appendOne(ctx, tx, &msgs[i])
			if err != nil {
				return err
			}
			res[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: append messages: %w", err)
	}
	return res, nil
}

// lockBatch creates the missing one-to-one conversations of msgs and locks
// the rows the batch will update: conversations, then users (senders,
// receivers and the members of its groups), each in key order. Every
// writer takes conversations before users, so they cannot deadlock.
func lockBatch(ctx context.Context, tx pgx.Tx, msgs []store.NewMessage) error {
	var singles, convs, userIDs, groupIDs []string
	for i := range msgs {
		nm := &msgs[i]
		userIDs = append(userIDs, nm.SendID)
		if nm.GroupID != "" {
			groupIDs = append(groupIDs, nm.GroupID)
			convs = append(convs, protocol.GroupConversationID(nm.GroupID))
		} else {
			id := protocol.SingleConversationID(nm.SendID, nm.RecvID)
			singles = append(singles, id)
			convs = append(convs, id)
			userIDs = append(userIDs, nm.RecvID)
		}
	}
	if len(singles) > 0 {
		now := msgs[0].SendTime
		_, err := tx.Exec(ctx, `INSERT INTO conversations (conversation_id, session_type, group_id, max_seq, update_time)
			SELECT id, $2, '', 0, $3 FROM unnest($1::text[]) AS id ORDER BY id
			ON CONFLICT (conversation_id) DO NOTHING`, dedup(singles), protocol.SessionSingle, now)
		if err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM conversations WHERE conversation_id = ANY($1)
		ORDER BY conversation_id FOR UPDATE`, dedup(convs)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT 1 FROM users
		WHERE user_id = ANY($1) OR user_id IN (SELECT user_id FROM group_members WHERE group_id = ANY($2))
		ORDER BY user_id FOR UPDATE`, dedup(userIDs), dedup(groupIDs))
	return err
}

// dedup returns ids sorted and without repeats; never nil, so that it
// binds as an empty array rather than NULL.
func dedup(ids []string) []string {
	out := slices.Compact(slices.Sorted(slices.Values(ids)))
	if out == nil {
		out = []string{}
	}
	return out
}

func appendOne(ctx context.Context, tx pgx.Tx, nm *store.NewMessage) (store.AppendResult, error) {
	orig, err := scanMessage(tx.QueryRow(ctx, `SELECT `+msgCols+` FROM messages WHERE send_id = $1 AND client_msg_id = $2`,
		nm.SendID, nm.ClientMsgID))
	if err == nil {
		return store.AppendResult{Message: orig, Duplicate: true}, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.AppendResult{}, err
	}

	m := protocol.Message{
		ClientMsgID: nm.ClientMsgID,
		ServerMsgID: nm.ServerMsgID,
		SendID:      nm.SendID,
		RecvID:      nm.RecvID,
		GroupID:     nm.GroupID,
		ContentType: nm.ContentType,
		Content:     nm.Content,
		SendTime:    nm.SendTime,
		CreateTime:  nm.CreateTime,
	}
	var recipients []string
	if nm.GroupID != "" {
		m.SessionType = protocol.SessionGroup
		m.ConversationID = protocol.GroupConversationID(nm.GroupID)
		recipients, err = groupMemberIDs(ctx, tx, nm.GroupID)
		if err != nil {
			return store.AppendResult{}, err
		}
		if !slices.Contains(recipients, nm.SendID) {
			return store.AppendResult{Err: fmt.Errorf("postgres: group %q: %w", nm.GroupID, store.ErrNotMember)}, nil
		}
	} else {
		m.SessionType = protocol.SessionSingle
		m.ConversationID = protocol.SingleConversationID(nm.SendID, nm.RecvID)
		recipients = []string{nm.SendID}
		if nm.RecvID != nm.SendID {
			recipients = append(recipients, nm.RecvID)
		}
		// lockBatch created the conversation; each side gets its state.
		_, err := tx.Exec(ctx, `INSERT INTO user_conversations
			(user_id, conversation_id, session_type, peer_user_id, min_seq, version, update_time)
			SELECT u, $3, $4, p, 1, 0, $5 FROM unnest($1::text[], $2::text[]) AS t(u, p)
			ON CONFLICT (user_id, conversation_id) DO NOTHING`,
			recipients, []string{nm.RecvID, nm.SendID}[:len(recipients)], m.ConversationID, protocol.SessionSingle, nm.SendTime)
		if err != nil {
			return store.AppendResult{}, err
		}
	}

	// The seq is assigned here, in the transaction that stores the
	// message; the conversation row is locked until it commits.
	err = tx.QueryRow(ctx, `WITH c AS (
			UPDATE conversations SET max_seq = max_seq + 1, update_time = $2 WHERE conversation_id = $1 RETURNING max_seq)
		INSERT INTO messages (`+msgCols+`)
		SELECT $1::text, c.max_seq, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::bytea, $2::bigint, $11::bigint FROM c
		RETURNING seq`,
		m.ConversationID, m.SendTime, m.ServerMsgID, m.ClientMsgID, m.SendID, m.RecvID, m.GroupID,
		string(m.SessionType), m.ContentType, []byte(m.Content), m.CreateTime).Scan(&m.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AppendResult{}, fmt.Errorf("conversation %q has no row", m.ConversationID)
	}
	if err != nil {
		return store.AppendResult{}, err
	}

	// Bump every member's change version and stamp their state with it;
	// the sender has read their own message.
	_, err = tx.Exec(ctx, `WITH v AS (
			UPDATE users SET change_version = change_version + 1 WHERE user_id = ANY($1) RETURNING user_id, change_version)
		UPDATE user_conversations uc SET
			version = v.change_version,
			read_seq = CASE WHEN uc.user_id = $2 THEN $3 ELSE uc.read_seq END,
			update_time = $4
		FROM v WHERE uc.user_id = v.user_id AND uc.conversation_id = $5`,
		recipients, nm.SendID, m.Seq, nm.SendTime, m.ConversationID)
	if err != nil {
		return store.AppendResult{}, err
	}
	return store.AppendResult{Message: m, Recipients: recipients}, nil
}

func groupMemberIDs(ctx context.Context, q querier, groupID string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT user_id FROM group_members WHERE group_id = $1`, groupID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Messages implements store.Messages.
func (s *Store) Messages(ctx context.Context, conversationID string, fromSeq, toSeq int64, limit int, latest bool) ([]protocol.Message, error) {
	if toSeq <= 0 {
		toSeq = math.MaxInt64
	}
	if limit <= 0 || fromSeq > toSeq {
		return nil, nil
	}
	query := `SELECT ` + msgCols + ` FROM messages
		WHERE conversation_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq ASC LIMIT $4`
	if latest {
		query = `SELECT ` + msgCols + ` FROM messages
		WHERE conversation_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq DESC LIMIT $4`
	}
	rows, err := s.pool.Query(ctx, query, conversationID, fromSeq, toSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: messages: %w", err)
	}
	if latest {
		slices.Reverse(out)
	}
	return out, nil
}
