package core

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"parley/protocol"
)

func TestTypingBoard(t *testing.T) {
	const lapse = 6000
	on := func(conv, user string) protocol.Typing {
		return protocol.Typing{ConversationID: conv, UserID: user, Typing: true}
	}
	off := func(conv, user string) protocol.Typing { return protocol.Typing{ConversationID: conv, UserID: user} }
	b := typingBoard{}
	steps := []struct {
		name    string
		t       protocol.Typing
		now     int64
		changed bool
		users   []string
	}{
		{"a start", on(convAB, "bob"), 1000, true, []string{"bob"}},
		{"a renewal changes nothing", on(convAB, "bob"), 3000, false, []string{"bob"}},
		{"a second typer", on(convAB, "carl"), 3500, true, []string{"bob", "carl"}},
		{"a stop", off(convAB, "carl"), 4000, true, []string{"bob"}},
		{"a stop of nobody", off(convAB, "dave"), 4100, false, []string{"bob"}},
	}
	for _, s := range steps {
		assert.Equal(t, s.changed, b.apply(s.t, s.now, lapse), s.name)
		assert.Equal(t, s.users, b.users(convAB), s.name)
	}
	assert.Equal(t, int64(9000), b.next(), "the renewal at 3000 moved the lapse to 9000")
	assert.Empty(t, b.expire(8999))
	b.apply(on(convG, "erin"), 8000, lapse)
	assert.Equal(t, []string{convAB}, b.expire(9000))
	assert.Equal(t, []string{}, b.users(convAB))
	assert.Equal(t, int64(14000), b.next())
	assert.Equal(t, []string{convG}, b.expire(20000))
	assert.Zero(t, b.next(), "nothing stands")
	assert.Empty(t, b)
}

func TestTypingSent(t *testing.T) {
	ts := typingSent{}
	steps := []struct {
		name   string
		typing bool
		now    int64
		send   bool
	}{
		{"a stop before any start is not sent", false, 0, false},
		{"a start is sent", true, 1000, true},
		{"keystrokes within the renewal time are not", true, 1500, false},
		{"nor later ones before it", true, 1000 + protocol.TypingRenewMs - 1, false},
		{"a renewal is", true, 1000 + protocol.TypingRenewMs, true},
		{"a stop after a start is", false, 5000, true},
		{"a second stop is not", false, 5100, false},
		{"a new start is at once", true, 5200, true},
	}
	for _, s := range steps {
		assert.Equal(t, s.send, ts.decide(convAB, s.typing, s.now), s.name)
	}
}
