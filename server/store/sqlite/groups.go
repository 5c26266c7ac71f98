package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"parley/protocol"
	"parley/server/store"
)

var _ store.GroupAdmin = (*Store)(nil)

// UpdateGroup implements store.GroupAdmin.
func (s *Store) UpdateGroup(ctx context.Context, groupID string, u store.GroupUpdate) (*protocol.Group, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var status int
		err := tx.QueryRowContext(ctx, `SELECT status FROM groups WHERE group_id = ?`, groupID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || status == 1 {
			return fmt.Errorf("sqlite: group %q: %w", groupID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var sets []string
		var args []any
		for _, f := range []struct {
			col string
			v   *string
		}{{"name", u.Name}, {"face_url", u.FaceURL}, {"introduction", u.Introduction}, {"notification", u.Notification}, {"join_policy", u.JoinPolicy}} {
			if f.v != nil {
				sets, args = append(sets, f.col+" = ?"), append(args, *f.v)
			}
		}
		if u.IsMuted != nil {
			sets, args = append(sets, "is_muted = ?"), append(args, *u.IsMuted)
		}
		if u.OwnerUserID != nil {
			if err := transferOwner(ctx, tx, groupID, *u.OwnerUserID); err != nil {
				return err
			}
			sets, args = append(sets, "owner_user_id = ?"), append(args, *u.OwnerUserID)
		}
		if len(sets) == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE groups SET `+strings.Join(sets, ", ")+` WHERE group_id = ?`, append(args, groupID)...)
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNotMember) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: update group: %w", err)
	}
	return s.Group(ctx, groupID)
}

func transferOwner(ctx context.Context, tx *sql.Tx, groupID, to string) error {
	var before string
	err := tx.QueryRowContext(ctx, `SELECT role FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, to).Scan(&before)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %q in group %q: %w", to, groupID, store.ErrNotMember)
	}
	if err != nil {
		return err
	}
	var from []string
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM group_members WHERE group_id = ? AND role = ? AND user_id <> ?`, groupID, protocol.RoleOwner, to)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		from = append(from, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?`, protocol.RoleOwner, groupID, to)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: %q in group %q: %w", to, groupID, store.ErrNotMember)
	}
	if _, err = tx.ExecContext(ctx, `UPDATE group_members SET role = ? WHERE group_id = ? AND role = ? AND user_id <> ?`,
		protocol.RoleMember, groupID, protocol.RoleOwner, to); err != nil {
		return err
	}
	if err := logMemberChanges(ctx, tx, groupID, append([]string{to}, from...)...); err != nil {
		return err
	}
	return promoted(ctx, tx, groupID, to, before)
}

