package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

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

var _ store.Profiles = (*Store)(nil)

// UpdateUserProfile implements store.Profiles.
func (s *Store) UpdateUserProfile(ctx context.Context, userID string, ch store.ProfileChange) (*store.User, error) {
	var u *store.User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var v int64
		if err := tx.QueryRowContext(ctx, `UPDATE profile_counter SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&v); err != nil {
			return fmt.Errorf("sqlite: profile counter: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET nickname = COALESCE(?, nickname), face_url = COALESCE(?, face_url),
			ex = COALESCE(?, ex), profile_version = ? WHERE user_id = ?`,
			nickString(ch.Nickname), nickString(ch.FaceURL), nickString(ch.Ex), v, userID)
		if err != nil {
			return fmt.Errorf("sqlite: update profile: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: user %q: %w", userID, store.ErrNotFound)
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE user_id = ?`, userID))
		return err
	})
	return u, err
}

// relatedSQL selects the users related to ?1: friends and fellow members.
const relatedSQL = `SELECT friend_user_id FROM friends WHERE user_id = ?1
	UNION SELECT m2.user_id FROM group_members m1 JOIN group_members m2 ON m2.group_id = m1.group_id WHERE m1.user_id = ?1`

// ChangedProfiles implements store.Profiles. It reads the profiles
// changed since the cursor (users_profile_version) and keeps the related
// ones.
func (s *Store) ChangedProfiles(ctx context.Context, userID string, since int64, limit int) ([]*store.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE profile_version > ?2
		AND (user_id = ?1 OR user_id IN (`+relatedSQL+`)) ORDER BY profile_version LIMIT ?3`, userID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changed profiles: %w", err)
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: changed profiles: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// RelatedUserIDs implements store.Profiles.
func (s *Store) RelatedUserIDs(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM (SELECT friend_user_id AS id FROM friends WHERE user_id = ?1
		UNION SELECT m2.user_id FROM group_members m1 JOIN group_members m2 ON m2.group_id = m1.group_id WHERE m1.user_id = ?1)
		WHERE id <> ?1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: related users: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: related users: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

var _ store.Search = (*Store)(nil)

// SearchUsers implements store.Search: the username branch is a range on
// username_lower's index, the nickname branch a trigram MATCH.
func (s *Store) SearchUsers(ctx context.Context, keyword string, offset, limit int) ([]*store.User, error) {
	q := `SELECT user_id FROM users WHERE searchable = 1 AND username_lower >= ? AND username_lower < ?`
	args := []any{keyword, keyword + "\x7f"}
	if utf8.RuneCountInString(keyword) >= store.MinNicknameSearch {
		q = `SELECT user_id, 0 AS rk FROM users WHERE searchable = 1 AND username_lower >= ? AND username_lower < ?
			UNION ALL SELECT u.user_id, 1 FROM users_nick JOIN users u ON u.rowid = users_nick.rowid
			WHERE users_nick MATCH ? AND u.searchable = 1`
		args = append(args, `"`+strings.ReplaceAll(keyword, `"`, `""`)+`"`)
	} else {
		q = `SELECT user_id, 0 AS rk FROM (` + q + `)`
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM (`+q+`) m JOIN users USING (user_id)
		GROUP BY user_id ORDER BY MIN(rk), user_id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: search users: %w", err)
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: search users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetSearchable implements store.Search.
func (s *Store) SetSearchable(ctx context.Context, userID string, searchable bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET searchable = ? WHERE user_id = ?`, searchable, userID)
		if err != nil {
			return fmt.Errorf("sqlite: searchable: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: user %q: %w", userID, store.ErrNotFound)
		}
		return nil
	})
}

var _ store.Accounts = (*Store)(nil)

// SetDisabled implements store.Accounts.
func (s *Store) SetDisabled(ctx context.Context, userID string, disabled bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE user_id = ?`, disabled, userID)
		if err != nil {
			return fmt.Errorf("sqlite: disable: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("sqlite: user %q: %w", userID, store.ErrNotFound)
		}
		return nil
	})
}

var _ store.SocialVersions = (*Store)(nil)

// RecordSocialChanges implements store.SocialVersions.
func (s *Store) RecordSocialChanges(ctx context.Context, changes ...store.SocialChange) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return recordSocialChanges(ctx, tx, changes) })
}

