package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

func (c *client) subscribeStatus(users ...string) []protocol.UserStatus {
	c.t.Helper()
	var resp protocol.UserStatusesResp
	c.do(protocol.ReqSubscribeStatus, protocol.GetUsersReq{UserIDs: users}, &resp)
	return resp.Statuses
}

// nextStatus waits for c's next push, which must be a push.userStatus.
func (c *client) nextStatus() protocol.UserStatus {
	c.t.Helper()
	return decode[protocol.UserStatus](c.t, c.push(protocol.PushUserStatus))
}

func userStatus(user string, platforms ...string) protocol.UserStatus {
	if platforms == nil {
		platforms = []string{}
	}
	return protocol.UserStatus{UserID: user, Online: len(platforms) > 0, Platforms: platforms}
}

// TestPresence on one node: the answer, every change once, nothing for
// users the connection does not watch, and subscriptions that end with
// unsubscribe.
func TestPresence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.dial(e.adminUser("alice"))
	tokB := e.adminUser("bob")
	e.adminUser("carl")
	b1 := e.dial(tokB)

	assert.Equal(t, []protocol.UserStatus{userStatus("bob", "web"), userStatus("carl"), userStatus("nobody"), userStatus("alice", "web")},
		a.subscribeStatus("bob", "carl", "nobody", "bob", "alice"), "one answer per requested user, in order")

	c := e.dial(e.platformToken("carl", protocol.PlatformIOS))
	assert.Equal(t, userStatus("carl", "ios"), a.nextStatus())
	// A second web connection of bob's changes nothing to tell.
	b2 := e.dial(tokB)
	b1.ws.Close()
	b1.waitClosed()
	a.ping()
	a.noPush()
	b2.ws.Close()
	assert.Equal(t, userStatus("bob"), a.nextStatus())

	a.do(protocol.ReqUnsubscribeStatus, protocol.GetUsersReq{UserIDs: []string{"carl"}}, nil)
	c.ws.Close()
	c.waitClosed()
	// bob's return is told; carl's leaving (before it) was not.
	e.dial(tokB)
	assert.Equal(t, userStatus("bob", "web"), a.nextStatus())

	a.wantError(protocol.ReqSubscribeStatus, protocol.GetUsersReq{UserIDs: []string{"bad id!"}}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqSubscribeStatus, protocol.GetUsersReq{UserIDs: make([]string, protocol.MaxGetUsers+1)}, protocol.CodeInvalidArgument)
}

// TestPresenceStrangers: with DenyStrangers only friends may watch; a
// user one may not watch is answered offline, whatever they are.
func TestPresenceStrangers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *server.Config) { c.DenyStrangers = true })
	a := e.dial(e.adminUser("alice"))
	e.dial(e.adminUser("bob"))
	assert.Equal(t, []protocol.UserStatus{userStatus("bob")}, a.subscribeStatus("bob"))
	st, body := e.post("/api/v1/admin/friends", adminSecret, map[string]string{"userID": "alice", "friendUserID": "bob"})
	require.Equal(t, http.StatusNoContent, st, string(body))
	assert.Equal(t, []protocol.UserStatus{userStatus("bob", "web")}, a.subscribeStatus("bob"))
}

// TestClusterPresence: a user on node 2 watched from node 1 is seen
// online, with the platforms of both nodes; a node cut off without a
// goodbye has its users go offline within three heartbeats, and come
// back when it does.
func TestClusterPresence(t *testing.T) {
	t.Parallel()
	const beat = 200 * time.Millisecond
	nodes, p := newClusterCutOff(t, func(c *server.Config) { c.PresenceHeartbeat = beat })
	n1, n2 := nodes[0], nodes[1]
	a := n1.dial(n1.adminUser("alice"))
	tokB := n2.adminUser("bob")
	n2.adminUser("carl")
	b := n2.dial(tokB)

	// Node 1 asks node 2 and waits for its answer, once it has heard of
	// it (node 2's hello at start, normally long before): until then the
	// answer comes as a push.
	if got := a.subscribeStatus("bob", "carl"); got[0].Online {
		assert.Equal(t, []protocol.UserStatus{userStatus("bob", "web"), userStatus("carl")}, got)
	} else {
		assert.Equal(t, userStatus("bob", "web"), a.nextStatus())
	}
	n2.dial(n2.platformToken("carl", protocol.PlatformAndroid))
	assert.Equal(t, userStatus("carl", "android"), a.nextStatus())
	cIOS := n1.dial(n1.platformToken("carl", protocol.PlatformIOS))
	assert.Equal(t, userStatus("carl", "android", "ios"), a.nextStatus())
	cIOS.ws.Close()
	assert.Equal(t, userStatus("carl", "android"), a.nextStatus())

	// Node 2 falls silent: bob and carl go offline.
	start := time.Now()
	p.SetDown(true)
	assert.Equal(t, []protocol.UserStatus{userStatus("bob"), userStatus("carl")}, []protocol.UserStatus{a.nextStatus(), a.nextStatus()})
	// Its last heartbeat came at most one beat before the cut.
	assert.GreaterOrEqual(t, time.Since(start), 2*beat, "given up only after three heartbeats")

	// Back: node 2 closes its connections (it may have missed events);
	// bob reconnecting there is seen again.
	p.SetDown(false)
	b.waitClosed()
	n2.dial(tokB)
	assert.Equal(t, userStatus("bob", "web"), a.nextStatus())
}
