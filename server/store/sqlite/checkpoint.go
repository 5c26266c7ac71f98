package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// checkpointEvery is how often the checkpointer copies the WAL into the
// database file.
const checkpointEvery = 250 * time.Millisecond

// checkpointer copies committed pages from the WAL into the database file
// on a connection of its own, so that the writer seldom does it. SQLite's
// automatic checkpoint runs inside the commit that crosses its threshold
// (1,000 WAL pages by default; the writer's is raised to 8,192 as a
// backstop): that commit, and every send waiting on it, paid for copying
// the pages and for two more fsyncs. A PASSIVE checkpoint neither waits for
// nor blocks the writer, and durability does not depend on it: a commit is
// durable once its WAL frames are synced.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}

	mu  sync.Mutex
	err error // the first failure, reported by close
}

func startCheckpointer(base string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", base+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A checkpoint with nothing new to copy only reads the WAL's
			// header; a busy one is retried at the next tick.
			if _, err := c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				c.mu.Lock()
				if c.err == nil {
					c.err = fmt.Errorf("sqlite: checkpoint: %w", err)
				}
				c.mu.Unlock()
			}
		}
	}
}

// close stops the checkpointer and returns its first failure, if any.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	return err
}
