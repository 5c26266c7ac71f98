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
		var isMember bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2)`,
			groupID, userID).Scan(&isMember)
		if err != nil {
			return fmt.Errorf("postgres: remove member: %w", err)
		}
		if !isMember {
			return fmt.Errorf("postgres: %q in group %q: %w", userID, groupID, store.ErrNotMember)
		}
		// Every member, the removed one included, gets a new change version
		// stamped on their state of the conversation, so that their next
		// sync reports the membership change; the removed member's state
		// is kept, marked with the seq they may read up to. Users are
		// locked in user_id order, as AppendMessages does.
		stmts := []struct {
			q    string
			args []any
		}{
			{`SELECT 1 FROM users WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = $1)
				ORDER BY user_id FOR UPDATE`, []any{groupID}},
			{`UPDATE users SET change_version = change_version + 1
				WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = $1)`, []any{groupID}},
			{`UPDATE user_conversations uc SET version = u.change_version, group_version = u.change_version
				FROM users u JOIN group_members gm ON gm.user_id = u.user_id AND gm.group_id = $1
				WHERE uc.user_id = u.user_id AND uc.conversation_id = $2`, []any{groupID, convID}},
			{`UPDATE user_conversations SET removed_seq = (SELECT max_seq FROM conversations WHERE conversation_id = $1)
				WHERE user_id = $2 AND conversation_id = $1`, []any{convID, userID}},
			{`DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, []any{groupID, userID}},
		}
		for _, st := range stmts {
			if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
				return fmt.Errorf("postgres: remove member: %w", err)
			}
		}
		return logMemberChanges(ctx, tx, groupID, userID)
	})
}