// logMemberChanges bumps the group's member version once for each of
// userIDs and logs each under its version, keeping the last
// store.GroupMemberChangeLog (store.GroupMemberLog).
func logMemberChanges(ctx context.Context, tx *sql.Tx, groupID string, userIDs ...string) error {
	if len(userIDs) == 0 {
		return nil
	}
	var v int64
	for _, id := range userIDs {
		if err := tx.QueryRowContext(ctx, `UPDATE groups SET member_version = member_version + 1 WHERE group_id = ? RETURNING member_version`,
			groupID).Scan(&v); err != nil {
			return fmt.Errorf("sqlite: member version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_member_changes (group_id, version, user_id) VALUES (?, ?, ?)`, groupID, v, id); err != nil {
			return fmt.Errorf("sqlite: member change: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM group_member_changes WHERE group_id = ? AND version <= ?`, groupID, v-store.GroupMemberChangeLog); err != nil {
		return fmt.Errorf("sqlite: member changes: %w", err)
	}
	return nil
}

var _ store.GroupMemberLog = (*Store)(nil)

// GroupMemberChanges implements store.GroupMemberLog.
func (s *Store) GroupMemberChanges(ctx context.Context, groupID string, since int64, limit int) ([]store.GroupMemberChange, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT c.version, c.user_id, m.role, m.join_time, m.nickname, m.mute_end_time
		FROM group_member_changes c LEFT JOIN group_members m ON m.group_id = c.group_id AND m.user_id = c.user_id
		WHERE c.group_id = ? AND c.version > ? ORDER BY c.version LIMIT ?`, groupID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: member changes: %w", err)
	}
	defer rows.Close()
	var out []store.GroupMemberChange
	for rows.Next() {
		var ch store.GroupMemberChange
		var role, nickname sql.NullString
		var joinTime, muteEnd sql.NullInt64
		if err := rows.Scan(&ch.Version, &ch.UserID, &role, &joinTime, &nickname, &muteEnd); err != nil {
			return nil, fmt.Errorf("sqlite: member changes: %w", err)
		}
		if role.Valid {
			ch.Member = &protocol.GroupMember{GroupID: groupID, UserID: ch.UserID, Role: role.String, JoinTime: joinTime.Int64,
				Nickname: nickname.String, MuteEndTime: muteEnd.Int64}
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// AddGroupMembers implements store.GroupAdmin.
func (s *Store) AddGroupMembers(ctx context.Context, groupID string, userIDs []string, now int64) ([]string, error) {
	convID := protocol.GroupConversationID(groupID)
	var added []string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var status int
		var maxSeq int64
		err := tx.QueryRowContext(ctx, `SELECT g.status, c.max_seq FROM groups g JOIN conversations c ON c.conversation_id = ?
			WHERE g.group_id = ?`, convID, groupID).Scan(&status, &maxSeq)
		if errors.Is(err, sql.ErrNoRows) || status == 1 {
			return fmt.Errorf("sqlite: group %q: %w", groupID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		for _, id := range userIDs {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE user_id = ?`, id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sqlite: user %q: %w", id, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role, join_time, join_seq) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (group_id, user_id) DO NOTHING`, groupID, id, protocol.RoleMember, now, maxSeq+1)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			added = append(added, id)
			// A returning member's state is kept from before: it starts
			// again past what they missed while away.
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_conversations
				(user_id, conversation_id, session_type, group_id, min_seq, read_seq, version, update_time) VALUES (?, ?, ?, ?, ?, ?, 0, ?)
				ON CONFLICT (user_id, conversation_id) DO UPDATE SET removed_seq = NULL, min_seq = excluded.min_seq,
					read_seq = excluded.read_seq, update_time = excluded.update_time`,
				id, convID, protocol.SessionGroup, groupID, maxSeq+1, maxSeq, now); err != nil {
				return err
			}
		}
		if len(added) == 0 {
			return nil
		}
		if err := logMemberChanges(ctx, tx, groupID, added...); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE users SET change_version = change_version + 1
				WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = ?)`,
			`UPDATE user_conversations SET
				version = (SELECT change_version FROM users u WHERE u.user_id = user_conversations.user_id),
				group_version = (SELECT change_version FROM users u WHERE u.user_id = user_conversations.user_id)
				WHERE conversation_id = ? AND user_id IN (SELECT user_id FROM group_members WHERE group_id = ?)`,
		} {
			args := []any{groupID}
			if strings.Contains(q, "conversation_id = ?") {
				args = []any{convID, groupID}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: add members: %w", err)
	}
	return added, nil
}

// setMember runs one UPDATE of a membership and logs it; ErrNotMember
// when none.
func (s *Store) setMember(ctx context.Context, groupID, userID, set string, v any) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE group_members SET `+set+` = ? WHERE group_id = ? AND user_id = ?`, v, groupID, userID)
		if err != nil {
			return fmt.Errorf("sqlite: set member %s: %w", set, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: %q in group %q: %w", userID, groupID, store.ErrNotMember)
		}
		return logMemberChanges(ctx, tx, groupID, userID)
	})
}

// SetGroupMemberRole implements store.GroupAdmin.
func (s *Store) SetGroupMemberRole(ctx context.Context, groupID, userID, role string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT role FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID).Scan(&before)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: %q in group %q: %w", userID, groupID, store.ErrNotMember)
		}
		if err != nil {
			return fmt.Errorf("sqlite: member role: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?`, role, groupID, userID); err != nil {
			return fmt.Errorf("sqlite: set member role: %w", err)
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
	err := s.r.QueryRowContext(ctx, `SELECT gm.mute_end_time > ? OR (g.is_muted <> 0 AND gm.role = ?)
		FROM group_members gm JOIN groups g ON g.group_id = gm.group_id WHERE gm.group_id = ? AND gm.user_id = ?`,
		now, protocol.RoleMember, groupID, userID).Scan(&muted)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: send muted: %w", err)
	}
	return muted, nil
}

// DismissGroup implements store.GroupAdmin.
func (s *Store) DismissGroup(ctx context.Context, groupID string) ([]string, error) {
	var members []string
	convID := protocol.GroupConversationID(groupID)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE groups SET status = 1 WHERE group_id = ? AND status = 0`, groupID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: group %q: %w", groupID, store.ErrNotFound)
		}
		if members, err = memberIDs(ctx, s.stmts.in(ctx, tx).get(stmtMembers), groupID); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE users SET change_version = change_version + 1
				WHERE user_id IN (SELECT user_id FROM group_members WHERE group_id = ?2)`,
			`UPDATE user_conversations SET
				version = (SELECT change_version FROM users u WHERE u.user_id = user_conversations.user_id),
				group_version = (SELECT change_version FROM users u WHERE u.user_id = user_conversations.user_id),
				removed_seq = (SELECT max_seq FROM conversations WHERE conversation_id = ?1)
				WHERE conversation_id = ?1 AND user_id IN (SELECT user_id FROM group_members WHERE group_id = ?2)`,
			`DELETE FROM group_members WHERE group_id = ?2`,
			`DELETE FROM group_member_changes WHERE group_id = ?2`,
			`DELETE FROM group_applications WHERE group_id = ?2 AND state = 'pending'`,
		} {
			if _, err := tx.ExecContext(ctx, q, convID, groupID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: dismiss group: %w", err)
	}
	return members, nil
}

// PutGroupApplication implements store.GroupAdmin.
func (s *Store) PutGroupApplication(ctx context.Context, a protocol.GroupApplication) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO group_applications (group_id, user_id, message, state, create_time, handle_time)
			VALUES (?, ?, ?, ?, ?, 0)
			ON CONFLICT (group_id, user_id) DO UPDATE SET message = excluded.message, state = excluded.state,
				create_time = excluded.create_time, handle_time = 0`,
			a.GroupID, a.UserID, a.Message, protocol.ApplicationPending, a.CreateTime)
		if err != nil {
			return fmt.Errorf("sqlite: put application: %w", err)
		}
		return applicationChanged(ctx, tx, a.GroupID, a.UserID)
	})
}

const appCols = `a.group_id, a.user_id, a.message, a.state, a.create_time, a.handle_time`

func scanApp(row interface{ Scan(...any) error }) (protocol.GroupApplication, error) {
	var a protocol.GroupApplication
	err := row.Scan(&a.GroupID, &a.UserID, &a.Message, &a.State, &a.CreateTime, &a.HandleTime)
	return a, err
}

// GroupApplication implements store.GroupAdmin.
func (s *Store) GroupApplication(ctx context.Context, groupID, userID string) (*protocol.GroupApplication, error) {
	a, err := scanApp(s.r.QueryRowContext(ctx, `SELECT `+appCols+` FROM group_applications a WHERE a.group_id = ? AND a.user_id = ?`, groupID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: application %q to %q: %w", userID, groupID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: application: %w", err)
	}
	return &a, nil
}

// DecideGroupApplication implements store.GroupAdmin.
func (s *Store) DecideGroupApplication(ctx context.Context, groupID, userID, state string, now int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE group_applications SET state = ?, handle_time = ?
			WHERE group_id = ? AND user_id = ? AND state = ?`, state, now, groupID, userID, protocol.ApplicationPending)
		if err != nil {
			return fmt.Errorf("sqlite: decide application: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: pending application %q to %q: %w", userID, groupID, store.ErrNotFound)
		}
		return applicationChanged(ctx, tx, groupID, userID)
	})
}

