package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"parley/core"
	"parley/protocol"
)

// TestGroupReadsOffline: with the server unreachable, the group reads
// answer from the store at once instead of waiting for a connection (up to
// the request timeout, here an hour): the contract's "works offline".
func TestGroupReadsOffline(t *testing.T) {
	ctx := context.Background()
	st := groupStore(t, core.Group{GroupID: "g1", Name: "team", MemberCount: 2, MyRole: protocol.RoleOwner})
	app := core.GroupApplication{GroupID: "g1", UserID: "x", State: protocol.ApplicationPending, CreateTime: 5}
	if err := st.Apply(ctx, &core.Changes{
		GroupMembers:      []core.GroupMember{{GroupID: "g1", UserID: "me", Role: protocol.RoleOwner}, {GroupID: "g1", UserID: "y", Role: protocol.RoleMember}},
		GroupApplications: []core.GroupApplication{app},
	}); err != nil {
		t.Fatal(err)
	}
	fs := &fakeServer{dialErr: errors.New("unreachable")}
	c, _ := newTestClient(t, fs, st, func(cfg *core.Config) { cfg.RequestTimeout = time.Hour })
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	reads := []struct {
		name string
		read func() (int, error) // how many it found
	}{
		{"GroupsInfo", func() (int, error) { gs, err := c.GroupsInfo(ctx, []string{"g1"}); return len(gs), err }},
		{"JoinedGroupList", func() (int, error) { gs, err := c.JoinedGroupList(ctx); return len(gs), err }},
		{"GroupMembers", func() (int, error) { ms, err := c.GroupMembers(ctx, "g1"); return len(ms), err }},
		{"GroupApplications", func() (int, error) { as, err := c.GroupApplications(ctx); return len(as), err }},
		{"GroupApplicationUnhandledCount", func() (int, error) { return c.GroupApplicationUnhandledCount(ctx) }},
	}
	want := map[string]int{"GroupsInfo": 1, "JoinedGroupList": 1, "GroupMembers": 2, "GroupApplications": 1, "GroupApplicationUnhandledCount": 1}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			type result struct {
				n   int
				err error
			}
			done := make(chan result, 1)
			go func() { n, err := r.read(); done <- result{n, err} }()
			select {
			case res := <-done:
				if res.err != nil || res.n != want[r.name] {
					t.Fatalf("%s = %d, %v; want %d from the store", r.name, res.n, res.err, want[r.name])
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s waited for the connection instead of reading the store", r.name)
			}
		})
	}
}
