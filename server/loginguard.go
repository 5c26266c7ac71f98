package server

import (
	"slices"
	"sync"
	"time"
)

// Bounds of loginGuard's memory.
const (
	// maxGuardedAccounts bounds the accounts remembered; past it the ones
	// with no lock in force are forgotten first.
	maxGuardedAccounts = 100_000
	// maxKnownIPs is how many addresses per account are remembered as
	// having logged in, and knownIPTTL for how long.
	maxKnownIPs = 4
	knownIPTTL  = 30 * 24 * time.Hour
)

// loginGuard slows password guessing per account, wherever the guesses
// come from: after free failed logins each further one locks the account
// for a time that doubles, from base up to max, during which its logins
// are refused unchecked. So an attacker gets a few guesses an hour, and a
// lock lasts at most max after the last one.
//
// So that the lock cannot shut the owner out for as long as an attacker
// keeps guessing, it does not apply to addresses the account has logged
// in from (successfully, within knownIPTTL): the owner's usual devices get
// in, with the right password, while others wait. A success clears the
// failures. Unknown usernames are guarded the same way, so that a lock
// tells nothing about whether an account exists. The state is in memory,
// per node.
type loginGuard struct {
	free      int
	base, max time.Duration

	mu       sync.Mutex
	accounts map[string]*guardedAccount
}

type guardedAccount struct {
	failures    int
	lastFailure time.Time
	lockedUntil time.Time
	known       []knownIP // newest last
}

type knownIP struct {
	ip string
	at time.Time
}

func newLoginGuard(free int, base, max time.Duration) *loginGuard {
	return &loginGuard{free: free, base: base, max: max, accounts: make(map[string]*guardedAccount)}
}

// wait returns how long logins to account from ip are still refused; 0
// when they may be checked.
func (g *loginGuard) wait(account, ip string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.accounts[account]
	if a == nil || !now.Before(a.lockedUntil) || a.knows(ip, now) {
		return 0
	}
	return a.lockedUntil.Sub(now)
}

func (a *guardedAccount) knows(ip string, now time.Time) bool {
	return slices.ContainsFunc(a.known, func(k knownIP) bool { return k.ip == ip && now.Sub(k.at) < knownIPTTL })
}

// failed counts a failed login and locks the account once past the free
// failures.
func (g *loginGuard) failed(account string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.account(account, now)
	if now.Sub(a.lastFailure) > g.max {
		// Quiet for longer than the longest lock: start over.
		a.failures = 0
	}
	a.failures++
	a.lastFailure = now
	if n := a.failures - g.free; n > 0 {
		lock := g.base
		for i := 1; i < n && lock < g.max; i++ {
			lock *= 2
		}
		a.lockedUntil = now.Add(min(lock, g.max))
	}
}

// succeeded clears the account's failures and remembers ip as one it logs
// in from.
func (g *loginGuard) succeeded(account, ip string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.account(account, now)
	a.failures, a.lockedUntil = 0, time.Time{}
	a.known = slices.DeleteFunc(a.known, func(k knownIP) bool { return k.ip == ip || now.Sub(k.at) >= knownIPTTL })
	if len(a.known) >= maxKnownIPs {
		a.known = a.known[1:]
	}
	a.known = append(a.known, knownIP{ip: ip, at: now})
}

// account returns the entry of account, made if needed.
func (g *loginGuard) account(account string, now time.Time) *guardedAccount {
	a := g.accounts[account]
	if a == nil {
		if len(g.accounts) >= maxGuardedAccounts {
			g.prune(now)
		}
		a = &guardedAccount{}
		g.accounts[account] = a
	}
	return a
}

// prune forgets the accounts that hold nothing worth keeping (no lock in
// force, failures forgotten, no known address still valid), and if that is
// not enough any without a lock in force, down to half the bound.
func (g *loginGuard) prune(now time.Time) {
	for name, a := range g.accounts {
		if now.Before(a.lockedUntil) {
			continue
		}
		stale := now.Sub(a.lastFailure) > g.max && !slices.ContainsFunc(a.known, func(k knownIP) bool { return now.Sub(k.at) < knownIPTTL })
		if stale || len(g.accounts) > maxGuardedAccounts/2 {
			delete(g.accounts, name)
		}
	}
}
