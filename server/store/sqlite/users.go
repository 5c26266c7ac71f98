package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/server/store"
)

const userCols = `user_id, COALESCE(username, ''), COALESCE(password_hash, x''), nickname, face_url, create_time, token_generation, change_version, ex, profile_version, disabled, social_version`

func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var u store.User
	if err := row.Scan(&u.UserID, &u.Username, &u.PasswordHash, &u.Nickname, &u.FaceURL, &u.CreateTime, &u.TokenGeneration, &u.ChangeVersion, &u.Ex, &u.ProfileVersion, &u.Disabled, &u.SocialVersion); err != nil {
		return nil, err
	}
	return &u, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	var hash any
	if len(u.PasswordHash) > 0 {
		hash = u.PasswordHash
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (user_id, username, username_lower, password_hash, nickname, face_url, create_time)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.UserID, nullIfEmpty(u.Username), nullIfEmpty(u.Username), hash, u.Nickname, u.FaceURL, u.CreateTime)
	if isConstraint(err) {
		return fmt.Errorf("sqlite: user %q: %w", u.UserID, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	return nil
}

// User implements store.Users.
func (s *Store) User(ctx context.Context, userID string) (*store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE user_id = ?`, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: user %q: %w", userID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: user: %w", err)
	}
	return u, nil
}

// UserByUsername implements store.Users.
func (s *Store) UserByUsername(ctx context.Context, username string) (*store.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username_lower = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: username %q: %w", username, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: user by name: %w", err)
	}
	return u, nil
}

// Users implements store.Users.
func (s *Store) Users(ctx context.Context, ids []string) ([]*store.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE user_id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateProfile implements store.Users.
func (s *Store) UpdateProfile(ctx context.Context, userID string, nickname, faceURL *string) (*store.User, error) {
	return s.UpdateUserProfile(ctx, userID, store.ProfileChange{Nickname: nickname, FaceURL: faceURL})
}

func nickString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// RevokeToken implements store.Tokens. It also forgets revocations of
// tokens that have expired anyway.
func (s *Store) RevokeToken(ctx context.Context, tokenID, userID string, expiresAt int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE expires_at < ?`, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("sqlite: revoke: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO revoked_tokens (token_id, user_id, expires_at) VALUES (?, ?, ?)`,
			tokenID, userID, expiresAt)
		if err != nil {
			return fmt.Errorf("sqlite: revoke: %w", err)
		}
		return nil
	})
}

// TokenRevoked implements store.Tokens.
func (s *Store) TokenRevoked(ctx context.Context, tokenID string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM revoked_tokens WHERE token_id = ?`, tokenID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: token revoked: %w", err)
	}
	return true, nil
}

// BumpTokenGeneration implements store.Tokens.
func (s *Store) BumpTokenGeneration(ctx context.Context, userID string) (int64, error) {
	var gen int64
	err := s.w.QueryRowContext(ctx, `UPDATE users SET token_generation = token_generation + 1 WHERE user_id = ? RETURNING token_generation`, userID).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite: user %q: %w", userID, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: bump token generation: %w", err)
	}
	return gen, nil
}

// Secret implements store.Secrets.
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	var val []byte
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&val)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if val, err = gen(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?)`, name, val)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: secret %q: %w", name, err)
	}
	return val, nil
}
