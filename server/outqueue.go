package server

import "sync"

// outQueue is a connection's bounded queue of frames to write. Unlike a
// buffered channel, which allocates all its slots up front (26 KB per
// connection at 1,024 slots), it holds no memory while empty: most
// connections are idle most of the time.
type outQueue struct {
	mu     sync.Mutex
	frames [][]byte
	bytes  int64
	// ready holds a token when frames were added since the writer last
	// looked; the writer waits on it when the queue is empty.
	ready chan struct{}
}

func newOutQueue() *outQueue {
	return &outQueue{ready: make(chan struct{}, 1)}
}

// push appends f unless that would exceed maxFrames frames or maxBytes
// bytes; it reports whether f was queued. It never blocks.
func (q *outQueue) push(f []byte, maxFrames int, maxBytes int64) bool {
	q.mu.Lock()
	if len(q.frames) >= maxFrames || q.bytes+int64(len(f)) > maxBytes {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, f)
	q.bytes += int64(len(f))
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// pop removes and returns the oldest frame, or false when the queue is empty.
func (q *outQueue) pop() ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) == 0 {
		return nil, false
	}
	f := q.frames[0]
	q.frames[0] = nil
	q.frames = q.frames[1:]
	q.bytes -= int64(len(f))
	if len(q.frames) == 0 {
		q.frames = nil // let the backing array go while idle
	}
	return f, true
}
