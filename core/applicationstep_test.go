package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

func TestStepGroupApplication(t *testing.T) {
	pending := GroupApplication{GroupID: "g", UserID: "x", Message: "hi", State: protocol.ApplicationPending, CreateTime: 10}
	accepted := pending
	accepted.State, accepted.HandleTime = protocol.ApplicationAccepted, 20
	again := GroupApplication{GroupID: "g", UserID: "x", State: protocol.ApplicationPending, CreateTime: 30}
	own := GroupApplication{GroupID: "g", UserID: "me", State: protocol.ApplicationPending, CreateTime: 10}
	stored := func(as ...GroupApplication) map[[2]string]GroupApplication {
		m := map[[2]string]GroupApplication{}
		for _, a := range as {
			m[applicationKey(a)] = a
		}
		return m
	}
	refused := pending
	refused.State, refused.HandleTime = protocol.ApplicationRefused, 20
	ownRefused := own
	ownRefused.State, ownRefused.HandleTime = protocol.ApplicationRefused, 20
	cases := []struct {
		name   string
		stored map[[2]string]GroupApplication
		in     GroupApplication
		store  bool
		want   []Event
	}{
		{"a pending application by another is stored and announced", nil, pending, true, []Event{GroupApplicationReceived{Application: pending}}},
		{"one's own is stored, not announced", nil, own, true, nil},
		{"an acceptance is stored and announced", stored(pending), accepted, true, []Event{GroupApplicationAccepted{Application: accepted}}},
		{"a refusal is stored and announced", stored(pending), refused, true, []Event{GroupApplicationRefused{Application: refused}}},
		{"the refusal of one's own is announced", stored(own), ownRefused, true, []Event{GroupApplicationRefused{Application: ownRefused}}},
		{"the same state again changes nothing", stored(pending), pending, false, nil},
		{"the decision again changes nothing", stored(accepted), accepted, false, nil},
		{"the pending push after the decision's answer changes nothing", stored(accepted), pending, false, nil},
		{"an application made again after a refusal is new", stored(refused), again, true, []Event{GroupApplicationReceived{Application: again}}},
		{"an older application never replaces a newer one", stored(again), accepted, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := step(localState{Self: "me", Applications: c.stored}, groupApplicationInput{Application: c.in})
			require.NoError(t, err)
			if c.store {
				assert.Equal(t, []GroupApplication{c.in}, res.Changes.GroupApplications)
			} else {
				assert.True(t, res.Changes.Empty(), "writes %+v", res.Changes)
			}
			assert.Equal(t, c.want, res.Events)
		})
	}
}

func TestStepGroupApplicationList(t *testing.T) {
	a := GroupApplication{GroupID: "g", UserID: "a", State: protocol.ApplicationPending, CreateTime: 10}
	b := GroupApplication{GroupID: "g", UserID: "b", State: protocol.ApplicationPending, CreateTime: 20}
	bDecided := b
	bDecided.State, bDecided.HandleTime = protocol.ApplicationRefused, 40
	c := GroupApplication{GroupID: "h", UserID: "c", State: protocol.ApplicationPending, CreateTime: 30}
	mine := GroupApplication{GroupID: "k", UserID: "me", State: protocol.ApplicationPending, CreateTime: 35}
	l := localState{Self: "me", Applications: map[[2]string]GroupApplication{
		applicationKey(a): a, applicationKey(b): b,
	}}
	for _, announce := range []bool{false, true} {
		res, err := step(l, groupApplicationListInput{Applications: []GroupApplication{mine, bDecided, c}, Announce: announce})
		require.NoError(t, err)
		assert.Equal(t, []GroupApplication{mine, bDecided, c}, res.Changes.GroupApplications, "new and changed ones are written")
		assert.Equal(t, []GroupApplication{a}, res.Changes.RemovedGroupApplications, "one the server no longer lists goes")
		assert.Equal(t, []GroupApplication{bDecided, mine, c}, res.Value, "newest activity first")
		if announce {
			assert.Equal(t, []Event{GroupApplicationRefused{Application: bDecided}, GroupApplicationReceived{Application: c}}, res.Events,
				"what changed, as the pushes would have told: not one's own pending one")
		} else {
			assert.Empty(t, res.Events)
		}
	}
	res, err := step(localState{Self: "me", Applications: map[[2]string]GroupApplication{applicationKey(c): c}},
		groupApplicationListInput{Applications: []GroupApplication{c}, Announce: true})
	require.NoError(t, err)
	assert.True(t, res.Changes.Empty(), "the list as stored writes nothing")
	assert.Empty(t, res.Events, "and announces nothing again")
}

func TestUnhandledApplications(t *testing.T) {
	as := []GroupApplication{
		{GroupID: "g", UserID: "a", State: protocol.ApplicationPending},
		{GroupID: "g", UserID: "b", State: protocol.ApplicationAccepted},
		{GroupID: "h", UserID: "me", State: protocol.ApplicationPending},
		{GroupID: "h", UserID: "c", State: protocol.ApplicationPending},
	}
	assert.Equal(t, 2, unhandledApplications("me", as))
	assert.Equal(t, 0, unhandledApplications("me", nil))
}

func TestStoredApplications(t *testing.T) {
	app := func(group, user string) GroupApplication {
		return GroupApplication{GroupID: group, UserID: user, State: protocol.ApplicationPending}
	}
	as := []GroupApplication{app("owned", "a"), app("administered", "b"), app("demoted", "c"), app("demoted", "me"),
		app("unknown", "d"), app("unrole", "e"), app("left", "f"), app("left", "me")}
	groups := []Group{
		{GroupID: "owned", MyRole: protocol.RoleOwner},
		{GroupID: "administered", MyRole: protocol.RoleAdmin},
		{GroupID: "demoted", MyRole: protocol.RoleMember},
		{GroupID: "unrole"},
	}
	got := storedApplications("me", as, groups, map[string]bool{"left": true, "owned": false})
	assert.Equal(t, []GroupApplication{app("owned", "a"), app("administered", "b"), app("demoted", "me"), app("unknown", "d"), app("unrole", "e"), app("left", "me")}, got,
		"a group where the user is a plain member now, or that the user left, hides others' applications, not the user's own; an unknown role hides nothing")
	assert.Equal(t, 4, unhandledApplications("me", got))
	assert.Equal(t, []GroupApplication{}, storedApplications("me", nil, groups, nil))
}
