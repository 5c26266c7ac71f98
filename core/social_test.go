package core_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// A reconnect reads the friend list, requests, blacklist and group
// applications again only when the server's social version moved since
// they were stored and its change log does not reach back there.
func TestFriendListsReadOnlyWhenTheSocialVersionMoved(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	version := int64(3)
	lists := 0
	fs := &fakeServer{}
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		mu.Lock()
		defer mu.Unlock()
		switch f.Type {
		case protocol.ReqSocialVersion:
			return protocol.SocialVersionResp{Version: version}, nil, true
		case protocol.ReqSocialChanges:
			// A server whose change log does not reach the stored version.
			var req protocol.SocialChangesReq
			if err := json.Unmarshal(f.Data, &req); err != nil {
				return nil, &protocol.Error{Code: protocol.CodeInvalidArgument}, true
			}
			return protocol.SocialChangesResp{Version: version, TooOld: req.Since < version}, nil, true
		case protocol.ReqListFriends:
			lists++
			return protocol.UsersResp{Users: []protocol.User{{UserID: "bob", Nickname: "Bob"}}}, nil, true
		case protocol.ReqListFriendRequests:
			return protocol.FriendRequestsResp{}, nil, true
		case protocol.ReqListBlocked:
			return protocol.UsersResp{}, nil, true
		case protocol.ReqGroupApplications:
			return protocol.GroupApplicationsResp{}, nil, true
		case protocol.ReqChangedProfiles:
			return protocol.ChangedProfilesResp{}, nil, true
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	require.NoError(t, c.Login(ctx, "me", "tok"))
	finishes := func(n int) func([]core.Event) bool {
		return func(evs []core.Event) bool {
			k := 0
			for _, ev := range evs {
				if sp, ok := ev.(core.SyncProgressed); ok && sp.Phase == core.SyncFinish {
					k++
				}
			}
			return k >= n
		}
	}
	rec.waitFor(t, "first catch-up", finishes(1))
	reconnect := func(n int) {
		fs.mu.Lock()
		conns := fs.conns
		fs.conns = nil
		fs.mu.Unlock()
		for _, cn := range conns {
			cn.Close()
		}
		rec.waitFor(t, "catch-up after reconnecting", finishes(n))
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return lists
	}
	assert.Equal(t, 1, count(), "a fresh store reads the lists")
	reconnect(2)
	assert.Equal(t, 1, count(), "nothing changed: not read again")
	mu.Lock()
	version = 4
	mu.Unlock()
	reconnect(3)
	assert.Equal(t, 2, count(), "the version moved: read again")
	fl, err := c.FriendList(ctx)
	require.NoError(t, err)
	assert.Len(t, fl, 1)
}
