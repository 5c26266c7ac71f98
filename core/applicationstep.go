package core

import (
	"slices"

	"parley/protocol"
)

// The step's decisions about applications to join groups (contract §5),
// stored like friend requests: the applications the user may decide and
// those the user made, each in its latest state.

// applicationKey keys a stored application.
func applicationKey(a GroupApplication) [2]string { return [2]string{a.GroupID, a.UserID} }

// staleApplication reports whether a is an older state of the application
// stored as old: made before it, or its pending state once it was decided
// (a push of the application made, read after the decision's answer).
func staleApplication(old, a GroupApplication) bool {
	return a.CreateTime < old.CreateTime || (a.CreateTime == old.CreateTime && a.HandleTime == 0 && old.HandleTime != 0)
}

// GroupApplicationAccepted: an application the user made or may decide
// was accepted (by this device, another of the user's, or another
// decider).
type GroupApplicationAccepted struct{ Application GroupApplication }

// EventName implements Event.
func (GroupApplicationAccepted) EventName() string { return "groupApplicationAccepted" }

// EventPayload implements Event: GroupApplication.
func (e GroupApplicationAccepted) EventPayload() any { return e.Application }

// GroupApplicationRefused: an application the user made or may decide was
// refused.
type GroupApplicationRefused struct{ Application GroupApplication }

// EventName implements Event.
func (GroupApplicationRefused) EventName() string { return "groupApplicationRefused" }

// EventPayload implements Event: GroupApplication.
func (e GroupApplicationRefused) EventPayload() any { return e.Application }

// applicationEvents is what an application that changed tells the user:
// a pending one by someone else is one to decide; a decision changes the
// lists of pending ones (and their unhandled count) everywhere.
func applicationEvents(self string, a GroupApplication) []Event {
	switch a.State {
	case protocol.ApplicationPending:
		if a.UserID != self {
			return []Event{GroupApplicationReceived{Application: a}}
		}
	case protocol.ApplicationAccepted:
		return []Event{GroupApplicationAccepted{Application: a}}
	case protocol.ApplicationRefused:
		return []Event{GroupApplicationRefused{Application: a}}
	}
	return nil
}

// groupApplicationInput is an application made or decided: its push, or
// the answer to the user's own join or decision.
type groupApplicationInput struct{ Application GroupApplication }

func (groupApplicationInput) inputKind() string { return "groupApplication" }

// stepGroupApplication stores the application in its new state and
// announces it (applicationEvents). The same state again (a push
// repeated, the push after the call's own answer, the catch-up's list
// before it) or an older one changes nothing, so each event fires once.
func stepGroupApplication(l localState, in groupApplicationInput) stepResult {
	a := in.Application
	if old, ok := l.Applications[applicationKey(a)]; ok && (old == a || staleApplication(old, a)) {
		return stepResult{}
	}
	return stepResult{Changes: Changes{GroupApplications: []GroupApplication{a}}, Events: applicationEvents(l.Self, a)}
}

// groupApplicationListInput is the server's application list: it replaces
// the stored one. Announce (a catch-up after being away, not a fresh
// device's first) announces what changed as the pushes would have.
type groupApplicationListInput struct {
	Applications []GroupApplication
	Announce     bool
}

func (groupApplicationListInput) inputKind() string { return "groupApplicationList" }

func stepGroupApplicationList(l localState, in groupApplicationListInput) stepResult {
	var res stepResult
	keep := make(map[[2]string]bool, len(in.Applications))
	for _, a := range in.Applications {
		keep[applicationKey(a)] = true
		if old, ok := l.Applications[applicationKey(a)]; ok && old == a {
			continue
		}
		res.Changes.GroupApplications = append(res.Changes.GroupApplications, a)
		if in.Announce {
			res.Events = append(res.Events, applicationEvents(l.Self, a)...)
		}
	}
	var gone []GroupApplication
	for k, a := range l.Applications {
		if !keep[k] {
			gone = append(gone, a)
		}
	}
	SortGroupApplications(gone)
	res.Changes.RemovedGroupApplications = gone
	out := slices.Clone(in.Applications)
	if out == nil {
		out = []GroupApplication{}
	}
	SortGroupApplications(out)
	res.Value = out
	return res
}

// storedApplications is what the stored applications as offer while
// offline: the user's own, and those of groups the user may decide, as far
// as the store knows; one of a group whose stored role is a plain member's
// (demoted since it was stored) or that the user left (left: its
// conversation marked Removed) is left out until the server's list
// replaces it. A group not stored leaves its applications in.
func storedApplications(self string, as []GroupApplication, groups []Group, left map[string]bool) []GroupApplication {
	plain := make(map[string]bool)
	for _, g := range groups {
		if g.MyRole != "" && protocol.GroupRank(g.MyRole) < protocol.GroupRank(protocol.RoleAdmin) {
			plain[g.GroupID] = true
		}
	}
	out := []GroupApplication{}
	for _, a := range as {
		if a.UserID == self || (!plain[a.GroupID] && !left[a.GroupID]) {
			out = append(out, a)
		}
	}
	return out
}

// unhandledApplications counts the pending applications among as that
// the user decides (not the user's own).
func unhandledApplications(self string, as []GroupApplication) int {
	n := 0
	for _, a := range as {
		if a.State == protocol.ApplicationPending && a.UserID != self {
			n++
		}
	}
	return n
}
