package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

var _ store.GroupAdmin = (*Store)(nil)

// lockGroup locks the group's conversation row, as AppendMessages and
// RemoveGroupMember do before they read the members, and returns the
// group's status and the conversation's max seq; ErrNotFound for a
// missing or dismissed group.
func lockGroup(ctx context.Context, tx pgx.Tx, groupID string) (int64, error) {
	var status int32
	var maxSeq int64
	err := tx.QueryRow(ctx, `SELECT g.status, c.max_seq FROM conversations c JOIN groups g ON g.group_id = $2
		WHERE c.conversation_id = $1 FOR UPDATE OF c`, protocol.GroupConversationID(groupID), groupID).Scan(&status, &maxSeq)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && status == 1) {
		return 0, fmt.Errorf("postgres: group %q: %w", groupID, store.ErrNotFound)
	}
	return maxSeq, err
}

// UpdateGroup implements store.GroupAdmin.
func (s *Store) UpdateGroup(ctx context.Context, groupID string, u store.GroupUpdate) (*protocol.Group, error) {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockGroup(ctx, tx, groupID); err != nil {
			return err
		}
		var sets []string
		var args []any
		add := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, col+" = $"+strconv.Itoa(len(args)))
		}
		for _, f := range []struct {
			col string
			v   *string
		}{{"name", u.Name}, {"face_url", u.FaceURL}, {"introduction", u.Introduction}, {"notification", u.Notification}, {"join_policy", u.JoinPolicy}} {
			if f.v != nil {
				add(f.col, *f.v)
			}
		}
		if u.IsMuted != nil {
			add("is_muted", *u.IsMuted)
		}
		if u.OwnerUserID != nil {
			var before string
			err := tx.QueryRow(ctx, `SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2 FOR UPDATE`, groupID, *u.OwnerUserID).Scan(&before)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("postgres: %q in group %q: %w", *u.OwnerUserID, groupID, store.ErrNotMember)
			}
			if err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `SELECT user_id FROM group_members WHERE group_id = $1 AND role = $2 AND user_id <> $3`,
				groupID, protocol.RoleOwner, *u.OwnerUserID)
			if err != nil {
				return err
			}
			from, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `UPDATE group_members SET role = $1 WHERE group_id = $2 AND user_id = $3`, protocol.RoleOwner, groupID, *u.OwnerUserID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("postgres: %q in group %q: %w", *u.OwnerUserID, groupID, store.ErrNotMember)
			}
			if _, err := tx.Exec(ctx, `UPDATE group_members SET role = $1 WHERE group_id = $2 AND role = $3 AND user_id <> $4`,
				protocol.RoleMember, groupID, protocol.RoleOwner, *u.OwnerUserID); err != nil {
				return err
			}
			if err := logMemberChanges(ctx, tx, groupID, append([]string{*u.OwnerUserID}, from...)...); err != nil {
				return err
			}
			if err := promoted(ctx, tx, groupID, *u.OwnerUserID, before); err != nil {
				return err
			}
			add("owner_user_id", *u.OwnerUserID)
		}
		if len(sets) == 0 {
			return nil
		}
		args = append(args, groupID)
		_, err := tx.Exec(ctx, `UPDATE groups SET `+strings.Join(sets, ", ")+` WHERE group_id = $`+strconv.Itoa(len(args)), args...)
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNotMember) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: update group: %w", err)
	}
	return s.Group(ctx, groupID)
}

