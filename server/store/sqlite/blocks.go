package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"parley/protocol"
	"parley/server/store"
)

var (
	_ store.Blocks          = (*Store)(nil)
	_ store.GroupMembership = (*Store)(nil)
)

// BlockUser implements store.Blocks.
func (s *Store) BlockUser(ctx context.Context, owner, blocked string, now int64) error {
	defer s.blocks.forget(owner, blocked)
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blacklist (owner_user_id, block_user_id, create_time) VALUES (?, ?, ?)
			ON CONFLICT (owner_user_id, block_user_id) DO NOTHING`, owner, blocked, now)
		if err != nil {
			return fmt.Errorf("sqlite: block: %w", err)
		}
		return nil
	})
}

// UnblockUser implements store.Blocks.
func (s *Store) UnblockUser(ctx context.Context, owner, blocked string) error {
	defer s.blocks.forget(owner, blocked)
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM blacklist WHERE owner_user_id = ? AND block_user_id = ?`, owner, blocked); err != nil {
			return fmt.Errorf("sqlite: unblock: %w", err)
		}
		return nil
	})
}

// blockedSQL is Blocked's query, prepared once per Store (every
// one-to-one send asks it).
const blockedSQL = `SELECT 1 FROM blacklist WHERE owner_user_id = ? AND block_user_id = ?`

// Blocked implements store.Blocks.
func (s *Store) Blocked(ctx context.Context, owner, userID string) (bool, error) {
	if b, ok := s.blocks.get(owner, userID); ok {
		return b, nil
	}
	gen := s.blocks.generation()
	var one int
	err := s.blocked.QueryRowContext(ctx, owner, userID).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("sqlite: blocked: %w", err)
	}
	b := err == nil
	s.blocks.put(owner, userID, b, gen)
	return b, nil
}

// maxBlockAnswers bounds blockCache; past it the cache starts over.
const maxBlockAnswers = 1 << 20

// blockCache remembers Blocked's answers: every one-to-one send asks, and
// the answer rarely changes. This Store is the only writer of its
// database, and BlockUser and UnblockUser forget the pair once their
// transaction has ended. An answer read while any such change was under
// way is not kept (gen), since the read may predate the change.
type blockCache struct {
	mu      sync.Mutex
	gen     uint64
	answers map[[2]string]bool
}

func (c *blockCache) get(owner, userID string) (blocked, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	blocked, ok = c.answers[[2]string{owner, userID}]
	return blocked, ok
}

func (c *blockCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps an answer read after generation() returned gen, unless the
// blocks changed since.
func (c *blockCache) put(owner, userID string, blocked bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.answers == nil || len(c.answers) >= maxBlockAnswers {
		c.answers = make(map[[2]string]bool)
	}
	c.answers[[2]string{owner, userID}] = blocked
}

func (c *blockCache) forget(owner, userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.answers, [2]string{owner, userID})
}

// RemoveGroupMember implements store.GroupMembership.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	convID := protocol.GroupConversationID(groupID)
	return s.tx(ctx, func(tx *sql.Tx) error {
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: %q in group %q: %w", userID, groupID, store.ErrNotMember)
		}
		if err != nil {
			return fmt.Errorf("sqlite: remove member: %w", err)
		}
		// Every member, the removed one included, gets a new change version
		// stamped on their state of the conversation, so that their next
		// sync reports the membership change; the removed member's state
		// is kept, marked with the seq they may read up to.
		stmts := []struct {
			q    string
			args []any
		}{
			{`UPDATE users SET change_version = change_version + 1
				WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = ?)`, []any{groupID}},
			{`UPDATE user_conversations SET
				version = (SELECT change_version FROM users u WHERE u.user_id = user_conversations.user_id),
				group_version = (SELECT change_version FROM users u WHERE u.user_id = user_conversations.user_id)
				WHERE conversation_id = ? AND user_id IN (SELECT user_id FROM group_members WHERE group_id = ?)`, []any{convID, groupID}},
			{`UPDATE user_conversations SET removed_seq = (SELECT max_seq FROM conversations WHERE conversation_id = ?)
				WHERE user_id = ? AND conversation_id = ?`, []any{convID, userID, convID}},
			{`DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, []any{groupID, userID}},
		}
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return fmt.Errorf("sqlite: remove member: %w", err)
			}
		}
		return logMemberChanges(ctx, tx, groupID, userID)
	})
}
