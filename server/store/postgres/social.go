package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

// PutFriendRequest implements store.Friends.
func (s *Store) PutFriendRequest(ctx context.Context, req store.FriendRequest) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if ok, err := areFriends(ctx, tx, req.FromUserID, req.ToUserID); err != nil {
			return fmt.Errorf("postgres: friend request: %w", err)
		} else if ok {
			return fmt.Errorf("postgres: %q and %q: %w", req.FromUserID, req.ToUserID, store.ErrExists)
		}
		_, err := tx.Exec(ctx, `INSERT INTO friend_requests (from_user_id, to_user_id, message, state, create_time, handle_time)
			VALUES ($1, $2, $3, $4, $5, 0)
			ON CONFLICT (from_user_id, to_user_id) DO UPDATE SET
				message = excluded.message, state = excluded.state, create_time = excluded.create_time, handle_time = 0`,
			req.FromUserID, req.ToUserID, req.Message, protocol.FriendRequestPending, req.CreateTime)
		if err != nil {
			return fmt.Errorf("postgres: friend request: %w", err)
		}
		return nil
	})
}

const frCols = `from_user_id, to_user_id, message, state, create_time, handle_time`

func scanFR(row pgx.Row) (store.FriendRequest, error) {
	var r store.FriendRequest
	err := row.Scan(&r.FromUserID, &r.ToUserID, &r.Message, &r.State, &r.CreateTime, &r.HandleTime)
	return r, err
}

// FriendRequest implements store.Friends.
func (s *Store) FriendRequest(ctx context.Context, from, to string) (*store.FriendRequest, error) {
	r, err := scanFR(s.pool.QueryRow(ctx, `SELECT `+frCols+` FROM friend_requests WHERE from_user_id = $1 AND to_user_id = $2`, from, to))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: friend request %q->%q: %w", from, to, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: friend request: %w", err)
	}
	return &r, nil
}

// AcceptFriendRequest implements store.Friends.
func (s *Store) AcceptFriendRequest(ctx context.Context, from, to string, now int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE friend_requests SET state = $1, handle_time = $2
			WHERE from_user_id = $3 AND to_user_id = $4 AND state = $5`,
			protocol.FriendRequestAccepted, now, from, to, protocol.FriendRequestPending)
		if err != nil {
			return fmt.Errorf("postgres: accept friend: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: pending request %q->%q: %w", from, to, store.ErrNotFound)
		}
		// A crossed request (both asked each other) is settled too.
		_, err = tx.Exec(ctx, `UPDATE friend_requests SET state = $1, handle_time = $2
			WHERE from_user_id = $3 AND to_user_id = $4 AND state = $5`,
			protocol.FriendRequestAccepted, now, to, from, protocol.FriendRequestPending)
		if err != nil {
			return fmt.Errorf("postgres: accept friend: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO friends (user_id, friend_user_id, create_time) VALUES ($1, $2, $3), ($2, $1, $3)
			ON CONFLICT (user_id, friend_user_id) DO NOTHING`, from, to, now)
		if err != nil {
			return fmt.Errorf("postgres: accept friend: %w", err)
		}
		return nil
	})
}

// FriendRequests implements store.Friends.
func (s *Store) FriendRequests(ctx context.Context, userID string, limit int) ([]store.FriendRequest, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+frCols+` FROM friend_requests
		WHERE (from_user_id = $1 OR to_user_id = $1) AND state = $2 ORDER BY create_time DESC LIMIT $3`,
		userID, protocol.FriendRequestPending, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: friend requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FriendRequest, error) { return scanFR(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: friend requests: %w", err)
	}
	return out, nil
}

