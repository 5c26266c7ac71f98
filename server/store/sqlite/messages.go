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

// msgInsertCols are the columns a new message is inserted with; msgCols
// those a message is read with (a new one has version and edit time 0).
const msgInsertCols = `conversation_id, seq, server_msg_id, client_msg_id, send_id, recv_id, group_id, session_type, content_type, content, send_time, create_time`

const msgCols = msgInsertCols + `, version, edit_time, is_pinned, pinned_by, pin_time, reactions`

func scanMessage(row interface{ Scan(...any) error }) (protocol.Message, error) {
	var m protocol.Message
	var content []byte
	var reactions string
	var pinned int
	err := row.Scan(&m.ConversationID, &m.Seq, &m.ServerMsgID, &m.ClientMsgID, &m.SendID, &m.RecvID, &m.GroupID,
		&m.SessionType, &m.ContentType, &content, &m.SendTime, &m.CreateTime, &m.Version, &m.EditTime, &pinned, &m.PinnedBy, &m.PinTime, &reactions)
	m.Content = content
	if err == nil {
		m.Reactions, err = store.DecodeReactions(reactions)
	}
	m.IsPinned = pinned != 0
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

	stored, err := storedMessages(ctx, q, msgs)
	if err != nil {
		return nil, nil, err
	}
	for i := range msgs {
		nm := &msgs[i]
		key := msgKey{nm.SendID, nm.ClientMsgID}
		if j, ok := first[key]; ok {
			dupOf[i] = j
			continue
		}
		if orig, ok := stored[key]; ok {
			res[i] = store.AppendResult{Message: orig, Duplicate: true}
			continue
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

	if len(convs) == 0 {
		for i, j := range dupOf {
			res[i] = store.AppendResult{Message: res[j].Message, Duplicate: true}
		}
		return res, created, nil
	}
	// The seqs are assigned here, in the transaction that stores the
	// messages: each conversation's counter moves by its number of new
	// messages.
	maxSeq, err := bumpSeqs(ctx, q, convs, res)
	if err != nil {
		return nil, nil, err
	}
	var newMsgs []*protocol.Message // in conversation and seq order
	for _, cb := range convs {
		if cb.groupID != "" {
			cb.users = members[cb.groupID]
		} else if cb.users[1] == cb.users[0] {
			cb.users = cb.users[:1]
		}
		seq, ok := maxSeq[cb.id]
		if !ok {
			return nil, nil, fmt.Errorf("conversation %q has no row", cb.id)
		}
		seq -= int64(len(cb.msgs))
		for _, i := range cb.msgs {
			seq++
			m := &res[i].Message
			m.Seq = seq
			res[i].Recipients = slices.Clone(cb.users)
			cb.lastRead[m.SendID] = seq
			newMsgs = append(newMsgs, m)
		}
	}
	if err := stampMembers(ctx, q, convs, res); err != nil {
		return nil, nil, err
	}
	if err := insertMessages(ctx, q, newMsgs); err != nil {
		return nil, nil, err
	}
	for i, j := range dupOf {
		res[i] = store.AppendResult{Message: res[j].Message, Duplicate: true}
	}
	return res, created, nil
}

// msgKey is the idempotency key of a message.
type msgKey struct{ sendID, clientMsgID string }

// storedMessages returns the messages already stored under the keys of
// msgs, looked up a chunk of keys per statement (stmtDup).
func storedMessages(ctx context.Context, q *txStmts, msgs []store.NewMessage) (map[msgKey]protocol.Message, error) {
	keys := make([]msgKey, 0, len(msgs))
	seen := make(map[msgKey]bool, len(msgs))
	for i := range msgs {
		k := msgKey{msgs[i].SendID, msgs[i].ClientMsgID}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	found := map[msgKey]protocol.Message{}
	args := make([]any, 0, 2*min(len(keys), chunkSizes[numChunks-1]))
	for len(keys) > 0 {
		c := paddedChunk(len(keys))
		size := chunkSizes[c]
		args = args[:0]
		for j := range size {
			// A chunk larger than what is left repeats the last key.
			k := keys[min(j, len(keys)-1)]
			args = append(args, k.sendID, k.clientMsgID)
		}
		keys = keys[min(size, len(keys)):]
		if err := scanStored(ctx, q.get(stmtDup+stmtID(c)), args, found); err != nil {
			return nil, err
		}
	}
	return found, nil
}

func scanStored(ctx context.Context, st *sql.Stmt, args []any, found map[msgKey]protocol.Message) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return err
		}
		found[msgKey{m.SendID, m.ClientMsgID}] = m
	}
	return rows.Err()
}