// GroupApplications implements store.GroupAdmin.
func (s *Store) GroupApplications(ctx context.Context, userID string, limit int) ([]protocol.GroupApplication, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+appCols+` FROM group_applications a WHERE a.user_id = ?1
		OR a.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?1 AND role IN ('owner', 'admin'))
		ORDER BY max(a.create_time, a.handle_time) DESC, a.group_id, a.user_id LIMIT ?2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: applications: %w", err)
	}
	defer rows.Close()
	out := []protocol.GroupApplication{}
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: applications: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// GroupPendingApplications implements store.GroupAdmin.
func (s *Store) GroupPendingApplications(ctx context.Context, groupID string, limit int) ([]protocol.GroupApplication, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+appCols+` FROM group_applications a WHERE a.group_id = ? AND a.state = ?
		ORDER BY a.create_time DESC, a.user_id LIMIT ?`, groupID, protocol.ApplicationPending, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: group pending applications: %w", err)
	}
	defer rows.Close()
	out := []protocol.GroupApplication{}
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: group pending applications: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PendingApplications implements store.GroupAdmin.
func (s *Store) PendingApplications(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM group_applications WHERE user_id = ? AND state = ?`,
		userID, protocol.ApplicationPending).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: pending applications: %w", err)
	}
	return n, nil
}

// BanGroupUser implements store.GroupAdmin.
func (s *Store) BanGroupUser(ctx context.Context, groupID, userID string, now int64) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO group_bans (group_id, user_id, create_time) VALUES (?, ?, ?)
		ON CONFLICT (group_id, user_id) DO NOTHING`, groupID, userID, now)
	if err != nil {
		return fmt.Errorf("sqlite: ban: %w", err)
	}
	return nil
}

// UnbanGroupUser implements store.GroupAdmin.
func (s *Store) UnbanGroupUser(ctx context.Context, groupID, userID string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM group_bans WHERE group_id = ? AND user_id = ?`, groupID, userID); err != nil {
		return fmt.Errorf("sqlite: unban: %w", err)
	}
	return nil
}

// GroupBanned implements store.GroupAdmin.
func (s *Store) GroupBanned(ctx context.Context, groupID, userID string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM group_bans WHERE group_id = ? AND user_id = ?`, groupID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: banned: %w", err)
	}
	return true, nil
}
