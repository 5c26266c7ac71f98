package postgres

import (
	"context"
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
// transaction in two round trips (pipelined with pgx.Batch). The first
// locks every conversation and then every user the batch touches, each in
// key order, and reads the conversations' seq counters, the earlier copies
// of the batch's clientMsgIDs and the groups' members. The rows stay locked
// until the commit, so a batch on another node touching them waits, and
// the seqs and versions handed out here are the next ones. The second
// round trip writes everything.
func (s *Store) AppendMessages(ctx context.Context, msgs []store.NewMessage) ([]store.AppendResult, error) {
	var res []store.AppendResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = appendBatch(ctx, tx, msgs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: append messages: %w", err)
	}
	return res, nil
}

// msgKey is the idempotency key of a message.
type msgKey struct{ sendID, clientMsgID string }

func appendBatch(ctx context.Context, tx pgx.Tx, msgs []store.NewMessage) ([]store.AppendResult, error) {
	var singles, convs, userIDs, groupIDs, sendIDs, clientIDs []string
	for i := range msgs {
		nm := &msgs[i]
		userIDs = append(userIDs, nm.SendID)
		sendIDs = append(sendIDs, nm.SendID)
		clientIDs = append(clientIDs, nm.ClientMsgID)
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

	// Round trip 1: create, lock and read. Statements of a pipeline run in
	// order, so the reads see what the locks protect.
	maxSeq := map[string]int64{}
	stored := map[msgKey]protocol.Message{}
	members := map[string][]string{}
	b := &pgx.Batch{}
	if len(singles) > 0 {
		b.Queue(`INSERT INTO conversations (conversation_id, session_type, group_id, max_seq, update_time)
			SELECT id, $2, '', 0, $3 FROM unnest($1::text[]) AS id ORDER BY id
			ON CONFLICT (conversation_id) DO NOTHING`, dedup(singles), string(protocol.SessionSingle), msgs[0].SendTime)
	}
	b.Queue(`SELECT conversation_id, max_seq FROM conversations WHERE conversation_id = ANY($1)
		ORDER BY conversation_id FOR UPDATE`, dedup(convs)).Query(func(rows pgx.Rows) error {
		var id string
		var seq int64
		_, err := pgx.ForEachRow(rows, []any{&id, &seq}, func() error { maxSeq[id] = seq; return nil })
		return err
	})
	b.Queue(`SELECT 1 FROM users
		WHERE user_id = ANY($1) OR user_id IN (SELECT user_id FROM group_members WHERE group_id = ANY($2))
		ORDER BY user_id FOR UPDATE`, dedup(userIDs), dedup(groupIDs))
	b.Queue(`SELECT `+msgCols+` FROM messages
		WHERE (send_id, client_msg_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, sendIDs, clientIDs).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				m, err := scanMessage(rows)
				if err != nil {
					return err
				}
				stored[msgKey{m.SendID, m.ClientMsgID}] = m
			}
			return rows.Err()
		})
	if len(groupIDs) > 0 {
		b.Queue(`SELECT group_id, user_id FROM group_members WHERE group_id = ANY($1)`, dedup(groupIDs)).
			Query(func(rows pgx.Rows) error {
				var g, u string
				_, err := pgx.ForEachRow(rows, []any{&g, &u}, func() error { members[g] = append(members[g], u); return nil })
				return err
			})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}

	// Decide each message in order, as the SQLite store does one by one.
	res := make([]store.AppendResult, len(msgs))
	w := &pgx.Batch{}
	lastTime := map[string]int64{}
	for i := range msgs {
		nm := &msgs[i]
		key := msgKey{nm.SendID, nm.ClientMsgID}
		if orig, ok := stored[key]; ok {
			res[i] = store.AppendResult{Message: orig, Duplicate: true}
			continue
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
			recipients = members[nm.GroupID]
			if !slices.Contains(recipients, nm.SendID) {
				res[i] = store.AppendResult{Err: fmt.Errorf("postgres: group %q: %w", nm.GroupID, store.ErrNotMember)}
				continue
			}
			recipients = slices.Clone(recipients)
		} else {
			m.SessionType = protocol.SessionSingle
			m.ConversationID = protocol.SingleConversationID(nm.SendID, nm.RecvID)
			recipients = []string{nm.SendID}
			if nm.RecvID != nm.SendID {
				recipients = append(recipients, nm.RecvID)
			}
			// Each side gets its state on the first message.
			w.Queue(`INSERT INTO user_conversations
				(user_id, conversation_id, session_type, peer_user_id, min_seq, version, update_time)
				SELECT u, $3, $4, p, 1, 0, $5 FROM unnest($1::text[], $2::text[]) AS t(u, p)
				ON CONFLICT (user_id, conversation_id) DO NOTHING`,
				recipients, []string{nm.RecvID, nm.SendID}[:len(recipients)], m.ConversationID, string(protocol.SessionSingle), nm.SendTime)
		}
		cur, ok := maxSeq[m.ConversationID]
		if !ok {
			return nil, fmt.Errorf("conversation %q has no row", m.ConversationID)
		}
		// The seq is assigned here, under the conversation's row lock, and
		// stored in the same transaction.
		m.Seq = cur + 1
		maxSeq[m.ConversationID] = m.Seq
		lastTime[m.ConversationID] = m.SendTime
		w.Queue(`INSERT INTO messages (`+msgCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			m.ConversationID, m.Seq, m.ServerMsgID, m.ClientMsgID, m.SendID, m.RecvID, m.GroupID,
			string(m.SessionType), m.ContentType, []byte(m.Content), m.SendTime, m.CreateTime)
		// Bump every member's change version and stamp their state with
		// it; the sender has read their own message.
		w.Queue(`WITH v AS (
				UPDATE users SET change_version = change_version + 1 WHERE user_id = ANY($1) RETURNING user_id, change_version)
			UPDATE user_conversations uc SET
				version = v.change_version,
				read_seq = CASE WHEN uc.user_id = $2 THEN $3 ELSE uc.read_seq END,
				update_time = $4
			FROM v WHERE uc.user_id = v.user_id AND uc.conversation_id = $5`,
			recipients, nm.SendID, m.Seq, nm.SendTime, m.ConversationID)
		stored[key] = m
		res[i] = store.AppendResult{Message: m, Recipients: recipients}
	}
	for conv, t := range lastTime {
		w.Queue(`UPDATE conversations SET max_seq = $2, update_time = $3 WHERE conversation_id = $1`, conv, maxSeq[conv], t)
	}
	if w.Len() > 0 {
		if err := tx.SendBatch(ctx, w).Close(); err != nil {
			return nil, err
		}
	}
	return res, nil
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