// AddGroupMembers implements store.GroupAdmin.
func (s *Store) AddGroupMembers(ctx context.Context, groupID string, userIDs []string, now int64) ([]string, error) {
	convID := protocol.GroupConversationID(groupID)
	var added []string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		added = nil
		maxSeq, err := lockGroup(ctx, tx, groupID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE user_id = ANY($1)`, dedupe(userIDs)).Scan(&n); err != nil {
			return err
		}
		if n != len(dedupe(userIDs)) {
			return fmt.Errorf("postgres: a user to add: %w", store.ErrNotFound)
		}
		rows, err := tx.Query(ctx, `INSERT INTO group_members (group_id, user_id, role, join_time, join_seq)
			SELECT $1, u, $3, $4, $5 FROM unnest($2::text[]) WITH ORDINALITY AS t(u, i) ORDER BY i
			ON CONFLICT (group_id, user_id) DO NOTHING RETURNING user_id`,
			groupID, dedupe(userIDs), protocol.RoleMember, now, maxSeq+1)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		isNew := map[string]bool{}
		for _, id := range got {
			isNew[id] = true
		}
		for _, id := range dedupe(userIDs) {
			if isNew[id] {
				added = append(added, id)
			}
		}
		if len(added) == 0 {
			return nil
		}
		if err := logMemberChanges(ctx, tx, groupID, added...); err != nil {
			return err
		}
		// Users are locked in user_id order, as AppendMessages does.
		stmts := []struct {
			q    string
			args []any
		}{
			{`SELECT 1 FROM users WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = $1)
				ORDER BY user_id FOR UPDATE`, []any{groupID}},
			{`INSERT INTO user_conversations (user_id, conversation_id, session_type, group_id, min_seq, read_seq, version, update_time)
				SELECT u, $2, $3, $4, $5, $6, 0, $7 FROM unnest($1::text[]) AS u
				ON CONFLICT (user_id, conversation_id) DO UPDATE SET removed_seq = NULL, min_seq = excluded.min_seq,
					read_seq = excluded.read_seq, update_time = excluded.update_time`,
				[]any{added, convID, string(protocol.SessionGroup), groupID, maxSeq + 1, maxSeq, now}},
			{`UPDATE users SET change_version = change_version + 1
				WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = $1)`, []any{groupID}},
			{`UPDATE user_conversations uc SET version = u.change_version, group_version = u.change_version
				FROM users u JOIN group_members gm ON gm.user_id = u.user_id AND gm.group_id = $1
				WHERE uc.user_id = u.user_id AND uc.conversation_id = $2`, []any{groupID, convID}},
		}
		for _, st := range stmts {
			if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: add members: %w", err)
	}
	return added, nil
}

// dedupe returns ids without repeats, in first-seen order.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// setMember runs one UPDATE of a membership and logs it; ErrNotMember
// when none. It locks the group's conversation row first, as every other
// change of members does, so that their locks come in one order.
func (s *Store) setMember(ctx context.Context, groupID, userID, col string, v any) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM conversations WHERE conversation_id = $1 FOR UPDATE`, protocol.GroupConversationID(groupID)); err != nil {
			return fmt.Errorf("postgres: set member %s: %w", col, err)
		}
		tag, err := tx.Exec(ctx, `UPDATE group_members SET `+col+` = $1 WHERE group_id = $2 AND user_id = $3`, v, groupID, userID)
		if err != nil {
			return fmt.Errorf("postgres: set member %s: %w", col, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: %q in group %q: %w", userID, groupID, store.ErrNotMember)
		}
		return logMemberChanges(ctx, tx, groupID, userID)
	})
}

// logMemberChanges bumps the group's member version once for each of
// userIDs and logs each under its version, keeping the last
// store.GroupMemberChangeLog (store.GroupMemberLog).
func logMemberChanges(ctx context.Context, tx pgx.Tx, groupID string, userIDs ...string) error {
	if len(userIDs) == 0 {
		return nil
	}
	var v int64
	for _, id := range userIDs {
		if err := tx.QueryRow(ctx, `UPDATE groups SET member_version = member_version + 1 WHERE group_id = $1 RETURNING member_version`,
			groupID).Scan(&v); err != nil {
			return fmt.Errorf("postgres: member version: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO group_member_changes (group_id, version, user_id) VALUES ($1, $2, $3)`, groupID, v, id); err != nil {
			return fmt.Errorf("postgres: member change: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM group_member_changes WHERE group_id = $1 AND version <= $2`, groupID, v-store.GroupMemberChangeLog); err != nil {
		return fmt.Errorf("postgres: member changes: %w", err)
	}
	return nil
}

var _ store.GroupMemberLog = (*Store)(nil)

// GroupMemberChanges implements store.GroupMemberLog.
func (s *Store) GroupMemberChanges(ctx context.Context, groupID string, since int64, limit int) ([]store.GroupMemberChange, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.version, c.user_id, m.role, m.join_time, m.nickname, m.mute_end_time
		FROM group_member_changes c LEFT JOIN group_members m ON m.group_id = c.group_id AND m.user_id = c.user_id
		WHERE c.group_id = $1 AND c.version > $2 ORDER BY c.version LIMIT $3`, groupID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: member changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.GroupMemberChange, error) {
		var ch store.GroupMemberChange
		var role, nickname *string
		var joinTime, muteEnd *int64
		if err := r.Scan(&ch.Version, &ch.UserID, &role, &joinTime, &nickname, &muteEnd); err != nil {
			return ch, err
		}
		if role != nil {
			ch.Member = &protocol.GroupMember{GroupID: groupID, UserID: ch.UserID, Role: *role, JoinTime: deref(joinTime),
				Nickname: deref(nickname), MuteEndTime: deref(muteEnd)}
		}
		return ch, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: member changes: %w", err)
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// SetGroupMemberRole implements store.GroupAdmin.
func (s *Store) SetGroupMemberRole(ctx context.Context, groupID, userID, role string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM conversations WHERE conversation_id = $1 FOR UPDATE`, protocol.GroupConversationID(groupID)); err != nil {
			return fmt.Errorf("postgres: set member role: %w", err)
		}
		var before string
		err := tx.QueryRow(ctx, `SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2 FOR UPDATE`, groupID, userID).Scan(&before)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: %q in group %q: %w", userID, groupID, store.ErrNotMember)
		}
		if err != nil {
			return fmt.Errorf("postgres: member role: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE group_members SET role = $1 WHERE group_id = $2 AND user_id = $3`, role, groupID, userID); err != nil {
			return fmt.Errorf("postgres: set member role: %w", err)
		}
		if err := logMemberChanges(ctx, tx, groupID, userID); err != nil {
			return err
		}
		if role == protocol.RoleMember {
			return nil
		}
		return promoted(ctx, tx, groupID, userID, before)
	})
}

