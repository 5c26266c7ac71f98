package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/protocol"
	"parley/server/store"
)

var (
	_ store.Blocks          = (*Store)(nil)
	_ store.GroupMembership = (*Store)(nil)
)

// BlockUser implements store.Blocks.
func (s *Store) BlockUser(ctx context.Context, owner, blocked string, now int64) error {
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
	var one int
	err := s.blocked.QueryRowContext(ctx, owner, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: blocked: %w", err)
	}
	return true, nil
}

// RemoveGroupMember implements store.GroupMembership.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
		if err != nil {
			return fmt.Errorf("sqlite: remove member: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: remove member: %w", err)
		} else if n == 0 {
			return fmt.Errorf("sqlite: %q in group %q: %w", userID, groupID, store.ErrNotMember)
		}
		// Their state of the conversation goes too, so that sync stops
		// showing them the group's latest message.
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_conversations WHERE user_id = ? AND conversation_id = ?`,
			userID, protocol.GroupConversationID(groupID)); err != nil {
			return fmt.Errorf("sqlite: remove member: %w", err)
		}
		return nil
	})
}
