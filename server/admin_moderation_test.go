package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

func (e *env) adminGet(path string, out any) (int, []byte) {
	e.t.Helper()
	st, body := e.get(path, http.Header{"Authorization": {"Bearer " + adminSecret}})
	if out != nil && st == http.StatusOK {
		require.NoError(e.t, json.Unmarshal(body, out), "%s", body)
	}
	return st, body
}

func TestAdminListings(t *testing.T) {
	e := newEnv(t)
	alice := e.dial(e.adminUser("alice"))
	e.adminUser("bob")
	e.adminUser("carol")
	alice.sendText("m1", "bob", "", "hello bob")
	alice.sendText("m2", "carol", "", "buy now, carol")
	alice.sendText("m3", "bob", "", "bye bob")

	var us server.AdminUsersResp
	e.adminGet("/api/v1/admin/users?count=2", &us)
	assert.Equal(t, 3, us.TotalCount)
	require.Len(t, us.Users, 2)
	assert.Equal(t, "alice", us.Users[0].UserID)
	assert.Equal(t, "N alice", us.Users[0].Nickname)
	assert.NotZero(t, us.Users[0].CreateTime)
	e.adminGet("/api/v1/admin/users?keyword=car", &us)
	require.Len(t, us.Users, 1)
	assert.Equal(t, "carol", us.Users[0].UserID)

	var cs server.AdminConversationsResp
	e.adminGet("/api/v1/admin/conversations", &cs)
	assert.Equal(t, 2, cs.TotalCount)
	require.Len(t, cs.Conversations, 2)
	assert.Equal(t, "si_alice_bob", cs.Conversations[0].ConversationID, "the latest updated first")
	assert.Equal(t, int64(2), cs.Conversations[0].MaxSeq)

	var ms server.AdminMessagesResp
	e.adminGet("/api/v1/admin/messages?keyword=BUY", &ms)
	assert.Equal(t, 1, ms.TotalCount)
	require.Len(t, ms.Messages, 1)
	assert.Equal(t, "buy now, carol", summary(ms.Messages[0]))
	e.adminGet("/api/v1/admin/messages?conversationID=si_alice_bob&offset=1&count=1", &ms)
	assert.Equal(t, 2, ms.TotalCount)
	require.Len(t, ms.Messages, 1)
	assert.Equal(t, "hello bob", summary(ms.Messages[0]), "newest first, second page")

	for _, q := range []string{"users?count=0", "users?count=201", "users?offset=-1", "messages?offset=x", "messages?sendID=_bad", "conversations?count=1e3"} {
		st, body := e.adminGet("/api/v1/admin/"+q, nil)
		wantHTTPError(t, st, body, http.StatusBadRequest, protocol.CodeInvalidArgument)
	}
}
