package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxIdleUsers bounds the limiters kept for users with no connection (see
// userLimits.prune).
const maxIdleUsers = 100_000

// userLimits holds, for each user, the request limiter their connections to
// this node share and how many there are. A user's entry outlives their
// last connection until the limiter has refilled, so that reconnecting
// does not buy a fresh burst; an entry that old is worth no more than a
// new one and is dropped.
type userLimits struct {
	limit    rate.Limit
	burst    int
	maxConns int
	// maxIdle is maxIdleUsers (tests lower it).
	maxIdle int
	// refill is how long an idle limiter takes to fill up again.
	refill time.Duration

	mu    sync.Mutex
	users map[string]*userSlot
	idle  int // entries with no connection
}

type userSlot struct {
	lim   *rate.Limiter
	conns int
	// released is when conns last fell to zero.
	released time.Time
}

func newUserLimits(perSecond float64, burst, maxConns int) *userLimits {
	return &userLimits{
		limit: rate.Limit(perSecond), burst: burst, maxConns: maxConns,
		maxIdle: maxIdleUsers,
		refill:  refillTime(perSecond, burst),
		users:   make(map[string]*userSlot),
	}
}

// refillTime is how long a token bucket of burst at perSecond takes to
// fill from empty.
func refillTime(perSecond float64, burst int) time.Duration {
	d := float64(burst) / perSecond * float64(time.Second)
	if d > float64(365*24*time.Hour) {
		return 365 * 24 * time.Hour
	}
	return time.Duration(d)
}

// acquire counts a new connection of userID and returns the user's
// limiter; false when the user has maxConns connections already.
func (u *userLimits) acquire(userID string) (*rate.Limiter, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.users[userID]
	if s == nil {
		s = &userSlot{lim: rate.NewLimiter(u.limit, u.burst)}
		u.users[userID] = s
		u.idle++ // until counted below
	}
	if s.conns >= u.maxConns {
		return nil, false
	}
	if s.conns == 0 {
		u.idle--
	}
	s.conns++
	return s.lim, true
}

// release undoes one successful acquire.
func (u *userLimits) release(userID string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.users[userID]
	if s == nil || s.conns == 0 {
		return
	}
	if s.conns--; s.conns == 0 {
		s.released = now
		u.idle++
		if u.idle > u.maxIdle {
			u.prune(now)
		}
	}
}

// prune drops the idle entries that have refilled and, if that is not
// enough, others idle down to half the bound (any: the map's order), so
// that pruning happens rarely. Forgetting an entry early only gives its
// user a fresh burst.
func (u *userLimits) prune(now time.Time) {
	for id, s := range u.users {
		if s.conns == 0 && (now.Sub(s.released) > u.refill || u.idle > u.maxIdle/2) {
			delete(u.users, id)
			u.idle--
		}
	}
}
