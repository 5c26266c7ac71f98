package server

import (
	"context"
	"log/slog"

	"parley/protocol"
	"parley/server/store"
)

// sendJob is one message waiting for its commit.
type sendJob struct {
	msg    store.NewMessage
	connID string
	done   chan sendResult // buffered: the committer never waits on it
}

type sendResult struct {
	res store.AppendResult
	err error
}

// committer is the single writer of messages. It takes every send queued
// while the previous commit ran and stores them in one transaction (group
// commit), so throughput does not fall to one fsync per message. Seqs are
// assigned inside that transaction, in queue order, and each sender is
// answered only after the commit.
//
// What follows a commit (the fan-out and the answers) runs on a second
// goroutine, batch after batch in commit order, so that pushes still leave
// in seq order while the committer already stores the next batch: on two
// cores the store's work and the fan-out's overlap.
type committer struct {
	st         store.Messages
	maxBatch   int
	afterStore func(ctx context.Context, r *store.AppendResult, connID string)
	// afterBatch, when set, runs once per committed batch before its
	// fan-out and answers (webhooks queued with the commit's results).
	afterBatch func(ctx context.Context, res []store.AppendResult)
	metrics    *metrics
	log        *slog.Logger

	in        chan *sendJob
	committed chan committedBatch
	quit      chan struct{}
	exited    chan struct{}
}

// committedBatch is a batch whose commit has returned: res and err are
// AppendMessages' answer.
type committedBatch struct {
	jobs []*sendJob
	res  []store.AppendResult
	err  error
}

func newCommitter(st store.Messages, maxBatch int, after func(context.Context, *store.AppendResult, string), m *metrics, log *slog.Logger) *committer {
	c := &committer{
		st: st, maxBatch: maxBatch, afterStore: after, metrics: m, log: log,
		in: make(chan *sendJob, 4*maxBatch),
		// A little slack: a slow fan-out holds the committer back only
		// after a few batches.
		committed: make(chan committedBatch, 4),
		quit:      make(chan struct{}),
		exited:    make(chan struct{}),
	}
	published := make(chan struct{})
	go func() {
		defer close(published)
		for b := range c.committed {
			c.publish(b)
		}
	}()
	go func() {
		defer close(c.exited)
		c.run()
		close(c.committed)
		<-published
	}()
	return c
}

// enqueue queues j, waiting while the queue is full; false once stopped.
func (c *committer) enqueue(j *sendJob) bool {
	select {
	case <-c.quit:
		return false
	default:
	}
	select {
	case c.in <- j:
		return true
	case <-c.quit:
		return false
	}
}

// wait returns j's result. A job still queued when the committer exited
// was not stored and gets CodeUnavailable.
func (c *committer) wait(j *sendJob) sendResult {
	select {
	case r := <-j.done:
		return r
	case <-c.exited:
		select {
		case r := <-j.done:
			return r
		default:
			return sendResult{err: protocol.Errorf(protocol.CodeUnavailable, "server is shutting down")}
		}
	}
}

// stop commits what is queued and returns once the committer has exited.
func (c *committer) stop() {
	close(c.quit)
	<-c.exited
}

func (c *committer) run() {
	for {
		select {
		case j := <-c.in:
			c.commit(c.collect(j))
		case <-c.quit:
			for {
				select {
				case j := <-c.in:
					c.commit(c.collect(j))
				default:
					return
				}
			}
		}
	}
}

// collect returns first plus whatever else is queued, up to maxBatch.
func (c *committer) collect(first *sendJob) []*sendJob {
	batch := []*sendJob{first}
	for len(batch) < c.maxBatch {
		select {
		case j := <-c.in:
			batch = append(batch, j)
		default:
			return batch
		}
	}
	return batch
}

func (c *committer) commit(batch []*sendJob) {
	msgs := make([]store.NewMessage, len(batch))
	for i, j := range batch {
		msgs[i] = j.msg
	}
	// Not the request's context: once queued, a message is committed even
	// if its sender has gone, so that a resend finds it.
	res, err := c.st.AppendMessages(context.Background(), msgs)
	c.metrics.batchSize.Observe(float64(len(batch)))
	c.committed <- committedBatch{jobs: batch, res: res, err: err}
}

// publish fans out a committed batch and answers its senders.
func (c *committer) publish(b committedBatch) {
	if b.err != nil {
		c.log.Error("commit failed", "messages", len(b.jobs), "err", b.err)
		for _, j := range b.jobs {
			j.done <- sendResult{err: b.err}
		}
		return
	}
	ctx := context.Background()
	if c.afterBatch != nil {
		c.afterBatch(ctx, b.res)
	}
	for i, j := range b.jobs {
		r := &b.res[i]
		if r.Err == nil && !r.Duplicate {
			c.metrics.messagesIn.Inc()
			c.afterStore(ctx, r, j.connID)
		}
		err := r.Err
		if err == nil && r.Duplicate && !sameRecipient(&r.Message, &j.msg) {
			// Not a resend: the sender reused the ID for another message,
			// which must not be answered with (and so shown as) the first.
			err = protocol.Errorf(protocol.CodeAlreadyExists, "clientMsgID %q was used for a message to another recipient", j.msg.ClientMsgID)
		}
		j.done <- sendResult{res: *r, err: err}
	}
}
