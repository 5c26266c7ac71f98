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

// AppendMessages implements store.Messages. The batch is one write
// transaction, and its statements are per conversation rather than per
// message wherever the outcome is the same: each conversation of the batch
// has its seq counter moved once (by the number of its new messages, the
// seqs then handed out in batch order), its members' change versions bumped
// once and their states stamped once. A conversation this Store has already
// seen created skips the statements that create it (see knownConvs). Every
// statement is prepared once per Store, not per transaction.
func (s *Store) AppendMessages(ctx context.Context, msgs []store.NewMessage) ([]store.AppendResult, error) {
	var res []store.AppendResult
	var created []string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, created, err = s.appendBatch(ctx, tx, msgs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: append messages: %w", err)
	}
	// Only once committed: a rolled-back batch created nothing.
	s.known.add(created)
	return res, nil
}

// convBatch is one conversation's share of a batch.
type convBatch struct {
	id      string
	groupID string   // "" for one-to-one
	users   []string // one-to-one: sender and receiver (the same one for a self conversation)
	msgs    []int    // indexes into the batch, in order
	// lastRead is each sender's highest new seq: their read seq.
	lastRead map[string]int64
}

func (s *Store) appendBatch(ctx context.Context, tx *sql.Tx, msgs []store.NewMessage) ([]store.AppendResult, []string, error) {
	q := s.stmts.in(ctx, tx)
	res := make([]store.AppendResult, len(msgs))
	dupOf := make(map[int]int) // later copies of a clientMsgID in this batch: index of the first
	first := make(map[msgKey]int, len(msgs))
	members := map[string][]string{}
	var convs []*convBatch
	byConv := map[string]*convBatch{}
	var created []string

	for i := range msgs {
		nm := &msgs[i]
		key := msgKey{nm.SendID, nm.ClientMsgID}
		if j, ok := first[key]; ok {
			dupOf[i] = j
			continue
		}
		orig, err := scanMessage(q.get(stmtDup).QueryRowContext(ctx, nm.SendID, nm.ClientMsgID))
		if err == nil {
			res[i] = store.AppendResult{Message: orig, Duplicate: true}
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, err
		}
		m := nm.Message()
		if nm.GroupID != "" {
			ids, ok := members[nm.GroupID]
			if !ok {
				if ids, err = memberIDs(ctx, q.get(stmtMembers), nm.GroupID); err != nil {
					return nil, nil, err
				}
				members[nm.GroupID] = ids
			}
			if !slices.Contains(ids, nm.SendID) {
				res[i] = store.AppendResult{Err: fmt.Errorf("sqlite: group %q: %w", nm.GroupID, store.ErrNotMember)}
				continue
			}
		}
		first[key] = i
		cb := byConv[m.ConversationID]
		if cb == nil {
			cb = &convBatch{id: m.ConversationID, groupID: nm.GroupID, lastRead: map[string]int64{}}
			if nm.GroupID == "" {
				cb.users = []string{nm.SendID, nm.RecvID}
			}
			byConv[m.ConversationID] = cb
			convs = append(convs, cb)
			if !s.known.has(cb.id) {
				if err := ensureConv(ctx, q, &m, nm); err != nil {
					return nil, nil, err
				}
				created = append(created, cb.id)
			}
		}
		cb.msgs = append(cb.msgs, i)
		res[i] = store.AppendResult{Message: m}
	}

	for _, cb := range convs {
		// The seqs are assigned here, in the transaction that stores the
		// messages.
		last := &res[cb.msgs[len(cb.msgs)-1]].Message
		var maxSeq int64
		if err := q.get(stmtBumpSeq).QueryRowContext(ctx, len(cb.msgs), last.SendTime, cb.id).Scan(&maxSeq); err != nil {
			return nil, nil, err
		}
		var recipients []string
		if cb.groupID != "" {
			recipients = members[cb.groupID]
		} else {
			recipients = []string{cb.users[0]}
			if cb.users[1] != cb.users[0] {
				recipients = append(recipients, cb.users[1])
			}
		}
		seq := maxSeq - int64(len(cb.msgs))
		for _, i := range cb.msgs {
			seq++
			m := &res[i].Message
			m.Seq = seq
			res[i].Recipients = slices.Clone(recipients)
			cb.lastRead[m.SendID] = seq
			_, err := q.get(stmtInsert).ExecContext(ctx, m.ConversationID, m.Seq, m.ServerMsgID, m.ClientMsgID, m.SendID, m.RecvID, m.GroupID,
				m.SessionType, m.ContentType, []byte(m.Content), m.SendTime, m.CreateTime)
			if err != nil {
				return nil, nil, err
			}
		}
		if err := stampMembers(ctx, q, cb, last.SendTime); err != nil {
			return nil, nil, err
		}
	}
	for i, j := range dupOf {
		res[i] = store.AppendResult{Message: res[j].Message, Duplicate: true}
	}
	return res, created, nil
}

// msgKey is the idempotency key of a message.
type msgKey struct{ sendID, clientMsgID string }

// ensureConv creates nm's conversation and, for a one-to-one one, both
// users' states, where missing.
func ensureConv(ctx context.Context, q *txStmts, m *protocol.Message, nm *store.NewMessage) error {
	if _, err := q.get(stmtEnsureConv).ExecContext(ctx, m.ConversationID, m.SessionType, nm.GroupID, nm.SendTime); err != nil {
		return err
	}
	if nm.GroupID != "" {
		return nil
	}
	if _, err := q.get(stmtEnsureState).ExecContext(ctx, nm.SendID, m.ConversationID, protocol.SessionSingle, nm.RecvID, nm.SendTime); err != nil {
		return err
	}
	_, err := q.get(stmtEnsureState).ExecContext(ctx, nm.RecvID, m.ConversationID, protocol.SessionSingle, nm.SendID, nm.SendTime)
	return err
}

// stampMembers bumps the change version of every member of cb's
// conversation once and stamps their state with it; each sender's read
// seq moves to their last new message.
func stampMembers(ctx context.Context, q *txStmts, cb *convBatch, now int64) error {
	// Two senders go in the one statement (all a one-to-one conversation
	// can have); a group's further senders get a statement each.
	senders := make([]string, 0, len(cb.lastRead))
	for u := range cb.lastRead {
		senders = append(senders, u)
	}
	slices.Sort(senders)
	s0, s1 := senders[0], senders[0]
	if len(senders) > 1 {
		s1 = senders[1]
	}
	if cb.groupID == "" {
		if _, err := q.get(stmtBumpUsers).ExecContext(ctx, cb.users[0], cb.users[1]); err != nil {
			return err
		}
		_, err := q.get(stmtStampSingle).ExecContext(ctx, s0, cb.lastRead[s0], s1, cb.lastRead[s1], now, cb.id, cb.users[0], cb.users[1])
		if err != nil {
			return err
		}
	} else {
		if _, err := q.get(stmtBumpGroup).ExecContext(ctx, cb.groupID); err != nil {
			return err
		}
		_, err := q.get(stmtStampGroup).ExecContext(ctx, s0, cb.lastRead[s0], s1, cb.lastRead[s1], now, cb.id, cb.groupID)
		if err != nil {
			return err
		}
	}
	for _, u := range senders[min(2, len(senders)):] {
		if _, err := q.get(stmtSetRead).ExecContext(ctx, cb.lastRead[u], u, cb.id); err != nil {
			return err
		}
	}
	return nil
}

// memberIDs runs stmtMembers: the group's members.
func memberIDs(ctx context.Context, st *sql.Stmt, groupID string) ([]string, error) {
	rows, err := st.QueryContext(ctx, groupID)
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
