package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"parley/protocol"
	"parley/server/store"
)

var _ store.FriendLifecycle = (*Store)(nil)

// RefuseFriendRequest implements store.FriendLifecycle.
func (s *Store) RefuseFriendRequest(ctx context.Context, from, to string, now int64) (*store.FriendRequest, error) {
	r, err := scanFR(s.pool.QueryRow(ctx, `UPDATE friend_requests SET state = $1, handle_time = $2
		WHERE from_user_id = $3 AND to_user_id = $4 AND state = $5 RETURNING `+frCols,
		protocol.FriendRequestRefused, now, from, to, protocol.FriendRequestPending))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: pending request %q->%q: %w", from, to, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: refuse friend: %w", err)
	}
	return &r, nil
}

// DeleteFriend implements store.FriendLifecycle.
func (s *Store) DeleteFriend(ctx context.Context, a, b string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM friends WHERE (user_id = $1 AND friend_user_id = $2) OR (user_id = $2 AND friend_user_id = $1)`, a, b)
	if err != nil {
		return fmt.Errorf("postgres: delete friend: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %q and %q: %w", a, b, store.ErrNotFound)
	}
	return nil
}

// SetFriendRemark implements store.FriendLifecycle.
func (s *Store) SetFriendRemark(ctx context.Context, userID, friendID, remark string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE friends SET remark = $1 WHERE user_id = $2 AND friend_user_id = $3`, remark, userID, friendID)
	if err != nil {
		return fmt.Errorf("postgres: friend remark: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %q and %q: %w", userID, friendID, store.ErrNotFound)
	}
	return nil
}

// Friends implements store.FriendLifecycle.
func (s *Store) Friends(ctx context.Context, userID string) ([]store.Friend, error) {
	rows, err := s.pool.Query(ctx, `SELECT friend_user_id, remark, create_time FROM friends
		WHERE user_id = $1 ORDER BY create_time, friend_user_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: friends: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Friend, error) {
		var f store.Friend
		err := r.Scan(&f.FriendUserID, &f.Remark, &f.CreateTime)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: friends: %w", err)
	}
	return out, nil
}

// AllFriendRequests implements store.FriendLifecycle.
func (s *Store) AllFriendRequests(ctx context.Context, userID string, limit int) ([]store.FriendRequest, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+frCols+` FROM friend_requests
		WHERE from_user_id = $1 OR to_user_id = $1
		ORDER BY GREATEST(create_time, handle_time) DESC, from_user_id, to_user_id LIMIT $2`,
		userID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: friend requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FriendRequest, error) { return scanFR(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: friend requests: %w", err)
	}
	return out, nil
}

var _ store.BlockList = (*Store)(nil)

// BlockedUsers implements store.BlockList.
func (s *Store) BlockedUsers(ctx context.Context, owner string, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT block_user_id FROM blacklist WHERE owner_user_id = $1
		ORDER BY create_time DESC, block_user_id LIMIT $2`, owner, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: blocked users: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: blocked users: %w", err)
	}
	return ids, nil
}

var _ store.Profiles = (*Store)(nil)

// UpdateUserProfile implements store.Profiles. The counter's row lock
// orders profile changes: versions commit in the order they are taken, so
// a reader past a version never misses a lower one committed later.
func (s *Store) UpdateUserProfile(ctx context.Context, userID string, ch store.ProfileChange) (*store.User, error) {
	var u *store.User
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var v int64
		if err := tx.QueryRow(ctx, `UPDATE profile_counter SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&v); err != nil {
			return fmt.Errorf("postgres: profile counter: %w", err)
		}
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `UPDATE users SET nickname = COALESCE($1, nickname), face_url = COALESCE($2, face_url),
			ex = COALESCE($3, ex), profile_version = $4 WHERE user_id = $5 RETURNING `+userCols,
			ch.Nickname, ch.FaceURL, ch.Ex, v, userID))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: user %q: %w", userID, store.ErrNotFound)
		}
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("postgres: update profile: %w", err)
	}
	return u, err
}

const relatedSQL = `SELECT friend_user_id FROM friends WHERE user_id = $1
	UNION SELECT m2.user_id FROM group_members m1 JOIN group_members m2 ON m2.group_id = m1.group_id WHERE m1.user_id = $1`

// ChangedProfiles implements store.Profiles.
func (s *Store) ChangedProfiles(ctx context.Context, userID string, since int64, limit int) ([]*store.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE profile_version > $2
		AND (user_id = $1 OR user_id IN (`+relatedSQL+`)) ORDER BY profile_version LIMIT $3`, userID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: changed profiles: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: changed profiles: %w", err)
	}
	return out, nil
}

// RelatedUserIDs implements store.Profiles.
func (s *Store) RelatedUserIDs(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM (`+relatedSQL+`) r(id) WHERE id <> $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: related users: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: related users: %w", err)
	}
	return ids, nil
}

var _ store.Search = (*Store)(nil)