func areFriends(ctx context.Context, q querier, a, b string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM friends WHERE user_id = $1 AND friend_user_id = $2)`, a, b).Scan(&ok)
	return ok, err
}

// AreFriends implements store.Friends.
func (s *Store) AreFriends(ctx context.Context, a, b string) (bool, error) {
	ok, err := areFriends(ctx, s.pool, a, b)
	if err != nil {
		return false, fmt.Errorf("postgres: are friends: %w", err)
	}
	return ok, nil
}

// FriendIDs implements store.Friends.
func (s *Store) FriendIDs(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT friend_user_id FROM friends WHERE user_id = $1 ORDER BY create_time, friend_user_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: friends: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: friends: %w", err)
	}
	return ids, nil
}

// CreateGroup implements store.Groups. The members' rows are locked (in key
// order) before anything is written, as AppendMessages does.
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
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT user_id FROM users WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE`, members)
		if err != nil {
			return err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(found) < len(members) {
			for _, id := range members {
				if !slices.Contains(found, id) {
					return fmt.Errorf("postgres: member %q: %w", id, store.ErrNotFound)
				}
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO groups (group_id, name, face_url, owner_user_id, create_time) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (group_id) DO NOTHING`,
			g.GroupID, g.Name, g.FaceURL, g.OwnerUserID, g.CreateTime)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: group %q: %w", g.GroupID, store.ErrExists)
		}
		tag, err = tx.Exec(ctx, `INSERT INTO conversations (conversation_id, session_type, group_id, max_seq, update_time)
			VALUES ($1, $2, $3, 0, $4) ON CONFLICT (conversation_id) DO NOTHING`, convID, protocol.SessionGroup, g.GroupID, g.CreateTime)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: conversation %q: %w", convID, store.ErrExists)
		}
		roles := make([]string, len(members))
		for i, id := range members {
			roles[i] = protocol.RoleMember
			if id == g.OwnerUserID {
				roles[i] = protocol.RoleOwner
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO group_members (group_id, user_id, role, join_time, join_seq)
			SELECT $1, u, r, $4, 1 FROM unnest($2::text[], $3::text[]) AS t(u, r)`,
			g.GroupID, members, roles, g.CreateTime)
		if err != nil {
			return err
		}
		// Each member's version is bumped and their new state stamped with it.
		_, err = tx.Exec(ctx, `WITH v AS (
				UPDATE users SET change_version = change_version + 1 WHERE user_id = ANY($1) RETURNING user_id, change_version)
			INSERT INTO user_conversations (user_id, conversation_id, session_type, group_id, min_seq, version, update_time)
			SELECT v.user_id, $2, $3, $4, 1, v.change_version, $5 FROM v`,
			members, convID, protocol.SessionGroup, g.GroupID, g.CreateTime)
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: create group: %w", err)
	}
	return &protocol.Group{GroupID: g.GroupID, Name: g.Name, FaceURL: g.FaceURL, OwnerUserID: g.OwnerUserID,
		MemberCount: len(members), CreateTime: g.CreateTime, JoinPolicy: protocol.JoinPolicyApproval, MemberVersion: 1}, nil
}

const groupCols = `g.group_id, g.name, g.face_url, g.owner_user_id, g.create_time,
	(SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.group_id),
	g.introduction, g.notification, g.join_policy, g.is_muted, g.status, g.member_version`

func scanGroup(row pgx.Row, extra ...any) (protocol.Group, error) {
	var g protocol.Group
	var n int64
	var status int32
	err := row.Scan(append([]any{&g.GroupID, &g.Name, &g.FaceURL, &g.OwnerUserID, &g.CreateTime, &n,
		&g.Introduction, &g.Notification, &g.JoinPolicy, &g.IsMuted, &status, &g.MemberVersion}, extra...)...)
	g.MemberCount = int(n)
	g.Dismissed = status == 1
	return g, err
}

// Group implements store.Groups.
func (s *Store) Group(ctx context.Context, groupID string) (*protocol.Group, error) {
	g, err := scanGroup(s.pool.QueryRow(ctx, `SELECT `+groupCols+` FROM groups g WHERE g.group_id = $1`, groupID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: group %q: %w", groupID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: group: %w", err)
	}
	return &g, nil
}

// UserGroups implements store.Groups.
func (s *Store) UserGroups(ctx context.Context, userID string) ([]protocol.Group, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+groupCols+`, gm.role FROM group_members gm JOIN groups g ON g.group_id = gm.group_id
		WHERE gm.user_id = $1 ORDER BY g.create_time, g.group_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: user groups: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.Group, error) {
		var role string
		g, err := scanGroup(r, &role)
		g.MyRole = role
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: user groups: %w", err)
	}
	return out, nil
}

const memberCols = `group_id, user_id, role, join_time, nickname, mute_end_time`

func scanMember(row pgx.Row) (protocol.GroupMember, error) {
	var m protocol.GroupMember
	err := row.Scan(&m.GroupID, &m.UserID, &m.Role, &m.JoinTime, &m.Nickname, &m.MuteEndTime)
	return m, err
}

// GroupMembers implements store.Groups.
func (s *Store) GroupMembers(ctx context.Context, groupID string) ([]protocol.GroupMember, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+memberCols+` FROM group_members
		WHERE group_id = $1 ORDER BY role = 'owner' DESC, join_time, user_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("postgres: group members: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.GroupMember, error) { return scanMember(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: group members: %w", err)
	}
	return out, nil
}

// GroupMember implements store.Groups.
func (s *Store) GroupMember(ctx context.Context, groupID, userID string) (*protocol.GroupMember, error) {
	m, err := scanMember(s.pool.QueryRow(ctx, `SELECT `+memberCols+` FROM group_members
		WHERE group_id = $1 AND user_id = $2`, groupID, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: %q in group %q: %w", userID, groupID, store.ErrNotMember)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: group member: %w", err)
	}
	return &m, nil
}
