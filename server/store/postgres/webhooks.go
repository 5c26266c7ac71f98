package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"parley/server/store"
)

var _ store.Webhooks = (*Store)(nil)

// EnqueueWebhooks implements store.Webhooks.
func (s *Store) EnqueueWebhooks(ctx context.Context, jobs []store.WebhookJob) error {
	if len(jobs) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		for _, j := range jobs {
			if err := insertJob(ctx, tx, j); err != nil {
				return err
			}
		}
		return nil
	})
}

// LeaseWebhooks implements store.Webhooks. SKIP LOCKED lets the nodes
// sharing the database lease different jobs at the same time.
func (s *Store) LeaseWebhooks(ctx context.Context, now, leaseUntil int64, limit int) ([]store.WebhookJob, error) {
	rows, err := s.pool.Query(ctx, `UPDATE webhook_jobs SET next_attempt = $2
		WHERE id IN (SELECT id FROM webhook_jobs WHERE next_attempt <= $1 ORDER BY next_attempt, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id, event, body, attempts, create_time, last_error`, now, leaseUntil, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: lease webhooks: %w", err)
	}
	defer rows.Close()
	var out []store.WebhookJob
	for rows.Next() {
		j := store.WebhookJob{NextAttempt: leaseUntil}
		if err := rows.Scan(&j.ID, &j.Event, &j.Body, &j.Attempts, &j.CreateTime, &j.LastError); err != nil {
			return nil, fmt.Errorf("postgres: lease webhooks: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: lease webhooks: %w", err)
	}
	// RETURNING keeps no order; the oldest jobs (by creation, then ID) go first.
	slices.SortFunc(out, func(a, b store.WebhookJob) int {
		return cmp.Or(cmp.Compare(a.CreateTime, b.CreateTime), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteWebhook implements store.Webhooks.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM webhook_jobs WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete webhook: %w", err)
	}
	return nil
}

// RetryWebhook implements store.Webhooks.
func (s *Store) RetryWebhook(ctx context.Context, id string, attempts int, nextAttempt int64, lastError string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_jobs SET attempts = $2, next_attempt = $3, last_error = $4 WHERE id = $1`,
		id, attempts, nextAttempt, lastError)
	if err != nil {
		return fmt.Errorf("postgres: retry webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: webhook %s: %w", id, store.ErrNotFound)
	}
	return nil
}