// likeEscaper escapes LIKE's wildcards (and its escape character).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchUsers implements store.Search: users_username_prefix serves the
// username branch, users_nickname_trgm the nickname branch.
func (s *Store) SearchUsers(ctx context.Context, keyword string, offset, limit int) ([]*store.User, error) {
	pat := likeEscaper.Replace(keyword)
	q := `SELECT user_id, 0 AS rk FROM users WHERE searchable AND username_lower LIKE $1 || '%'`
	if utf8.RuneCountInString(keyword) >= store.MinNicknameSearch {
		q += ` UNION ALL SELECT user_id, 1 FROM users WHERE searchable AND lower(nickname) LIKE '%' || $1 || '%'`
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users JOIN (SELECT user_id, MIN(rk) AS rk FROM (`+q+`) m GROUP BY user_id) r USING (user_id)
		ORDER BY r.rk, user_id LIMIT $2 OFFSET $3`, pat, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("postgres: search users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: search users: %w", err)
	}
	return out, nil
}

// SetSearchable implements store.Search.
func (s *Store) SetSearchable(ctx context.Context, userID string, searchable bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET searchable = $1 WHERE user_id = $2`, searchable, userID)
	if err != nil {
		return fmt.Errorf("postgres: searchable: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: user %q: %w", userID, store.ErrNotFound)
	}
	return nil
}

var _ store.Accounts = (*Store)(nil)

// SetDisabled implements store.Accounts.
func (s *Store) SetDisabled(ctx context.Context, userID string, disabled bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET disabled = $1 WHERE user_id = $2`, disabled, userID)
	if err != nil {
		return fmt.Errorf("postgres: disable: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: user %q: %w", userID, store.ErrNotFound)
	}
	return nil
}

var _ store.SocialVersions = (*Store)(nil)

// RecordSocialChanges implements store.SocialVersions.
func (s *Store) RecordSocialChanges(ctx context.Context, changes ...store.SocialChange) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return recordSocialChanges(ctx, tx, changes) })
}

// recordSocialChanges is RecordSocialChanges within tx, so that a change
// and its log entries commit together. Users are updated in key order, so
// that concurrent changes of the same users cannot deadlock.
func recordSocialChanges(ctx context.Context, tx pgx.Tx, changes []store.SocialChange) error {
	changes = slices.Clone(changes)
	slices.SortStableFunc(changes, func(a, b store.SocialChange) int { return strings.Compare(a.UserID, b.UserID) })
	for _, ch := range changes {
		var v int64
		err := tx.QueryRow(ctx, `UPDATE users SET social_version = social_version + 1 WHERE user_id = $1 RETURNING social_version`, ch.UserID).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err == nil {
			_, err = tx.Exec(ctx, `INSERT INTO social_changes (user_id, version, other_user_id, group_id) VALUES ($1, $2, $3, $4)`,
				ch.UserID, v, ch.OtherUserID, ch.GroupID)
		}
		if err == nil {
			_, err = tx.Exec(ctx, `DELETE FROM social_changes WHERE user_id = $1 AND version <= $2`, ch.UserID, v-store.SocialChangeLog)
		}
		if err != nil {
			return fmt.Errorf("postgres: social change: %w", err)
		}
	}
	return nil
}

// applicationChanged records, within tx, that the application of userID
// to groupID changed, for the applicant and the group's owner and admins.
func applicationChanged(ctx context.Context, tx pgx.Tx, groupID, userID string) error {
	rows, err := tx.Query(ctx, `SELECT user_id FROM group_members WHERE group_id = $1 AND role IN ('owner', 'admin') ORDER BY user_id`, groupID)
	if err != nil {
		return fmt.Errorf("postgres: application deciders: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: application deciders: %w", err)
	}
	chs := []store.SocialChange{{UserID: userID, OtherUserID: userID, GroupID: groupID}}
	for _, id := range ids {
		chs = append(chs, store.SocialChange{UserID: id, OtherUserID: userID, GroupID: groupID})
	}
	return recordSocialChanges(ctx, tx, chs)
}

// promoted records, within tx, for userID whose role in groupID was before
// and is now a decider's, a change for each of the group's pending
// applications (the newest store.PromotionApplicationsLogged), so that
// their devices learn the applications made before they could decide.
func promoted(ctx context.Context, tx pgx.Tx, groupID, userID, before string) error {
	if before != protocol.RoleMember {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT user_id FROM group_applications WHERE group_id = $1 AND state = $2
		ORDER BY create_time DESC, user_id LIMIT $3`, groupID, protocol.ApplicationPending, store.PromotionApplicationsLogged)
	if err != nil {
		return fmt.Errorf("postgres: pending applications: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: pending applications: %w", err)
	}
	chs := make([]store.SocialChange, 0, len(ids))
	for _, id := range ids {
		chs = append(chs, store.SocialChange{UserID: userID, OtherUserID: id, GroupID: groupID})
	}
	return recordSocialChanges(ctx, tx, chs)
}

// SocialChanges implements store.SocialVersions.
func (s *Store) SocialChanges(ctx context.Context, userID string, since int64, limit int) ([]store.SocialChange, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, other_user_id, group_id FROM social_changes
		WHERE user_id = $1 AND version > $2 ORDER BY version LIMIT $3`, userID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: social changes: %w", err)
	}
	defer rows.Close()
	var out []store.SocialChange
	for rows.Next() {
		ch := store.SocialChange{UserID: userID}
		if err := rows.Scan(&ch.Version, &ch.OtherUserID, &ch.GroupID); err != nil {
			return nil, fmt.Errorf("postgres: social changes: %w", err)
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// Friend implements store.SocialVersions.
func (s *Store) Friend(ctx context.Context, userID, friendID string) (*store.Friend, error) {
	f := store.Friend{FriendUserID: friendID}
	err := s.pool.QueryRow(ctx, `SELECT remark, create_time FROM friends WHERE user_id = $1 AND friend_user_id = $2`,
		userID, friendID).Scan(&f.Remark, &f.CreateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: friend %q of %q: %w", friendID, userID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: friend: %w", err)
	}
	return &f, nil
}