// SetGroupMemberMute implements store.GroupAdmin.
func (s *Store) SetGroupMemberMute(ctx context.Context, groupID, userID string, end int64) error {
	return s.setMember(ctx, groupID, userID, "mute_end_time", end)
}

// SetGroupMemberNickname implements store.GroupAdmin.
func (s *Store) SetGroupMemberNickname(ctx context.Context, groupID, userID, nickname string) error {
	return s.setMember(ctx, groupID, userID, "nickname", nickname)
}

// GroupSendMuted implements store.GroupAdmin.
func (s *Store) GroupSendMuted(ctx context.Context, groupID, userID string, now int64) (bool, error) {
	var muted bool
	err := s.pool.QueryRow(ctx, `SELECT gm.mute_end_time > $1 OR (g.is_muted AND gm.role = $2)
		FROM group_members gm JOIN groups g ON g.group_id = gm.group_id WHERE gm.group_id = $3 AND gm.user_id = $4`,
		now, protocol.RoleMember, groupID, userID).Scan(&muted)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: send muted: %w", err)
	}
	return muted, nil
}

// DismissGroup implements store.GroupAdmin.
func (s *Store) DismissGroup(ctx context.Context, groupID string) ([]string, error) {
	convID := protocol.GroupConversationID(groupID)
	var members []string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := lockGroup(ctx, tx, groupID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT user_id FROM users WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = $1)
			ORDER BY user_id FOR UPDATE`, groupID)
		if err != nil {
			return err
		}
		if members, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE groups SET status = 1 WHERE group_id = $1`,
			`UPDATE users SET change_version = change_version + 1
				WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = $1)`,
			`UPDATE user_conversations uc SET version = u.change_version, group_version = u.change_version,
				removed_seq = (SELECT max_seq FROM conversations WHERE conversation_id = $2)
				FROM users u JOIN group_members gm ON gm.user_id = u.user_id AND gm.group_id = $1
				WHERE uc.user_id = u.user_id AND uc.conversation_id = $2`,
			`DELETE FROM group_members WHERE group_id = $1`,
			`DELETE FROM group_member_changes WHERE group_id = $1`,
			`DELETE FROM group_applications WHERE group_id = $1 AND state = 'pending'`,
		} {
			args := []any{groupID}
			if strings.Contains(q, "$2") {
				args = append(args, convID)
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: dismiss group: %w", err)
	}
	return members, nil
}

