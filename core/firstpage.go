package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// firstPage is the one UI timing rule of the SDK: in a browser everything
// it does shares the page's one thread, so reads of the whole conversation
// list (the unread counts, the cache) and the catch-up wait until the
// app's first page of the list returned, or a short grace after login if
// it asks for none. The zero value is not usable: see newFirstPage.
type firstPage struct {
	once sync.Once
	// done is closed once the app's first list call returned, or the
	// grace passed with none started.
	done chan struct{}
	// asked is set when the app's first list call started: the grace then
	// lasts until it returned, however long a busy page takes.
	asked atomic.Bool
}

// firstListGrace is how long after login the whole list waits for the
// app's first page when the app has not asked for one.
const firstListGrace = 500 * time.Millisecond

func newFirstPage() *firstPage { return &firstPage{done: make(chan struct{})} }

// started notes that the app asked for a page; finished that one returned.
func (p *firstPage) started()  { p.asked.Store(true) }
func (p *firstPage) finished() { p.once.Do(func() { close(p.done) }) }

// waitAsked waits for the page if the app asked for one; false if ctx
// ended first.
func (p *firstPage) waitAsked(ctx context.Context) bool {
	if !p.asked.Load() {
		return true
	}
	return p.wait(ctx)
}

// wait waits for the page (or its grace); false if ctx ended first.
func (p *firstPage) wait(ctx context.Context) bool {
	select {
	case <-p.done:
		return true
	case <-ctx.Done():
		return false
	}
}

// runGrace ends the wait firstListGrace after it starts unless the app
// asked for a page by then, in which case it waits for that page.
func (p *firstPage) runGrace(ctx context.Context) bool {
	t := time.NewTimer(firstListGrace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	if !p.waitAsked(ctx) {
		return false
	}
	p.finished()
	return true
}
