package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// stmtID names one of the statements the message path prepares once per
// Store, on the write connection. Parsing them anew in every transaction
// cost more than running them when a commit holds one or two messages.
type stmtID int

const (
	stmtMembers stmtID = iota
	stmtEnsureConv
	stmtEnsureState
	// Each of the following is a run of numChunks statements: stmtX+k
	// handles chunkSizes[k] rows at once, so that a batch's writes are a
	// few statements per table rather than some per message or per
	// conversation.
	stmtDup                                         // stored messages by idempotency key (padded: a repeated key is harmless)
	stmtInsert       = stmtDup + numChunks          // new messages
	stmtBumpSeq      = stmtInsert + numChunks       // conversations' seq counters, RETURNING the new max_seq
	stmtBumpVersions = stmtBumpSeq + numChunks      // users' change versions, RETURNING the new ones
	stmtStamp        = stmtBumpVersions + numChunks // members' states: version, read seq, update time
	numStmts         = stmtStamp + numChunks
)

// chunkSizes are the row counts of the multi-row statements, smallest
// first. A fixed set keeps them prepared once; a batch is cut into them.
// Every size up to 8 is there because at a steady 1,000 messages/s a commit
// holds a few messages: each write then is one statement, not several.
var chunkSizes = [numChunks]int{1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64}

const numChunks = 11

// paddedChunk returns the index in chunkSizes of the statement that reads
// the first of n remaining keys: the smallest that holds all n (the unused
// places repeat a key), else the largest.
func paddedChunk(n int) int {
	for k, size := range chunkSizes {
		if size >= n {
			return k
		}
	}
	return numChunks - 1
}

// exactChunk returns the index in chunkSizes of the largest statement
// that n remaining rows fill: writes cannot be padded.
func exactChunk(n int) int {
	for k := numChunks - 1; k > 0; k-- {
		if chunkSizes[k] <= n {
			return k
		}
	}
	return 0
}

// valueRows returns n parenthesised groups of cols placeholders.
func valueRows(n, cols int) string {
	one := "(" + placeholders(cols) + ")"
	return strings.Repeat(one+", ", n-1) + one
}

// stmtSQL returns the text of statement id.
func stmtSQL(id stmtID) string {
	// The multi-row writes join their rows from a VALUES list (columns
	// column1, column2, …) by primary key.
	run := func(first stmtID) (int, bool) {
		if id >= first && id < first+numChunks {
			return chunkSizes[id-first], true
		}
		return 0, false
	}
	if n, ok := run(stmtDup); ok {
		return `SELECT ` + msgCols + ` FROM messages WHERE (send_id, client_msg_id) IN (VALUES ` + valueRows(n, 2) + `)`
	}
	if n, ok := run(stmtInsert); ok {
		return `INSERT INTO messages (` + msgInsertCols + `) VALUES ` + valueRows(n, 12)
	}
	if n, ok := run(stmtBumpSeq); ok {
		// v: conversation, new messages, update time.
		return `UPDATE conversations SET max_seq = max_seq + v.column2, update_time = v.column3
			FROM (VALUES ` + valueRows(n, 3) + `) AS v WHERE conversations.conversation_id = v.column1
			RETURNING conversations.conversation_id, conversations.max_seq`
	}
	if n, ok := run(stmtBumpVersions); ok {
		// v: user, conversations of the batch the user is a member of.
		return `UPDATE users SET change_version = change_version + v.column2
			FROM (VALUES ` + valueRows(n, 2) + `) AS v WHERE users.user_id = v.column1
			RETURNING users.user_id, users.change_version`
	}
	if n, ok := run(stmtStamp); ok {
		// v: user, conversation, version, read seq (NULL: unchanged), update time.
		return `UPDATE user_conversations SET version = COALESCE(v.column3, version), read_seq = COALESCE(v.column4, read_seq),
			read_time = CASE WHEN v.column4 IS NULL THEN read_time ELSE v.column5 END, update_time = v.column5
			FROM (VALUES ` + valueRows(n, 5) + `) AS v
			WHERE user_conversations.user_id = v.column1 AND user_conversations.conversation_id = v.column2`
	}
	switch id {
	case stmtMembers:
		return `SELECT user_id FROM group_members WHERE group_id = ?`
	case stmtEnsureConv:
		return `INSERT OR IGNORE INTO conversations (conversation_id, session_type, group_id, max_seq, update_time)
			VALUES (?, ?, ?, 0, ?)`
	case stmtEnsureState:
		return `INSERT OR IGNORE INTO user_conversations
			(user_id, conversation_id, session_type, peer_user_id, min_seq, version, update_time)
			VALUES (?, ?, ?, ?, 1, 0, ?)`
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
