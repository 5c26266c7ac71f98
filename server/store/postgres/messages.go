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

// msgInsertCols are the columns a new message is inserted with; msgCols
// those a message is read with (a new one has version and edit time 0).
const msgInsertCols = `conversation_id, seq, server_msg_id, client_msg_id, send_id, recv_id, group_id, session_type, content_type, content, send_time, create_time`

const msgCols = msgInsertCols + `, version, edit_time, is_pinned, pinned_by, pin_time, reactions`

func scanMessage(row pgx.Row) (protocol.Message, error) {
	var m protocol.Message
	var content []byte
	var reactions string
	var st string
	err := row.Scan(&m.ConversationID, &m.Seq, &m.ServerMsgID, &m.ClientMsgID, &m.SendID, &m.RecvID, &m.GroupID,
		&st, &m.ContentType, &content, &m.SendTime, &m.CreateTime, &m.Version, &m.EditTime, &m.IsPinned, &m.PinnedBy, &m.PinTime, &reactions)
	m.SessionType = protocol.SessionType(st)
	m.Content = content
	if err == nil {
		m.Reactions, err = store.DecodeReactions(reactions)
	}
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
	version := map[string]int64{}
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
	b.Queue(`SELECT user_id, change_version FROM users
		WHERE user_id = ANY($1) OR user_id IN (SELECT user_id FROM group_members WHERE group_id = ANY($2))
		ORDER BY user_id FOR UPDATE`, dedup(userIDs), dedup(groupIDs)).Query(func(rows pgx.Rows) error {
		var id string
		var v int64
		_, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error { version[id] = v; return nil })
		return err
	})
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

	// Decide each message in order: seqs come out as if the messages were
	// stored one by one, change versions move once per conversation of the
	// batch. Both are counted here, under the row locks, and written in
	// bulk.
	res := make([]store.AppendResult, len(msgs))
	type ucKey struct{ userID, convID string }
	type ucChange struct{ version, readSeq, updateTime int64 }
	states := map[ucKey]string{} // new one-to-one states: peer
	changes := map[ucKey]*ucChange{}
	lastTime := map[string]int64{}
	convMembers := map[string][]string{}
	var convOrder []string
	var newMsgs []*protocol.Message
	for i := range msgs {
		nm := &msgs[i]
		key := msgKey{nm.SendID, nm.ClientMsgID}
		if orig, ok := stored[key]; ok {
			res[i] = store.AppendResult{Message: orig, Duplicate: true}
			continue
		}
		m := nm.Message()
		var recipients []string
		if nm.GroupID != "" {
			recipients = members[nm.GroupID]
			if !slices.Contains(recipients, nm.SendID) {
				res[i] = store.AppendResult{Err: fmt.Errorf("postgres: group %q: %w", nm.GroupID, store.ErrNotMember)}
				continue
			}
			recipients = slices.Clone(recipients)
		} else {
			recipients = []string{nm.SendID}
			states[ucKey{nm.SendID, m.ConversationID}] = nm.RecvID
			if nm.RecvID != nm.SendID {
				recipients = append(recipients, nm.RecvID)
				states[ucKey{nm.RecvID, m.ConversationID}] = nm.SendID
			}
		}
		cur, ok := maxSeq[m.ConversationID]
		if !ok {
			return nil, fmt.Errorf("conversation %q has no row", m.ConversationID)
		}
		m.Seq = cur + 1
		maxSeq[m.ConversationID] = m.Seq
		lastTime[m.ConversationID] = m.SendTime
		if _, ok := convMembers[m.ConversationID]; !ok {
			convOrder = append(convOrder, m.ConversationID)
			convMembers[m.ConversationID] = recipients
		}
		if _, ok := version[nm.SendID]; ok {
			k := ucKey{nm.SendID, m.ConversationID}
			ch := changes[k]
			if ch == nil {
				ch = &ucChange{}
				changes[k] = ch
			}
			ch.readSeq = m.Seq // the sender has read their own message
		}
		stored[key] = m
		res[i] = store.AppendResult{Message: m, Recipients: recipients}
		newMsgs = append(newMsgs, &res[i].Message)
	}
	// Every member's change version is bumped once per conversation of
	// the batch, in the order the conversations first appear (as the
	// SQLite store does), and their state stamped with it.
	for _, conv := range convOrder {
		for _, u := range convMembers[conv] {
			v, ok := version[u]
			if !ok {
				continue // no such user
			}
			version[u] = v + 1
			k := ucKey{u, conv}
			ch := changes[k]
			if ch == nil {
				ch = &ucChange{}
				changes[k] = ch
			}
			ch.version, ch.updateTime = v+1, lastTime[conv]
		}
	}
	if len(newMsgs) == 0 {
		return res, nil
	}

	// Round trip 2: write it all, one statement per table.
	w := &pgx.Batch{}
	if len(states) > 0 {
		var us, cs, ps []string
		for k, peer := range states {
			us, cs, ps = append(us, k.userID), append(cs, k.convID), append(ps, peer)
		}
		w.Queue(`INSERT INTO user_conversations
			(user_id, conversation_id, session_type, peer_user_id, min_seq, version, update_time)
			SELECT u, c, $4, p, 1, 0, $5 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(u, c, p)
			ON CONFLICT (user_id, conversation_id) DO NOTHING`,
			us, cs, ps, string(protocol.SessionSingle), msgs[0].SendTime)
	}
	var (
		mConv, mServer, mClient, mSend, mRecv, mGroup, mSession, mType []string
		mSeq, mSendTime, mCreate                                       []int64
		mContent                                                       [][]byte
	)
	for _, m := range newMsgs {
		mConv, mSeq, mServer, mClient = append(mConv, m.ConversationID), append(mSeq, m.Seq), append(mServer, m.ServerMsgID), append(mClient, m.ClientMsgID)
		mSend, mRecv, mGroup, mSession = append(mSend, m.SendID), append(mRecv, m.RecvID), append(mGroup, m.GroupID), append(mSession, string(m.SessionType))
		mType, mContent, mSendTime, mCreate = append(mType, m.ContentType), append(mContent, m.Content), append(mSendTime, m.SendTime), append(mCreate, m.CreateTime)
	}
	w.Queue(`INSERT INTO messages (`+msgInsertCols+`)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::bytea[], $11::bigint[], $12::bigint[])`,
		mConv, mSeq, mServer, mClient, mSend, mRecv, mGroup, mSession, mType, mContent, mSendTime, mCreate)
	var convIDs []string
	var seqs, times []int64
	for conv, t := range lastTime {
		convIDs, seqs, times = append(convIDs, conv), append(seqs, maxSeq[conv]), append(times, t)
	}
	w.Queue(`UPDATE conversations c SET max_seq = d.seq, update_time = d.t
		FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS d(id, seq, t) WHERE c.conversation_id = d.id`,
		convIDs, seqs, times)
	if len(changes) > 0 {
		var users, ucConvs []string
		var vers, reads, updated []int64
		for k, ch := range changes {
			users, ucConvs = append(users, k.userID), append(ucConvs, k.convID)
			vers, reads, updated = append(vers, ch.version), append(reads, ch.readSeq), append(updated, ch.updateTime)
		}
		var vUsers []string
		var vVals []int64
		for u, v := range version {
			vUsers, vVals = append(vUsers, u), append(vVals, v)
		}
		w.Queue(`UPDATE users u SET change_version = d.v
			FROM unnest($1::text[], $2::bigint[]) AS d(id, v) WHERE u.user_id = d.id AND u.change_version <> d.v`,
			vUsers, vVals)
		w.Queue(`UPDATE user_conversations uc SET
				version = d.v,
				read_seq = CASE WHEN d.r > 0 THEN d.r ELSE uc.read_seq END,
				read_time = CASE WHEN d.r > 0 THEN d.t ELSE uc.read_time END,
				update_time = d.t
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS d(u, c, v, r, t)
			WHERE uc.user_id = d.u AND uc.conversation_id = d.c`,
			users, ucConvs, vers, reads, updated)
	}
	if err := tx.SendBatch(ctx, w).Close(); err != nil {
		return nil, err
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