// insertMessages inserts msgs, a chunk per statement (stmtInsert).
func insertMessages(ctx context.Context, q *txStmts, msgs []*protocol.Message) error {
	args := make([]any, 0, 12*min(len(msgs), chunkSizes[numChunks-1]))
	for len(msgs) > 0 {
		c := exactChunk(len(msgs))
		args = args[:0]
		for _, m := range msgs[:chunkSizes[c]] {
			args = append(args, m.ConversationID, m.Seq, m.ServerMsgID, m.ClientMsgID, m.SendID, m.RecvID, m.GroupID,
				m.SessionType, m.ContentType, []byte(m.Content), m.SendTime, m.CreateTime)
		}
		msgs = msgs[chunkSizes[c]:]
		if _, err := q.get(stmtInsert+stmtID(c)).ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

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

// bumpSeqs moves the seq counter of each conversation of convs by its
// number of new messages and returns the new max seqs.
func bumpSeqs(ctx context.Context, q *txStmts, convs []*convBatch, res []store.AppendResult) (map[string]int64, error) {
	maxSeq := make(map[string]int64, len(convs))
	args := make([]any, 0, 3*min(len(convs), chunkSizes[numChunks-1]))
	for len(convs) > 0 {
		c := exactChunk(len(convs))
		args = args[:0]
		for _, cb := range convs[:chunkSizes[c]] {
			last := &res[cb.msgs[len(cb.msgs)-1]].Message
			args = append(args, cb.id, len(cb.msgs), last.SendTime)
		}
		convs = convs[chunkSizes[c]:]
		rows, err := q.get(stmtBumpSeq+stmtID(c)).QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				rows.Close()
				return nil, err
			}
			maxSeq[id] = seq
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return maxSeq, nil
}

// stampMembers bumps the change version of every member of each
// conversation of convs once per conversation, in the order the
// conversations first appear in the batch (as the PostgreSQL store does),
// and stamps the member's state with it; each sender's read seq moves to
// their last new message. Each user's counter moves once by the number of
// their conversations in the batch (RETURNING the new value), so that the
// versions in between are counted here; the states are then written with
// one statement per chunk of rows.
func stampMembers(ctx context.Context, q *txStmts, convs []*convBatch, res []store.AppendResult) error {
	var users []string
	count := map[string]int64{}
	for _, cb := range convs {
		for _, u := range cb.users {
			if count[u] == 0 {
				users = append(users, u)
			}
			count[u]++
		}
	}
	// next[u] is the version of u's next conversation; absent: no such user.
	next := make(map[string]int64, len(users))
	args := make([]any, 0, 2*min(len(users), chunkSizes[numChunks-1]))
	for len(users) > 0 {
		c := exactChunk(len(users))
		args = args[:0]
		for _, u := range users[:chunkSizes[c]] {
			args = append(args, u, count[u])
		}
		users = users[chunkSizes[c]:]
		rows, err := q.get(stmtBumpVersions+stmtID(c)).QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var v int64
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return err
			}
			next[id] = v - count[id] + 1
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
	}
	// One row per member and conversation: user, conversation, version
	// (nil: no such user, unchanged), read seq (nil: unchanged), time.
	var stamps []any
	for _, cb := range convs {
		now := res[cb.msgs[len(cb.msgs)-1]].Message.SendTime
		for _, u := range cb.users {
			var v, read any
			if n, ok := next[u]; ok {
				v = n
				next[u] = n + 1
			}
			if seq, ok := cb.lastRead[u]; ok {
				read = seq
			}
			stamps = append(stamps, u, cb.id, v, read, now)
		}
	}
	return execChunks(ctx, q, stmtStamp, stamps, 5)
}

// execChunks runs the run of statements first (see stmtID) over args,
// cols arguments per row, the largest chunks first.
func execChunks(ctx context.Context, q *txStmts, first stmtID, args []any, cols int) error {
	for n := len(args) / cols; n > 0; n = len(args) / cols {
		c := exactChunk(n)
		k := chunkSizes[c] * cols
		if _, err := q.get(first+stmtID(c)).ExecContext(ctx, args[:k]...); err != nil {
			return err
		}
		args = args[k:]
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
