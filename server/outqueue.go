package server

import "sync"

// outQueue is a connection's bounded queue of frames to write. Unlike a
// buffered channel, which allocates all its slots up front (26 KB per
// connection at 1,024 slots), it holds no memory while empty: most
// connections are idle most of the time. For the same reason no goroutine
// waits on it while it is empty: the push that finds no writer running
// says so, and its caller starts one, which exits once the queue is empty.
type outQueue struct {
	mu     sync.Mutex
	frames [][]byte
	bytes  int64
	// writing: a writer owns the queue (started and not yet gone idle).
	writing bool
}

// push appends f unless that would exceed maxFrames frames or maxBytes
// bytes; queued reports whether f was queued, and start that the caller
// must start a writer (one is not running). It never blocks.
func (q *outQueue) push(f []byte, maxFrames int, maxBytes int64) (queued, start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) >= maxFrames || q.bytes+int64(len(f)) > maxBytes {
		return false, false
	}
	q.frames = append(q.frames, f)
	q.bytes += int64(len(f))
	return true, q.claim()
}

// wake reports whether the caller must start a writer, as push does,
// without queueing anything: for a writer to act on a stop.
func (q *outQueue) wake() (start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.claim()
}

func (q *outQueue) claim() bool {
	if q.writing {
		return false
	}
	q.writing = true
	return true
}

// next removes and returns the oldest frame for the writer. When the
// queue is empty it returns false, and unless stopped() (checked under
// the queue's lock, so that a stop cannot slip between the check and the
// writer going idle) the writer gives the queue up and must exit.
func (q *outQueue) next(stopped func() bool) (f []byte, ok, idle bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) == 0 {
		if stopped() {
			return nil, false, false
		}
		q.writing = false
		return nil, false, true
	}
	f = q.popLocked()
	return f, true, false
}

// pop removes and returns the oldest frame, or false when the queue is
// empty: for the final flush by the last writer.
func (q *outQueue) pop() ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) == 0 {
		return nil, false
	}
	return q.popLocked(), true
}

func (q *outQueue) popLocked() []byte {
	f := q.frames[0]
	q.frames[0] = nil
	q.frames = q.frames[1:]
	q.bytes -= int64(len(f))
	if len(q.frames) == 0 {
		q.frames = nil // let the backing array go while idle
	}
	return f
}
