package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/protocol"
	"parley/server/store"
)

var _ store.FriendLifecycle = (*Store)(nil)

// RefuseFriendRequest implements store.FriendLifecycle.
func (s *Store) RefuseFriendRequest(ctx context.Context, from, to string, now int64) (*store.FriendRequest, error) {
	var r store.FriendRequest
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanFR(tx.QueryRowContext(ctx, `UPDATE friend_requests SET state = ?, handle_time = ?
			WHERE from_user_id = ? AND to_user_id = ? AND state = ? RETURNING `+frCols,
			protocol.FriendRequestRefused, now, from, to, protocol.FriendRequestPending))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: pending request %q->%q: %w", from, to, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: refuse friend: %w", err)
	}
	return &r, nil
}

// DeleteFriend implements store.FriendLifecycle.
func (s *Store) DeleteFriend(ctx context.Context, a, b string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM friends WHERE (user_id = ? AND friend_user_id = ?) OR (user_id = ? AND friend_user_id = ?)`,
			a, b, b, a)
		if err != nil {
			return fmt.Errorf("sqlite: delete friend: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: %q and %q: %w", a, b, store.ErrNotFound)
		}
		return nil
	})
}

// SetFriendRemark implements store.FriendLifecycle.
func (s *Store) SetFriendRemark(ctx context.Context, userID, friendID, remark string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE friends SET remark = ? WHERE user_id = ? AND friend_user_id = ?`, remark, userID, friendID)
		if err != nil {
			return fmt.Errorf("sqlite: friend remark: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: %q and %q: %w", userID, friendID, store.ErrNotFound)
		}
		return nil
	})
}

// Friends implements store.FriendLifecycle.
func (s *Store) Friends(ctx context.Context, userID string) ([]store.Friend, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT friend_user_id, remark, create_time FROM friends
		WHERE user_id = ? ORDER BY create_time, friend_user_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: friends: %w", err)
	}
	defer rows.Close()
	var out []store.Friend
	for rows.Next() {
		var f store.Friend
		if err := rows.Scan(&f.FriendUserID, &f.Remark, &f.CreateTime); err != nil {
			return nil, fmt.Errorf("sqlite: friends: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// AllFriendRequests implements store.FriendLifecycle.
func (s *Store) AllFriendRequests(ctx context.Context, userID string, limit int) ([]store.FriendRequest, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+frCols+` FROM friend_requests
		WHERE from_user_id = ? OR to_user_id = ?
		ORDER BY MAX(create_time, handle_time) DESC, from_user_id, to_user_id LIMIT ?`,
		userID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: friend requests: %w", err)
	}
	defer rows.Close()
	var out []store.FriendRequest
	for rows.Next() {
		r, err := scanFR(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: friend requests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

var _ store.BlockList = (*Store)(nil)

// BlockedUsers implements store.BlockList.
func (s *Store) BlockedUsers(ctx context.Context, owner string, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT block_user_id FROM blacklist WHERE owner_user_id = ?
		ORDER BY create_time DESC, block_user_id LIMIT ?`, owner, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: blocked users: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: blocked users: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