// PutGroupApplication implements store.GroupAdmin.
func (s *Store) PutGroupApplication(ctx context.Context, a protocol.GroupApplication) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO group_applications (group_id, user_id, message, state, create_time, handle_time)
			VALUES ($1, $2, $3, $4, $5, 0)
			ON CONFLICT (group_id, user_id) DO UPDATE SET message = excluded.message, state = excluded.state,
				create_time = excluded.create_time, handle_time = 0`,
			a.GroupID, a.UserID, a.Message, protocol.ApplicationPending, a.CreateTime)
		if err != nil {
			return fmt.Errorf("postgres: put application: %w", err)
		}
		return applicationChanged(ctx, tx, a.GroupID, a.UserID)
	})
}

const appCols = `a.group_id, a.user_id, a.message, a.state, a.create_time, a.handle_time`

func scanApp(row pgx.Row) (protocol.GroupApplication, error) {
	var a protocol.GroupApplication
	err := row.Scan(&a.GroupID, &a.UserID, &a.Message, &a.State, &a.CreateTime, &a.HandleTime)
	return a, err
}

// GroupApplication implements store.GroupAdmin.
func (s *Store) GroupApplication(ctx context.Context, groupID, userID string) (*protocol.GroupApplication, error) {
	a, err := scanApp(s.pool.QueryRow(ctx, `SELECT `+appCols+` FROM group_applications a WHERE a.group_id = $1 AND a.user_id = $2`, groupID, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: application %q to %q: %w", userID, groupID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: application: %w", err)
	}
	return &a, nil
}

// DecideGroupApplication implements store.GroupAdmin.
func (s *Store) DecideGroupApplication(ctx context.Context, groupID, userID, state string, now int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE group_applications SET state = $1, handle_time = $2
			WHERE group_id = $3 AND user_id = $4 AND state = $5`, state, now, groupID, userID, protocol.ApplicationPending)
		if err != nil {
			return fmt.Errorf("postgres: decide application: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: pending application %q to %q: %w", userID, groupID, store.ErrNotFound)
		}
		return applicationChanged(ctx, tx, groupID, userID)
	})
}

// GroupApplications implements store.GroupAdmin.
func (s *Store) GroupApplications(ctx context.Context, userID string, limit int) ([]protocol.GroupApplication, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+appCols+` FROM group_applications a WHERE a.user_id = $1
		OR a.group_id IN (SELECT group_id FROM group_members WHERE user_id = $1 AND role IN ('owner', 'admin'))
		ORDER BY GREATEST(a.create_time, a.handle_time) DESC, a.group_id, a.user_id LIMIT $2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: applications: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.GroupApplication, error) { return scanApp(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: applications: %w", err)
	}
	if out == nil {
		out = []protocol.GroupApplication{}
	}
	return out, nil
}

// GroupPendingApplications implements store.GroupAdmin.
func (s *Store) GroupPendingApplications(ctx context.Context, groupID string, limit int) ([]protocol.GroupApplication, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+appCols+` FROM group_applications a WHERE a.group_id = $1 AND a.state = $2
		ORDER BY a.create_time DESC, a.user_id LIMIT $3`, groupID, protocol.ApplicationPending, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: group pending applications: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (protocol.GroupApplication, error) { return scanApp(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: group pending applications: %w", err)
	}
	if out == nil {
		out = []protocol.GroupApplication{}
	}
	return out, nil
}

// PendingApplications implements store.GroupAdmin.
func (s *Store) PendingApplications(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM group_applications WHERE user_id = $1 AND state = $2`,
		userID, protocol.ApplicationPending).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: pending applications: %w", err)
	}
	return n, nil
}

// BanGroupUser implements store.GroupAdmin.
func (s *Store) BanGroupUser(ctx context.Context, groupID, userID string, now int64) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO group_bans (group_id, user_id, create_time) VALUES ($1, $2, $3)
		ON CONFLICT (group_id, user_id) DO NOTHING`, groupID, userID, now)
	if err != nil {
		return fmt.Errorf("postgres: ban: %w", err)
	}
	return nil
}

// UnbanGroupUser implements store.GroupAdmin.
func (s *Store) UnbanGroupUser(ctx context.Context, groupID, userID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM group_bans WHERE group_id = $1 AND user_id = $2`, groupID, userID); err != nil {
		return fmt.Errorf("postgres: unban: %w", err)
	}
	return nil
}

// GroupBanned implements store.GroupAdmin.
func (s *Store) GroupBanned(ctx context.Context, groupID, userID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM group_bans WHERE group_id = $1 AND user_id = $2)`, groupID, userID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: banned: %w", err)
	}
	return ok, nil
}
