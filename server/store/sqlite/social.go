package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/protocol"
	"parley/server/store"
)

// PutFriendRequest implements store.Friends.
func (s *Store) PutFriendRequest(ctx context.Context, req store.FriendRequest) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if ok, err := areFriends(ctx, tx, req.FromUserID, req.ToUserID); err != nil {
			return fmt.Errorf("sqlite: friend request: %w", err)
		} else if ok {
			return fmt.Errorf("sqlite: %q and %q: %w", req.FromUserID, req.ToUserID, store.ErrExists)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO friend_requests (from_user_id, to_user_id, message, state, create_time, handle_time)
			VALUES (?, ?, ?, ?, ?, 0)
			ON CONFLICT (from_user_id, to_user_id) DO UPDATE SET
				message = excluded.message, state = excluded.state, create_time = excluded.create_time, handle_time = 0`,
			req.FromUserID, req.ToUserID, req.Message, protocol.FriendRequestPending, req.CreateTime)
		if err != nil {
			return fmt.Errorf("sqlite: friend request: %w", err)
		}
		return nil
	})
}

const frCols = `from_user_id, to_user_id, message, state, create_time, handle_time`

func scanFR(row interface{ Scan(...any) error }) (store.FriendRequest, error) {
	var r store.FriendRequest
	err := row.Scan(&r.FromUserID, &r.ToUserID, &r.Message, &r.State, &r.CreateTime, &r.HandleTime)
	return r, err
}

// FriendRequest implements store.Friends.
func (s *Store) FriendRequest(ctx context.Context, from, to string) (*store.FriendRequest, error) {
	r, err := scanFR(s.r.QueryRowContext(ctx, `SELECT `+frCols+` FROM friend_requests WHERE from_user_id = ? AND to_user_id = ?`, from, to))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: friend request %q->%q: %w", from, to, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: friend request: %w", err)
	}
	return &r, nil
}

// AcceptFriendRequest implements store.Friends.
func (s *Store) AcceptFriendRequest(ctx context.Context, from, to string, now int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE friend_requests SET state = ?, handle_time = ?
			WHERE from_user_id = ? AND to_user_id = ? AND state = ?`,
			protocol.FriendRequestAccepted, now, from, to, protocol.FriendRequestPending)
		if err != nil {
			return fmt.Errorf("sqlite: accept friend: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: pending request %q->%q: %w", from, to, store.ErrNotFound)
		}
		// A crossed request (both asked each other) is settled too.
		_, err = tx.ExecContext(ctx, `UPDATE friend_requests SET state = ?, handle_time = ?
			WHERE from_user_id = ? AND to_user_id = ? AND state = ?`,
			protocol.FriendRequestAccepted, now, to, from, protocol.FriendRequestPending)
		if err != nil {
			return fmt.Errorf("sqlite: accept friend: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO friends (user_id, friend_user_id, create_time) VALUES (?, ?, ?), (?, ?, ?)`,
			from, to, now, to, from, now)
		if err != nil {
			return fmt.Errorf("sqlite: accept friend: %w", err)
		}
		return nil
	})
}

// FriendRequests implements store.Friends.
func (s *Store) FriendRequests(ctx context.Context, userID string, limit int) ([]store.FriendRequest, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+frCols+` FROM friend_requests
		WHERE (from_user_id = ? OR to_user_id = ?) AND state = ? ORDER BY create_time DESC LIMIT ?`,
		userID, userID, protocol.FriendRequestPending, limit)
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

