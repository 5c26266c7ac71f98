package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"parley/server/store"
)

var _ store.PresenceNodes = (*Store)(nil)

// lockPresence serializes the presence records of userID across the nodes
// sharing the database, for the rest of tx: a node's count of the others'
// records and its insert or delete must not interleave with another's.
func lockPresence(ctx context.Context, tx pgx.Tx, userID string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('presence:' || $1, 0))`, userID); err != nil {
		return fmt.Errorf("postgres: lock presence: %w", err)
	}
	return nil
}

// AddPresenceNode implements store.PresenceNodes.
func (s *Store) AddPresenceNode(ctx context.Context, userID, node, platform string, job store.WebhookJob) (bool, error) {
	first := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		first = false
		if err := lockPresence(ctx, tx, userID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO presence_nodes (user_id, node, platform) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, node) DO NOTHING`, userID, node, platform)
		if err != nil {
			return fmt.Errorf("postgres: add presence node: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		var others int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM presence_nodes WHERE user_id = $1 AND node <> $2`, userID, node).Scan(&others); err != nil {
			return fmt.Errorf("postgres: add presence node: %w", err)
		}
		if others > 0 {
			return nil
		}
		first = true
		return insertJob(ctx, tx, job) // an empty job queues nothing
	})
	return first, err
}

// RemovePresenceNode implements store.PresenceNodes.
func (s *Store) RemovePresenceNode(ctx context.Context, userID, node string, job store.WebhookJob) (bool, error) {
	last := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		last = false
		if err := lockPresence(ctx, tx, userID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM presence_nodes WHERE user_id = $1 AND node = $2`, userID, node)
		if err != nil {
			return fmt.Errorf("postgres: remove presence node: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		var left int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM presence_nodes WHERE user_id = $1`, userID).Scan(&left); err != nil {
			return fmt.Errorf("postgres: remove presence node: %w", err)
		}
		if left > 0 {
			return nil
		}
		last = true
		return insertJob(ctx, tx, job) // an empty job queues nothing
	})
	return last, err
}

// DropPresenceNode implements store.PresenceNodes. The users are taken in
// order and locked one by one, so that two nodes dropping the same node
// cannot deadlock.
func (s *Store) DropPresenceNode(ctx context.Context, node string, jobFor func(userID, platform string) (store.WebhookJob, error)) ([]string, error) {
	var gone []string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		gone = nil
		rows, err := tx.Query(ctx, `SELECT user_id FROM presence_nodes WHERE node = $1 ORDER BY user_id`, node)
		if err != nil {
			return fmt.Errorf("postgres: drop presence node: %w", err)
		}
		users, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("postgres: drop presence node: %w", err)
		}
		for _, u := range users {
			if err := lockPresence(ctx, tx, u); err != nil {
				return err
			}
			var platform string
			err := tx.QueryRow(ctx, `DELETE FROM presence_nodes WHERE user_id = $1 AND node = $2 RETURNING platform`, u, node).Scan(&platform)
			if err == pgx.ErrNoRows {
				continue // dropped by another node meanwhile
			}
			if err != nil {
				return fmt.Errorf("postgres: drop presence node: %w", err)
			}
			var left int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM presence_nodes WHERE user_id = $1`, u).Scan(&left); err != nil {
				return fmt.Errorf("postgres: drop presence node: %w", err)
			}
			if left > 0 {
				continue
			}
			j, err := jobFor(u, platform)
			if err != nil {
				return err
			}
			if err := insertJob(ctx, tx, j); err != nil {
				return err
			}
			gone = append(gone, u)
		}
		return nil
	})
	return gone, err
}

// PresenceNodeIDs implements store.PresenceNodes.
func (s *Store) PresenceNodeIDs(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT node FROM presence_nodes ORDER BY node`)
	if err != nil {
		return nil, fmt.Errorf("postgres: presence nodes: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: presence nodes: %w", err)
	}
	return out, nil
}

// insertJob queues j in tx, like EnqueueWebhooks; a job without an ID
// (an event nobody wants) is not queued.
func insertJob(ctx context.Context, tx pgx.Tx, j store.WebhookJob) error {
	if j.ID == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO webhook_jobs (id, event, body, attempts, next_attempt, create_time, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		j.ID, j.Event, j.Body, j.Attempts, j.NextAttempt, j.CreateTime, j.LastError)
	if err != nil {
		return fmt.Errorf("postgres: enqueue webhook: %w", err)
	}
	return nil
}
