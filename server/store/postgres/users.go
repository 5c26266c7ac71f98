package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"parley/server/store"
)

const userCols = `user_id, COALESCE(username, ''), COALESCE(password_hash, '\x'::bytea), nickname, face_url, create_time, token_generation, ex, profile_version, disabled, social_version`

func scanUser(row pgx.Row) (*store.User, error) {
	var u store.User
	if err := row.Scan(&u.UserID, &u.Username, &u.PasswordHash, &u.Nickname, &u.FaceURL, &u.CreateTime, &u.TokenGeneration, &u.Ex, &u.ProfileVersion, &u.Disabled, &u.SocialVersion); err != nil {
		return nil, err
	}
	return &u, nil
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateUser implements store.Users.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	var hash []byte
	if len(u.PasswordHash) > 0 {
		hash = u.PasswordHash
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO users (user_id, username, username_lower, password_hash, nickname, face_url, create_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.UserID, nullIfEmpty(u.Username), nullIfEmpty(u.Username), hash, u.Nickname, u.FaceURL, u.CreateTime)
	if isUnique(err) {
		return fmt.Errorf("postgres: user %q: %w", u.UserID, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	return nil
}

// User implements store.Users.
func (s *Store) User(ctx context.Context, userID string) (*store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE user_id = $1`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: user %q: %w", userID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: user: %w", err)
	}
	return u, nil
}

// UserByUsername implements store.Users.
func (s *Store) UserByUsername(ctx context.Context, username string) (*store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username_lower = $1`, username))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: username %q: %w", username, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: user by name: %w", err)
	}
	return u, nil
}

// Users implements store.Users.
func (s *Store) Users(ctx context.Context, ids []string) ([]*store.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE user_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	return out, nil
}

// UpdateProfile implements store.Users.
func (s *Store) UpdateProfile(ctx context.Context, userID string, nickname, faceURL *string) (*store.User, error) {
	return s.UpdateUserProfile(ctx, userID, store.ProfileChange{Nickname: nickname, FaceURL: faceURL})
}

// RevokeToken implements store.Tokens. It also forgets revocations of
// tokens that have expired anyway.
func (s *Store) RevokeToken(ctx context.Context, tokenID, userID string, expiresAt int64) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM revoked_tokens WHERE expires_at < $1`, time.Now().UnixMilli()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO revoked_tokens (token_id, user_id, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (token_id) DO NOTHING`, tokenID, userID, expiresAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: revoke: %w", err)
	}
	return nil
}

// TokenRevoked implements store.Tokens.
func (s *Store) TokenRevoked(ctx context.Context, tokenID string) (bool, error) {
	var revoked bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = $1)`, tokenID).Scan(&revoked)
	if err != nil {
		return false, fmt.Errorf("postgres: token revoked: %w", err)
	}
	return revoked, nil
}

// BumpTokenGeneration implements store.Tokens.
func (s *Store) BumpTokenGeneration(ctx context.Context, userID string) (int64, error) {
	var gen int64
	err := s.pool.QueryRow(ctx, `UPDATE users SET token_generation = token_generation + 1 WHERE user_id = $1 RETURNING token_generation`,
		userID).Scan(&gen)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: user %q: %w", userID, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: bump token generation: %w", err)
	}
	return gen, nil
}

// Secret implements store.Secrets. Nodes racing to create the same secret
// all end up with the one that was inserted first.
func (s *Store) Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error) {
	var val []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&val)
	if err == nil {
		return val, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: secret %q: %w", name, err)
	}
	fresh, err := gen()
	if err != nil {
		return nil, fmt.Errorf("postgres: secret %q: %w", name, err)
	}
	// Insert unless another node was first, then read whichever won (a
	// new statement, so that it sees the winner's commit).
	_, err = s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh)
	if err == nil {
		err = s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&val)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: secret %q: %w", name, err)
	}
	return val, nil
}