func areFriends(ctx context.Context, q querier, a, b string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM friends WHERE user_id = ? AND friend_user_id = ?`, a, b).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// AreFriends implements store.Friends.
func (s *Store) AreFriends(ctx context.Context, a, b string) (bool, error) {
	ok, err := areFriends(ctx, s.r, a, b)
	if err != nil {
		return false, fmt.Errorf("sqlite: are friends: %w", err)
	}
	return ok, nil
}

// FriendIDs implements store.Friends.
func (s *Store) FriendIDs(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT friend_user_id FROM friends WHERE user_id = ? ORDER BY create_time, friend_user_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: friends: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: friends: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CreateGroup implements store.Groups.
func (s *Store) CreateGroup(ctx context.Context, g store.NewGroup) (*protocol.Group, error) {
	members := []string{g.OwnerUserID}
	seen := map[string]bool{g.OwnerUserID: true}
	for _, id := range g.MemberUserIDs {
		if !seen[id] {
			seen[id] = true
			members = append(members, id)
		}
	}
	convID := protocol.GroupConversationID(g.GroupID)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range members {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE user_id = ?`, id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sqlite: member %q: %w", id, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO groups (group_id, name, face_url, owner_user_id, create_time) VALUES (?, ?, ?, ?, ?)`,
			g.GroupID, g.Name, g.FaceURL, g.OwnerUserID, g.CreateTime)
		if isConstraint(err) {
			return fmt.Errorf("sqlite: group %q: %w", g.GroupID, store.ErrExists)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO conversations (conversation_id, session_type, group_id, max_seq, update_time)
			VALUES (?, ?, ?, 0, ?)`, convID, protocol.SessionGroup, g.GroupID, g.CreateTime)
		if isConstraint(err) {
			return fmt.Errorf("sqlite: conversation %q: %w", convID, store.ErrExists)
		}
		if err != nil {
			return err
		}
		for _, id := range members {
			role := protocol.RoleMember
			if id == g.OwnerUserID {
				role = protocol.RoleOwner
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role, join_time, join_seq) VALUES (?, ?, ?, ?, 1)`,
				g.GroupID, id, role, g.CreateTime); err != nil {
				return err
			}
			var v int64
			if err := tx.QueryRowContext(ctx, `UPDATE users SET change_version = change_version + 1 WHERE user_id = ? RETURNING change_version`,
				id).Scan(&v); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_conversations
				(user_id, conversation_id, session_type, group_id, min_seq, version, update_time) VALUES (?, ?, ?, ?, 1, ?, ?)`,
				id, convID, protocol.SessionGroup, g.GroupID, v, g.CreateTime); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: create group: %w", err)
	}
	return &protocol.Group{GroupID: g.GroupID, Name: g.Name, FaceURL: g.FaceURL, OwnerUserID: g.OwnerUserID,
		MemberCount: len(members), CreateTime: g.CreateTime, JoinPolicy: protocol.JoinPolicyApproval, MemberVersion: 1}, nil
}

const groupCols = `g.group_id, g.name, g.face_url, g.owner_user_id, g.create_time,
	(SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.group_id),
	g.introduction, g.notification, g.join_policy, g.is_muted, g.status, g.member_version`

func scanGroup(row interface{ Scan(...any) error }, extra ...any) (protocol.Group, error) {
	var g protocol.Group
	var status int
	err := row.Scan(append([]any{&g.GroupID, &g.Name, &g.FaceURL, &g.OwnerUserID, &g.CreateTime, &g.MemberCount,
		&g.Introduction, &g.Notification, &g.JoinPolicy, &g.IsMuted, &status, &g.MemberVersion}, extra...)...)
	g.Dismissed = status == 1
	return g, err
}

// Group implements store.Groups.
func (s *Store) Group(ctx context.Context, groupID string) (*protocol.Group, error) {
	g, err := scanGroup(s.r.QueryRowContext(ctx, `SELECT `+groupCols+` FROM groups g WHERE g.group_id = ?`, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: group %q: %w", groupID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: group: %w", err)
	}
	return &g, nil
}

// UserGroups implements store.Groups.
func (s *Store) UserGroups(ctx context.Context, userID string) ([]protocol.Group, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+groupCols+`, gm.role FROM group_members gm JOIN groups g ON g.group_id = gm.group_id
		WHERE gm.user_id = ? ORDER BY g.create_time, g.group_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: user groups: %w", err)
	}
	defer rows.Close()
	var out []protocol.Group
	for rows.Next() {
		var role string
		g, err := scanGroup(rows, &role)
		g.MyRole = role
		if err != nil {
			return nil, fmt.Errorf("sqlite: user groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

const memberCols = `group_id, user_id, role, join_time, nickname, mute_end_time`

// GroupMembers implements store.Groups.
func (s *Store) GroupMembers(ctx context.Context, groupID string) ([]protocol.GroupMember, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+memberCols+` FROM group_members
		WHERE group_id = ? ORDER BY role = 'owner' DESC, join_time, user_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: group members: %w", err)
	}
	defer rows.Close()
	var out []protocol.GroupMember
	for rows.Next() {
		var m protocol.GroupMember
		if err := rows.Scan(&m.GroupID, &m.UserID, &m.Role, &m.JoinTime, &m.Nickname, &m.MuteEndTime); err != nil {
			return nil, fmt.Errorf("sqlite: group members: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// GroupMember implements store.Groups.
func (s *Store) GroupMember(ctx context.Context, groupID, userID string) (*protocol.GroupMember, error) {
	var m protocol.GroupMember
	err := s.r.QueryRowContext(ctx, `SELECT `+memberCols+` FROM group_members WHERE group_id = ? AND user_id = ?`,
		groupID, userID).Scan(&m.GroupID, &m.UserID, &m.Role, &m.JoinTime, &m.Nickname, &m.MuteEndTime)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: %q in group %q: %w", userID, groupID, store.ErrNotMember)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: group member: %w", err)
	}
	return &m, nil
}
