package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"parley/server/store"
)

var _ store.PresenceNodes = (*Store)(nil)

// AddPresenceNode implements store.PresenceNodes. SQLite has one writer:
// the count and the insert cannot race another node's.
func (s *Store) AddPresenceNode(ctx context.Context, userID, node, platform string, job store.WebhookJob) (bool, error) {
	first := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO presence_nodes (user_id, node, platform) VALUES (?, ?, ?)
			ON CONFLICT (user_id, node) DO NOTHING`, userID, node, platform)
		if err != nil {
			return fmt.Errorf("sqlite: add presence node: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			first = false
			return nil
		}
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM presence_nodes WHERE user_id = ? AND node <> ?`, userID, node).Scan(&others); err != nil {
			return fmt.Errorf("sqlite: add presence node: %w", err)
		}
		first = others == 0
		if !first {
			return nil
		}
		return insertJob(ctx, tx, job) // an empty job queues nothing
	})
	return first, err
}

// RemovePresenceNode implements store.PresenceNodes.
func (s *Store) RemovePresenceNode(ctx context.Context, userID, node string, job store.WebhookJob) (bool, error) {
	last := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM presence_nodes WHERE user_id = ? AND node = ?`, userID, node)
		if err != nil {
			return fmt.Errorf("sqlite: remove presence node: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			last = false
			return nil
		}
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM presence_nodes WHERE user_id = ?`, userID).Scan(&left); err != nil {
			return fmt.Errorf("sqlite: remove presence node: %w", err)
		}
		last = left == 0
		if !last {
			return nil
		}
		return insertJob(ctx, tx, job) // an empty job queues nothing
	})
	return last, err
}

// DropPresenceNode implements store.PresenceNodes.
func (s *Store) DropPresenceNode(ctx context.Context, node string, jobFor func(userID, platform string) (store.WebhookJob, error)) ([]string, error) {
	var gone []string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		gone = nil
		rows, err := tx.QueryContext(ctx, `DELETE FROM presence_nodes WHERE node = ? RETURNING user_id, platform`, node)
		if err != nil {
			return fmt.Errorf("sqlite: drop presence node: %w", err)
		}
		type rec struct{ user, platform string }
		var recs []rec
		for rows.Next() {
			var r rec
			if err := rows.Scan(&r.user, &r.platform); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: drop presence node: %w", err)
			}
			recs = append(recs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: drop presence node: %w", err)
		}
		for _, r := range recs {
			var left int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM presence_nodes WHERE user_id = ?`, r.user).Scan(&left); err != nil {
				return fmt.Errorf("sqlite: drop presence node: %w", err)
			}
			if left > 0 {
				continue
			}
			j, err := jobFor(r.user, r.platform)
			if err != nil {
				return err
			}
			if err := insertJob(ctx, tx, j); err != nil {
				return err
			}
			gone = append(gone, r.user)
		}
		return nil
	})
	return gone, err
}

// PresenceNodeIDs implements store.PresenceNodes.
func (s *Store) PresenceNodeIDs(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT node FROM presence_nodes ORDER BY node`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: presence nodes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: presence nodes: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// insertJob queues j in tx, like EnqueueWebhooks; a job without an ID
// (an event nobody wants) is not queued.
func insertJob(ctx context.Context, tx *sql.Tx, j store.WebhookJob) error {
	if j.ID == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_jobs (id, event, body, attempts, next_attempt, create_time, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		j.ID, j.Event, j.Body, j.Attempts, j.NextAttempt, j.CreateTime, j.LastError)
	if err != nil {
		return fmt.Errorf("sqlite: enqueue webhook: %w", err)
	}
	return nil
}
