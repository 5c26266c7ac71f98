package core

import "time"

// The first page: in a browser everything the SDK does shares the page's
// one thread, so reads of the whole conversation list (the unread counts,
// the cache) and the catch-up wait until the app's first page of the list
// returned, or a short grace after login if it asks for none.

// firstListGrace is how long after login the whole list waits for the
// app's first page when the app has not asked for one (see
// session.listed); once asked, it waits for the page.
const firstListGrace = 500 * time.Millisecond

// markListed opens the way for reads of the whole list.
func (s *session) markListed() {
	s.listedOnce.Do(func() { close(s.listed) })
}
