package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

var (
	_ store.Blocks          = (*Store)(nil)
	_ store.GroupMembership = (*Store)(nil)
)

// BlockUser implements store.Blocks.
func (s *Store) BlockUser(ctx context.Context, owner, blocked string, now int64) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO blacklist (owner_user_id, block_user_id, create_time) VALUES ($1, $2, $3)
		ON CONFLICT (owner_user_id, block_user_id) DO NOTHING`, owner, blocked, now)
	if err != nil {
		return fmt.Errorf("postgres: block: %w", err)
	}
	return nil
}

// UnblockUser implements store.Blocks.
func (s *Store) UnblockUser(ctx context.Context, owner, blocked string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM blacklist WHERE owner_user_id = $1 AND block_user_id = $2`, owner, blocked); err != nil {
		return fmt.Errorf("postgres: unblock: %w", err)
	}
	return nil
}

// Blocked implements store.Blocks.
func (s *Store) Blocked(ctx context.Context, owner, userID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blacklist WHERE owner_user_id = $1 AND block_user_id = $2)`,
		owner, userID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: blocked: %w", err)
	}
	return ok, nil
}

// RemoveGroupMember implements store.GroupMembership.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	convID := protocol.GroupConversationID(groupID)
	return s.tx(ctx, func(tx pgx.Tx) error {
		// AppendMessages locks the conversation row before it reads the
		// members: taking the same lock first means a concurrent send
		// either delivers to the member before they go, or sees them gone.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM conversations WHERE conversation_id = $1 FOR UPDATE`, convID); err != nil {
			return fmt.Errorf("postgres: remove member: %w", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, groupID, userID)
		if err != nil {
			return fmt.Errorf("postgres: remove member: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: %q in group %q: %w", userID, groupID, store.ErrNotMember)
		}
		// Their state of the conversation goes too, so that sync stops
		// showing them the group's latest message.
		if _, err := tx.Exec(ctx, `DELETE FROM user_conversations WHERE user_id = $1 AND conversation_id = $2`,
			userID, convID); err != nil {
			return fmt.Errorf("postgres: remove member: %w", err)
		}
		return nil
	})
}
