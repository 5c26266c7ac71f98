package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"parley/server/store"
)

var _ store.OfflinePushes = (*Store)(nil)

// AddOfflinePushes implements store.OfflinePushes. The batch row is
// updated (to itself) rather than left alone on a conflict so that the
// insert locks it: FinishOfflinePush, which locks it first, then sees
// this message and keeps the batch open for it.
func (s *Store) AddOfflinePushes(ctx context.Context, pushes []store.PendingPush, due int64) error {
	if len(pushes) == 0 {
		return nil
	}
	// The batch rows are locked in one order, so that two commits cannot
	// deadlock on each other's recipients.
	pushes = slices.Clone(pushes)
	slices.SortStableFunc(pushes, func(a, b store.PendingPush) int { return strings.Compare(a.UserID, b.UserID) })
	return s.tx(ctx, func(tx pgx.Tx) error {
		for _, p := range pushes {
			if _, err := tx.Exec(ctx, `INSERT INTO offline_push_batches (user_id, due) VALUES ($1, $2)
				ON CONFLICT (user_id) DO UPDATE SET due = offline_push_batches.due`, p.UserID, due); err != nil {
				return fmt.Errorf("postgres: add offline push: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO offline_push_messages (user_id, body) VALUES ($1, $2)`, p.UserID, p.Body); err != nil {
				return fmt.Errorf("postgres: add offline push: %w", err)
			}
		}
		return nil
	})
}

// LeaseOfflinePushes implements store.OfflinePushes. SKIP LOCKED lets the
// nodes sharing the database lease different batches at the same time.
func (s *Store) LeaseOfflinePushes(ctx context.Context, now, leaseUntil int64, limit, maxBodies int) ([]store.OfflinePushBatch, error) {
	var out []store.OfflinePushBatch
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, `SELECT user_id, push_id FROM offline_push_batches
			WHERE due <= $1 ORDER BY due, user_id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
		if err != nil {
			return fmt.Errorf("postgres: lease offline pushes: %w", err)
		}
		batches, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.OfflinePushBatch, error) {
			var b store.OfflinePushBatch
			return b, r.Scan(&b.UserID, &b.PushID)
		})
		if err != nil {
			return fmt.Errorf("postgres: lease offline pushes: %w", err)
		}
		for _, b := range batches {
			if b.PushID == "" {
				// Named after its first message: identity values are
				// never reused.
				var first *int64
				if err := tx.QueryRow(ctx, `SELECT MIN(id) FROM offline_push_messages WHERE user_id = $1 AND push_id = ''`,
					b.UserID).Scan(&first); err != nil {
					return fmt.Errorf("postgres: lease offline pushes: %w", err)
				}
				if first == nil {
					if _, err := tx.Exec(ctx, `DELETE FROM offline_push_batches WHERE user_id = $1`, b.UserID); err != nil {
						return fmt.Errorf("postgres: lease offline pushes: %w", err)
					}
					continue
				}
				b.PushID = "op" + strconv.FormatInt(*first, 10)
				if _, err := tx.Exec(ctx, `UPDATE offline_push_messages SET push_id = $1 WHERE user_id = $2 AND push_id = ''`,
					b.PushID, b.UserID); err != nil {
					return fmt.Errorf("postgres: lease offline pushes: %w", err)
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE offline_push_batches SET due = $1, push_id = $2 WHERE user_id = $3`,
				leaseUntil, b.PushID, b.UserID); err != nil {
				return fmt.Errorf("postgres: lease offline pushes: %w", err)
			}
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM offline_push_messages WHERE user_id = $1 AND push_id = $2`,
				b.UserID, b.PushID).Scan(&b.Count); err != nil {
				return fmt.Errorf("postgres: lease offline pushes: %w", err)
			}
			brows, err := tx.Query(ctx, `SELECT body FROM offline_push_messages WHERE user_id = $1 AND push_id = $2
				ORDER BY id DESC LIMIT $3`, b.UserID, b.PushID, maxBodies)
			if err != nil {
				return fmt.Errorf("postgres: lease offline pushes: %w", err)
			}
			b.Bodies, err = pgx.CollectRows(brows, pgx.RowTo[[]byte])
			if err != nil {
				return fmt.Errorf("postgres: lease offline pushes: %w", err)
			}
			slices.Reverse(b.Bodies)
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// FinishOfflinePush implements store.OfflinePushes. It locks the batch
// row before looking for messages added since the lease, so that a
// concurrent AddOfflinePushes is either seen or finds no batch and opens
// a new one.
func (s *Store) FinishOfflinePush(ctx context.Context, userID, pushID string, due int64) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var cur string
		err := tx.QueryRow(ctx, `SELECT push_id FROM offline_push_batches WHERE user_id = $1 FOR UPDATE`, userID).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && cur != pushID) {
			return nil // finished already
		}
		if err != nil {
			return fmt.Errorf("postgres: finish offline push: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM offline_push_messages WHERE user_id = $1 AND push_id = $2`, userID, pushID); err != nil {
			return fmt.Errorf("postgres: finish offline push: %w", err)
		}
		var more bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM offline_push_messages WHERE user_id = $1 AND push_id = '')`,
			userID).Scan(&more); err != nil {
			return fmt.Errorf("postgres: finish offline push: %w", err)
		}
		if more {
			_, err = tx.Exec(ctx, `UPDATE offline_push_batches SET due = $1, push_id = '' WHERE user_id = $2`, due, userID)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM offline_push_batches WHERE user_id = $1`, userID)
		}
		if err != nil {
			return fmt.Errorf("postgres: finish offline push: %w", err)
		}
		return nil
	})
}
