package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"parley/server/store"
)

var _ store.OfflinePushes = (*Store)(nil)

// AddOfflinePushes implements store.OfflinePushes.
func (s *Store) AddOfflinePushes(ctx context.Context, pushes []store.PendingPush, due int64) error {
	if len(pushes) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, p := range pushes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO offline_push_messages (user_id, body) VALUES (?, ?)`, p.UserID, p.Body); err != nil {
				return fmt.Errorf("sqlite: add offline push: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO offline_push_batches (user_id, due) VALUES (?, ?)
				ON CONFLICT (user_id) DO NOTHING`, p.UserID, due); err != nil {
				return fmt.Errorf("sqlite: add offline push: %w", err)
			}
		}
		return nil
	})
}

// LeaseOfflinePushes implements store.OfflinePushes. SQLite has one
// writer: the batches read cannot be leased by another caller meanwhile.
func (s *Store) LeaseOfflinePushes(ctx context.Context, now, leaseUntil int64, limit, maxBodies int) ([]store.OfflinePushBatch, error) {
	var out []store.OfflinePushBatch
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT user_id, push_id FROM offline_push_batches
			WHERE due <= ? ORDER BY due, user_id LIMIT ?`, now, limit)
		if err != nil {
			return fmt.Errorf("sqlite: lease offline pushes: %w", err)
		}
		for rows.Next() {
			var b store.OfflinePushBatch
			if err := rows.Scan(&b.UserID, &b.PushID); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: lease offline pushes: %w", err)
			}
			out = append(out, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: lease offline pushes: %w", err)
		}
		kept := out[:0]
		for _, b := range out {
			if b.PushID == "" {
				// The batch is named after its first message, whose ID
				// is never reused (AUTOINCREMENT).
				var first sql.NullInt64
				if err := tx.QueryRowContext(ctx, `SELECT MIN(id) FROM offline_push_messages WHERE user_id = ? AND push_id = ''`,
					b.UserID).Scan(&first); err != nil {
					return fmt.Errorf("sqlite: lease offline pushes: %w", err)
				}
				if !first.Valid {
					if _, err := tx.ExecContext(ctx, `DELETE FROM offline_push_batches WHERE user_id = ?`, b.UserID); err != nil {
						return fmt.Errorf("sqlite: lease offline pushes: %w", err)
					}
					continue
				}
				b.PushID = "op" + strconv.FormatInt(first.Int64, 10)
				if _, err := tx.ExecContext(ctx, `UPDATE offline_push_messages SET push_id = ? WHERE user_id = ? AND push_id = ''`,
					b.PushID, b.UserID); err != nil {
					return fmt.Errorf("sqlite: lease offline pushes: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE offline_push_batches SET due = ?, push_id = ? WHERE user_id = ?`,
				leaseUntil, b.PushID, b.UserID); err != nil {
				return fmt.Errorf("sqlite: lease offline pushes: %w", err)
			}
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM offline_push_messages WHERE user_id = ? AND push_id = ?`,
				b.UserID, b.PushID).Scan(&b.Count); err != nil {
				return fmt.Errorf("sqlite: lease offline pushes: %w", err)
			}
			brows, err := tx.QueryContext(ctx, `SELECT body FROM offline_push_messages WHERE user_id = ? AND push_id = ?
				ORDER BY id DESC LIMIT ?`, b.UserID, b.PushID, maxBodies)
			if err != nil {
				return fmt.Errorf("sqlite: lease offline pushes: %w", err)
			}
			for brows.Next() {
				var body []byte
				if err := brows.Scan(&body); err != nil {
					brows.Close()
					return fmt.Errorf("sqlite: lease offline pushes: %w", err)
				}
				b.Bodies = append(b.Bodies, body)
			}
			brows.Close()
			if err := brows.Err(); err != nil {
				return fmt.Errorf("sqlite: lease offline pushes: %w", err)
			}
			slices.Reverse(b.Bodies)
			kept = append(kept, b)
		}
		out = kept
		return nil
	})
	return out, err
}

// FinishOfflinePush implements store.OfflinePushes.
func (s *Store) FinishOfflinePush(ctx context.Context, userID, pushID string, due int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM offline_push_messages WHERE user_id = ? AND push_id = ?`, userID, pushID)
		if err != nil {
			return fmt.Errorf("sqlite: finish offline push: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: finish offline push: %w", err)
		} else if n == 0 {
			return nil // finished already
		}
		var more bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM offline_push_messages WHERE user_id = ? AND push_id = '')`,
			userID).Scan(&more); err != nil {
			return fmt.Errorf("sqlite: finish offline push: %w", err)
		}
		if more {
			_, err = tx.ExecContext(ctx, `UPDATE offline_push_batches SET due = ?, push_id = '' WHERE user_id = ?`, due, userID)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM offline_push_batches WHERE user_id = ?`, userID)
		}
		if err != nil {
			return fmt.Errorf("sqlite: finish offline push: %w", err)
		}
		return nil
	})
}
