package server

import (
	"sync"

	"golang.org/x/time/rate"
)

// userLimits holds, for each user with an open connection to this node,
// the request limiter their connections share and how many there are.
// Entries go away with the user's last connection.
type userLimits struct {
	limit    rate.Limit
	burst    int
	maxConns int

	mu    sync.Mutex
	users map[string]*userSlot
}

type userSlot struct {
	lim   *rate.Limiter
	conns int
}

func newUserLimits(perSecond float64, burst, maxConns int) *userLimits {
	return &userLimits{limit: rate.Limit(perSecond), burst: burst, maxConns: maxConns, users: make(map[string]*userSlot)}
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
	}
	if s.conns >= u.maxConns {
		return nil, false
	}
	s.conns++
	return s.lim, true
}

// release undoes one successful acquire.
func (u *userLimits) release(userID string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.users[userID]
	if s == nil {
		return
	}
	if s.conns--; s.conns <= 0 {
		delete(u.users, userID)
	}
}
