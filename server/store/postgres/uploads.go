package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"parley/server/store"
)

var _ store.Uploads = (*Store)(nil)

const uploadCols = `upload_id, user_id, file_name, mime_type, size, chunk_size, create_time, complete_time`

func scanUpload(row interface{ Scan(...any) error }) (*store.Upload, error) {
	var u store.Upload
	err := row.Scan(&u.UploadID, &u.UserID, &u.FileName, &u.MIMEType, &u.Size, &u.ChunkSize, &u.CreateTime, &u.CompleteTime)
	return &u, err
}

// CreateUpload implements store.Uploads.
func (s *Store) CreateUpload(ctx context.Context, u *store.Upload) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO uploads (`+uploadCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)`,
		u.UploadID, u.UserID, u.FileName, u.MIMEType, u.Size, u.ChunkSize, u.CreateTime)
	if isUnique(err) {
		return fmt.Errorf("postgres: upload %q: %w", u.UploadID, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: create upload: %w", err)
	}
	return nil
}

// Upload implements store.Uploads.
func (s *Store) Upload(ctx context.Context, uploadID string) (*store.Upload, error) {
	u, err := scanUpload(s.pool.QueryRow(ctx, `SELECT `+uploadCols+` FROM uploads WHERE upload_id = $1`, uploadID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: upload %q: %w", uploadID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: upload: %w", err)
	}
	return u, nil
}

// AddUploadChunk implements store.Uploads.
func (s *Store) AddUploadChunk(ctx context.Context, uploadID string, index int) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO upload_chunks (upload_id, idx) VALUES ($1, $2) ON CONFLICT DO NOTHING`, uploadID, index)
	if isForeignKey(err) {
		// The foreign key: no such upload.
		return fmt.Errorf("postgres: upload %q: %w", uploadID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: add upload chunk: %w", err)
	}
	return nil
}

// UploadChunks implements store.Uploads.
func (s *Store) UploadChunks(ctx context.Context, uploadID string) ([]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT idx FROM upload_chunks WHERE upload_id = $1 ORDER BY idx`, uploadID)
	if err != nil {
		return nil, fmt.Errorf("postgres: upload chunks: %w", err)
	}
	defer rows.Close()
	out := []int{}
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return nil, fmt.Errorf("postgres: upload chunks: %w", err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: upload chunks: %w", err)
	}
	return out, nil
}

// CompleteUpload implements store.Uploads.
func (s *Store) CompleteUpload(ctx context.Context, uploadID, mimeType string, now int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE uploads SET mime_type = $1, complete_time = $2 WHERE upload_id = $3 AND complete_time = 0`,
			mimeType, now, uploadID)
		if err != nil {
			return fmt.Errorf("postgres: complete upload: %w", err)
		}
		if res.RowsAffected() == 0 {
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM uploads WHERE upload_id = $1`, uploadID).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("postgres: upload %q: %w", uploadID, store.ErrNotFound)
			}
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM upload_chunks WHERE upload_id = $1`, uploadID); err != nil {
			return fmt.Errorf("postgres: complete upload: %w", err)
		}
		return nil
	})
}

// UserUploadBytes implements store.Uploads.
func (s *Store) UserUploadBytes(ctx context.Context, userID string) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0)::BIGINT FROM uploads WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: user upload bytes: %w", err)
	}
	return n, nil
}

// StaleUploads implements store.Uploads.
func (s *Store) StaleUploads(ctx context.Context, createdBefore int64, limit int) ([]*store.Upload, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+uploadCols+` FROM uploads WHERE complete_time = 0 AND create_time < $1
		ORDER BY create_time LIMIT $2`, createdBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: stale uploads: %w", err)
	}
	defer rows.Close()
	var out []*store.Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: stale uploads: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: stale uploads: %w", err)
	}
	return out, nil
}

// DeleteUpload implements store.Uploads.
func (s *Store) DeleteUpload(ctx context.Context, uploadID string) error {
	// The chunks go with it (ON DELETE CASCADE).
	if _, err := s.pool.Exec(ctx, `DELETE FROM uploads WHERE upload_id = $1`, uploadID); err != nil {
		return fmt.Errorf("postgres: delete upload: %w", err)
	}
	return nil
}

// isForeignKey reports a foreign key violation.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
