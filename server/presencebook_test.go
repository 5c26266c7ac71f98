package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// onlineHere is a node's own connections: user -> platforms.
type onlineHere map[string][]string

func (o onlineHere) local(u string) []string { return o[u] }

func st(user string, platforms ...string) protocol.UserStatus {
	if platforms == nil {
		platforms = []string{}
	}
	return protocol.UserStatus{UserID: user, Online: len(platforms) > 0, Platforms: platforms}
}

// TestPresenceBook: every decision of one node's presence, step by step:
// what it publishes, whom it tells, and what it answers.
func TestPresenceBook(t *testing.T) {
	type step struct {
		name string
		do   func(b *presenceBook, here onlineHere) any
		want any
	}
	notes := func(s protocol.UserStatus, conns ...string) []statusNote {
		return []statusNote{{Status: s, Conns: conns}}
	}
	var none []statusNote
	tests := []struct {
		name  string
		steps []step
	}{
		{"nobody watches: nothing is published or told", []step{
			{"bob connects", func(b *presenceBook, h onlineHere) any {
				h["bob"] = []string{"web"}
				if b.watched("bob") {
					return "watched"
				}
				pub, n := b.localChanged("bob", h.local("bob"))
				return []any{pub, n}
			}, []any{false, none}},
		}},
		{"a local watcher sees connects and disconnects, each change once", []step{
			{"c1 watches bob", func(b *presenceBook, h onlineHere) any {
				fresh, err := b.subscribe("c1", []string{"bob"}, 10)
				require.NoError(t, err)
				return fresh
			}, []string{"bob"}},
			{"answered offline", func(b *presenceBook, h onlineHere) any { return b.answer("bob", h.local("bob")) }, st("bob")},
			{"bob connects on web", func(b *presenceBook, h onlineHere) any {
				h["bob"] = []string{"web"}
				pub, n := b.localChanged("bob", h.local("bob"))
				return []any{pub, n}
			}, []any{false, notes(st("bob", "web"), "c1")}},
			{"a second web tab changes nothing", func(b *presenceBook, h onlineHere) any {
				_, n := b.localChanged("bob", h.local("bob"))
				return n
			}, none},
			{"bob leaves", func(b *presenceBook, h onlineHere) any {
				delete(h, "bob")
				_, n := b.localChanged("bob", h.local("bob"))
				return n
			}, notes(st("bob"), "c1")},
			{"c1 closes: bob no longer watched", func(b *presenceBook, h onlineHere) any {
				return []any{b.unsubscribe("c1", nil), b.watched("bob")}
			}, []any{[]string{"bob"}, false}},
		}},
		{"a second watcher is not fresh; the last to go is", []step{
			{"c1", func(b *presenceBook, h onlineHere) any {
				f, _ := b.subscribe("c1", []string{"bob", "carl"}, 10)
				return f
			}, []string{"bob", "carl"}},
			{"c2", func(b *presenceBook, h onlineHere) any { f, _ := b.subscribe("c2", []string{"bob"}, 10); return f }, []string(nil)},
			{"c1 drops bob", func(b *presenceBook, h onlineHere) any { return b.unsubscribe("c1", []string{"bob"}) }, []string(nil)},
			{"c2 closes", func(b *presenceBook, h onlineHere) any { return b.unsubscribe("c2", nil) }, []string{"bob"}},
			{"an unknown unsubscribe", func(b *presenceBook, h onlineHere) any { return b.unsubscribe("c9", []string{"x"}) }, []string(nil)},
		}},
		{"the per-connection limit counts distinct users", []step{
			{"two", func(b *presenceBook, h onlineHere) any {
				_, err := b.subscribe("c1", []string{"a", "b"}, 2)
				return err == nil
			}, true},
			{"the same again", func(b *presenceBook, h onlineHere) any {
				_, err := b.subscribe("c1", []string{"b"}, 2)
				return err == nil
			}, true},
			{"a third", func(b *presenceBook, h onlineHere) any {
				_, err := b.subscribe("c1", []string{"c"}, 2)
				return protocol.CodeOf(err)
			}, protocol.CodeInvalidArgument},
		}},
		{"another node's interest: its changes are published, once each", []step{
			{"n2 watches bob, online here", func(b *presenceBook, h onlineHere) any {
				h["bob"] = []string{"ios"}
				return b.onWatch("n2", []string{"bob", "carl"}, h.local)
			}, []protocol.UserStatus{st("bob", "ios")}},
			{"bob adds web", func(b *presenceBook, h onlineHere) any {
				h["bob"] = []string{"ios", "web"}
				pub, n := b.localChanged("bob", h.local("bob"))
				return []any{pub, n}
			}, []any{true, none}},
			{"the same platforms again", func(b *presenceBook, h onlineHere) any {
				pub, _ := b.localChanged("bob", h.local("bob"))
				return pub
			}, false},
			{"n2 unwatches", func(b *presenceBook, h onlineHere) any {
				b.onUnwatch("n2", []string{"bob", "carl"})
				h["bob"] = []string{"web"}
				pub, _ := b.localChanged("bob", h.local("bob"))
				return pub
			}, false},
		}},
		{"remote statuses merge with local ones", []step{
			{"c1 watches bob", func(b *presenceBook, h onlineHere) any { f, _ := b.subscribe("c1", []string{"bob"}, 10); return f }, []string{"bob"}},
			{"n2's answer goes into the subscription's answer", func(b *presenceBook, h onlineHere) any {
				n := b.onStatus("n2", []protocol.UserStatus{st("bob", "ios")}, h.local)
				return []any{n, b.answer("bob", h.local("bob"))}
			}, []any{none, st("bob", "ios")}},
			{"n2 reports bob on android instead", func(b *presenceBook, h onlineHere) any {
				return b.onStatus("n2", []protocol.UserStatus{st("bob", "android"), st("stranger", "web")}, h.local)
			}, notes(st("bob", "android"), "c1")},
			{"bob also on web here", func(b *presenceBook, h onlineHere) any {
				h["bob"] = []string{"web"}
				_, n := b.localChanged("bob", h.local("bob"))
				return n
			}, notes(st("bob", "android", "web"), "c1")},
			{"n3 reports web too: no change", func(b *presenceBook, h onlineHere) any {
				return b.onStatus("n3", []protocol.UserStatus{st("bob", "web")}, h.local)
			}, none},
			{"n2 reports bob gone", func(b *presenceBook, h onlineHere) any {
				return b.onStatus("n2", []protocol.UserStatus{st("bob")}, h.local)
			}, notes(st("bob", "web"), "c1")},
		}},
		{"a node that stops being heard takes its users offline and its interest with it", []step{
			{"hear n2", func(b *presenceBook, h onlineHere) any { return b.heard("n2", 1000) }, true},
			{"hear n2 again", func(b *presenceBook, h onlineHere) any { return b.heard("n2", 2000) }, false},
			{"hear n3", func(b *presenceBook, h onlineHere) any { return b.heard("n3", 5000) }, true},
			{"c1 watches bob; n2 has him; n2 watches carl", func(b *presenceBook, h onlineHere) any {
				b.subscribe("c1", []string{"bob"}, 10)
				b.answer("bob", nil)
				b.onWatch("n2", []string{"carl"}, h.local)
				return b.onStatus("n2", []protocol.UserStatus{st("bob", "web")}, h.local)
			}, notes(st("bob", "web"), "c1")},
			{"within the ttl", func(b *presenceBook, h onlineHere) any {
				dead, n := b.expire(5000, 3000, h.local)
				return []any{dead, n}
			}, []any{[]string(nil), none}},
			{"past it", func(b *presenceBook, h onlineHere) any {
				dead, n := b.expire(5001, 3000, h.local)
				return []any{dead, n, b.watched("carl"), b.liveNodes()}
			}, []any{[]string{"n2"}, notes(st("bob"), "c1"), false, []string{"n3"}}},
			{"n2 comes back: unknown again", func(b *presenceBook, h onlineHere) any { return b.heard("n2", 6000) }, true},
		}},
		{"goodbye and reset", []step{
			{"setup", func(b *presenceBook, h onlineHere) any {
				b.heard("n2", 1)
				b.subscribe("c1", []string{"bob"}, 10)
				b.answer("bob", nil)
				return b.onStatus("n2", []protocol.UserStatus{st("bob", "ios")}, h.local)
			}, notes(st("bob", "ios"), "c1")},
			{"n2 says bye", func(b *presenceBook, h onlineHere) any { return b.dropNode("n2", h.local) }, notes(st("bob"), "c1")},
			{"reset keeps the subscriptions", func(b *presenceBook, h onlineHere) any {
				b.onWatch("n3", []string{"x"}, h.local)
				b.reset()
				return []any{b.watching(), b.watched("x"), b.liveNodes()}
			}, []any{[]string{"bob"}, false, []string{}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, here := newPresenceBook(), onlineHere{}
			for _, s := range tt.steps {
				assert.Equal(t, s.want, s.do(b, here), s.name)
			}
		})
	}
}