// recordSocialChanges is RecordSocialChanges within tx, so that a change
// and its log entries commit together.
func recordSocialChanges(ctx context.Context, tx *sql.Tx, changes []store.SocialChange) error {
	for _, ch := range changes {
		var v int64
		err := tx.QueryRowContext(ctx, `UPDATE users SET social_version = social_version + 1 WHERE user_id = ? RETURNING social_version`, ch.UserID).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO social_changes (user_id, version, other_user_id, group_id) VALUES (?, ?, ?, ?)`,
				ch.UserID, v, ch.OtherUserID, ch.GroupID)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM social_changes WHERE user_id = ? AND version <= ?`, ch.UserID, v-store.SocialChangeLog)
		}
		if err != nil {
			return fmt.Errorf("sqlite: social change: %w", err)
		}
	}
	return nil
}

// applicationChanged records, within tx, that the application of userID
// to groupID changed, for the applicant and the group's owner and admins.
func applicationChanged(ctx context.Context, tx *sql.Tx, groupID, userID string) error {
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM group_members WHERE group_id = ? AND role IN ('owner', 'admin') ORDER BY user_id`, groupID)
	if err != nil {
		return fmt.Errorf("sqlite: application deciders: %w", err)
	}
	defer rows.Close()
	chs := []store.SocialChange{{UserID: userID, OtherUserID: userID, GroupID: groupID}}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("sqlite: application deciders: %w", err)
		}
		chs = append(chs, store.SocialChange{UserID: id, OtherUserID: userID, GroupID: groupID})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: application deciders: %w", err)
	}
	rows.Close()
	return recordSocialChanges(ctx, tx, chs)
}

// promoted records, within tx, for userID whose role in groupID was before
// and is now a decider's, a change for each of the group's pending
// applications (the newest store.PromotionApplicationsLogged), so that
// their devices learn the applications made before they could decide.
func promoted(ctx context.Context, tx *sql.Tx, groupID, userID, before string) error {
	if before != protocol.RoleMember {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM group_applications WHERE group_id = ? AND state = ?
		ORDER BY create_time DESC, user_id LIMIT ?`, groupID, protocol.ApplicationPending, store.PromotionApplicationsLogged)
	if err != nil {
		return fmt.Errorf("sqlite: pending applications: %w", err)
	}
	defer rows.Close()
	var chs []store.SocialChange
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("sqlite: pending applications: %w", err)
		}
		chs = append(chs, store.SocialChange{UserID: userID, OtherUserID: id, GroupID: groupID})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: pending applications: %w", err)
	}
	rows.Close()
	return recordSocialChanges(ctx, tx, chs)
}

// SocialChanges implements store.SocialVersions.
func (s *Store) SocialChanges(ctx context.Context, userID string, since int64, limit int) ([]store.SocialChange, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT version, other_user_id, group_id FROM social_changes
		WHERE user_id = ? AND version > ? ORDER BY version LIMIT ?`, userID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: social changes: %w", err)
	}
	defer rows.Close()
	var out []store.SocialChange
	for rows.Next() {
		ch := store.SocialChange{UserID: userID}
		if err := rows.Scan(&ch.Version, &ch.OtherUserID, &ch.GroupID); err != nil {
			return nil, fmt.Errorf("sqlite: social changes: %w", err)
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// Friend implements store.SocialVersions.
func (s *Store) Friend(ctx context.Context, userID, friendID string) (*store.Friend, error) {
	f := store.Friend{FriendUserID: friendID}
	err := s.r.QueryRowContext(ctx, `SELECT remark, create_time FROM friends WHERE user_id = ? AND friend_user_id = ?`,
		userID, friendID).Scan(&f.Remark, &f.CreateTime)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: friend %q of %q: %w", friendID, userID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: friend: %w", err)
	}
	return &f, nil
}
