package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// stmtID names one of the statements the message path prepares once per
// Store, on the write connection. Parsing them anew in every transaction
// cost more than running them when a commit holds one or two messages.
type stmtID int

const (
	stmtDup stmtID = iota
	stmtMembers
	stmtEnsureConv
	stmtEnsureState
	stmtBumpSeq
	stmtInsert
	stmtBumpUsers
	stmtStampSingle
	stmtBumpGroup
	stmtStampGroup
	stmtSetRead
	numStmts
)

// stmtSQL returns the text of statement id.
func stmtSQL(id stmtID) string {
	// The state of each member is stamped with the member's new change
	// version; the (at most two) senders in the statement get their read
	// seq moved, a group's further senders get stmtSetRead each.
	const stamp = `UPDATE user_conversations SET
			version = COALESCE((SELECT change_version FROM users u WHERE u.user_id = user_conversations.user_id), version),
			read_seq = CASE user_id WHEN ? THEN ? WHEN ? THEN ? ELSE read_seq END,
			update_time = ?
		WHERE conversation_id = ? AND user_id IN `
	const groupMembers = `(SELECT user_id FROM group_members WHERE group_id = ?)`
	switch id {
	case stmtDup:
		return `SELECT ` + msgCols + ` FROM messages WHERE send_id = ? AND client_msg_id = ?`
	case stmtMembers:
		return `SELECT user_id FROM group_members WHERE group_id = ?`
	case stmtEnsureConv:
		return `INSERT OR IGNORE INTO conversations (conversation_id, session_type, group_id, max_seq, update_time)
			VALUES (?, ?, ?, 0, ?)`
	case stmtEnsureState:
		return `INSERT OR IGNORE INTO user_conversations
			(user_id, conversation_id, session_type, peer_user_id, min_seq, version, update_time)
			VALUES (?, ?, ?, ?, 1, 0, ?)`
	case stmtBumpSeq:
		return `UPDATE conversations SET max_seq = max_seq + ?, update_time = ? WHERE conversation_id = ? RETURNING max_seq`
	case stmtInsert:
		return `INSERT INTO messages (` + msgCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	case stmtBumpUsers:
		return `UPDATE users SET change_version = change_version + 1 WHERE user_id IN (?, ?)`
	case stmtStampSingle:
		return stamp + `(?, ?)`
	case stmtBumpGroup:
		return `UPDATE users SET change_version = change_version + 1 WHERE user_id IN ` + groupMembers
	case stmtStampGroup:
		return stamp + groupMembers
	case stmtSetRead:
		return `UPDATE user_conversations SET read_seq = ? WHERE user_id = ? AND conversation_id = ?`
	}
	panic(fmt.Sprintf("sqlite: no statement %d", id))
}

// preparedStmts are the statements of stmtSQL, prepared on the write pool.
type preparedStmts [numStmts]*sql.Stmt

func prepareStmts(ctx context.Context, db *sql.DB) (*preparedStmts, error) {
	var p preparedStmts
	for id := range numStmts {
		st, err := db.PrepareContext(ctx, stmtSQL(id))
		if err != nil {
			p.close()
			return nil, fmt.Errorf("sqlite: prepare: %w", err)
		}
		p[id] = st
	}
	return &p, nil
}

func (p *preparedStmts) close() error {
	var errs []error
	for _, st := range p {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// in returns the statements bound to tx, each on first use. database/sql
// reuses the statement already prepared on tx's connection.
func (p *preparedStmts) in(ctx context.Context, tx *sql.Tx) *txStmts {
	return &txStmts{ctx: ctx, tx: tx, p: p}
}

type txStmts struct {
	ctx   context.Context
	tx    *sql.Tx
	p     *preparedStmts
	bound [numStmts]*sql.Stmt
}

// get returns statement id in the transaction. A failure to bind it is
// returned by the statement's first use.
func (t *txStmts) get(id stmtID) *sql.Stmt {
	if t.bound[id] == nil {
		t.bound[id] = t.tx.StmtContext(t.ctx, t.p[id])
	}
	return t.bound[id]
}

// maxKnownConvs bounds knownConvs; past it the set starts over, which
// costs only the creating statements again.
const maxKnownConvs = 1 << 20

// knownConvs remembers the conversations AppendMessages has created (or
// found existing) in a committed transaction, so that later batches skip
// the statements that create them and their one-to-one states. This is
// sound because those rows are never deleted: no conversation row is, nor
// a one-to-one state (removing a group member deletes only that group's
// state, which AppendMessages never creates). The set starts empty with
// each Store, so a restart, or a database changed by another process,
// costs one round of creating statements, never a missing row.
type knownConvs struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func (k *knownConvs) has(id string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.ids[id]
	return ok
}

func (k *knownConvs) add(ids []string) {
	if len(ids) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ids == nil || len(k.ids)+len(ids) > maxKnownConvs {
		k.ids = make(map[string]struct{}, len(ids))
	}
	for _, id := range ids {
		k.ids[id] = struct{}{}
	}
}
