package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"parley/server/store"
)

var _ store.Webhooks = (*Store)(nil)

// EnqueueWebhooks implements store.Webhooks.
func (s *Store) EnqueueWebhooks(ctx context.Context, jobs []store.WebhookJob) error {
	if len(jobs) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, j := range jobs {
			if err := insertJob(ctx, tx, j); err != nil {
				return err
			}
		}
		return nil
	})
}

// LeaseWebhooks implements store.Webhooks. SQLite has one writer, so the
// select and the update in one write transaction cannot race another lease.
func (s *Store) LeaseWebhooks(ctx context.Context, now, leaseUntil int64, limit int) ([]store.WebhookJob, error) {
	var out []store.WebhookJob
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, event, body, attempts, next_attempt, create_time, last_error
			FROM webhook_jobs WHERE next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`, now, limit)
		if err != nil {
			return fmt.Errorf("sqlite: lease webhooks: %w", err)
		}
		for rows.Next() {
			var j store.WebhookJob
			if err := rows.Scan(&j.ID, &j.Event, &j.Body, &j.Attempts, &j.NextAttempt, &j.CreateTime, &j.LastError); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: lease webhooks: %w", err)
			}
			out = append(out, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: lease webhooks: %w", err)
		}
		for i := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_jobs SET next_attempt = ? WHERE id = ?`, leaseUntil, out[i].ID); err != nil {
				return fmt.Errorf("sqlite: lease webhooks: %w", err)
			}
			out[i].NextAttempt = leaseUntil
		}
		return nil
	})
	return out, err
}

// DeleteWebhook implements store.Webhooks.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_jobs WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete webhook: %w", err)
		}
		return nil
	})
}

// RetryWebhook implements store.Webhooks.
func (s *Store) RetryWebhook(ctx context.Context, id string, attempts int, nextAttempt int64, lastError string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_jobs SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?`,
			attempts, nextAttempt, lastError, id)
		if err != nil {
			return fmt.Errorf("sqlite: retry webhook: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: retry webhook: %w", err)
		} else if n == 0 {
			return fmt.Errorf("sqlite: webhook %s: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
