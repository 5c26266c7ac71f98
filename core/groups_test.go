package core_test

import (
	"context"

	"sync"
	"testing"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// groupStore is a store holding group g and its conversation, as a member
// of it would.
func groupStore(t *testing.T, g core.Group) *mem.Store {
	t.Helper()
	st := mem.New()
	cur := int64(3)
	conv := protocol.GroupConversationID(g.GroupID)
	if err := st.Apply(context.Background(), &core.Changes{
		Groups: []core.Group{g}, Cursor: &cur,
		Conversations: []core.Conversation{{ConversationID: conv, SessionType: protocol.SessionGroup, GroupID: g.GroupID, MinSeq: 1}},
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// groupServer is a fake server whose group.list answers *groups.
func groupServer(mu *sync.Mutex, groups *[]protocol.Group) *fakeServer {
	fs := &fakeServer{}
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		switch f.Type {
		case protocol.ReqListGroups:
			mu.Lock()
			defer mu.Unlock()
			return protocol.GroupsResp{Groups: append([]protocol.Group{}, *groups...)}, nil, true
		case protocol.ReqQuitGroup:
			mu.Lock()
			defer mu.Unlock()
			*groups = nil
			return struct{}{}, nil, true
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	return fs
}

func removals(evs []core.Event) []core.GroupMemberRemoved {
	var out []core.GroupMemberRemoved
	for _, ev := range evs {
		if r, ok := ev.(core.GroupMemberRemoved); ok {
			out = append(out, r)
		}
	}
	return out
}

func syncFinished(evs []core.Event) bool {
	for _, ev := range evs {
		if sp, ok := ev.(core.SyncProgressed); ok && sp.Phase == core.SyncFinish {
			return true
		}
	}
	return false
}

// wantRemoved checks the local effects of being removed from g: gone from
// the stored groups, conversation kept and marked, sends refused at once
// with permission_denied and nothing stored for them.
func wantRemoved(t *testing.T, c *core.Client, groupID string) {
	t.Helper()
	ctx := context.Background()
	conv := protocol.GroupConversationID(groupID)
	cv, err := c.Conversation(ctx, conv)
	if err != nil || !cv.Removed || cv.ShowName != "team" {
		t.Fatalf("conversation after removal: %+v, %v (want removed, named team)", cv, err)
	}
	m, err := c.CreateTextMessage("still here?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, m, "", groupID); protocol.CodeOf(err) != protocol.CodePermissionDenied {
		t.Fatalf("send to a group left: %v, want permission_denied", err)
	}
	if un, err := c.UnsentMessages(ctx, conv); err != nil || len(un) != 0 {
		t.Fatalf("refused send was stored: %+v, %v", un, err)
	}
}

func TestRemovedFromGroupByPush(t *testing.T) {
	g := core.Group{GroupID: "g1", Name: "team", OwnerUserID: "boss", MemberCount: 3}
	var mu sync.Mutex
	listed := []protocol.Group{{GroupID: "g1", Name: "team", OwnerUserID: "boss", MemberCount: 3}}
	fs := groupServer(&mu, &listed)
	c, rec := newTestClient(t, fs, groupStore(t, g), nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "catch-up", syncFinished)
	c.WaitEvents()

	// Another member leaves: the count changes, the group stays.
	after := protocol.Group{GroupID: "g1", Name: "team", OwnerUserID: "boss", MemberCount: 2}
	fs.push(protocol.PushGroupMemberRemoved, protocol.GroupMemberRemoved{GroupID: "g1", UserID: "bob", OperatorUserID: "bob", Reason: protocol.RemovedQuit, Group: after})
	rec.waitFor(t, "bob's removal", func(evs []core.Event) bool { return len(removals(evs)) == 1 })
	c.WaitEvents()
	rec.mu.Lock()
	var changed []core.Group
	for _, ev := range rec.events {
		if gc, ok := ev.(core.GroupChanged); ok {
			changed = append(changed, gc.Group)
		}
	}
	rec.mu.Unlock()
	if len(changed) != 1 || changed[0].MemberCount != 2 {
		t.Fatalf("groupChanged %+v, want one with memberCount 2", changed)
	}

	// Then the user is kicked.
	mu.Lock()
	listed = nil
	mu.Unlock()
	after.MemberCount = 1
	fs.push(protocol.PushGroupMemberRemoved, protocol.GroupMemberRemoved{GroupID: "g1", UserID: "me", OperatorUserID: "boss", Reason: protocol.RemovedKicked, Group: after})
	rec.waitFor(t, "own removal", func(evs []core.Event) bool { return len(removals(evs)) == 2 })
	r := removals(rec.events)[1]
	if r.UserID != "me" || r.OperatorUserID != "boss" || r.Reason != "kicked" || r.Group.MemberCount != 1 {
		t.Fatalf("removal event %+v", r)
	}
	wantRemoved(t, c, "g1")
	gs, err := c.JoinedGroupList(context.Background())
	if err != nil || len(gs) != 0 {
		t.Fatalf("joined groups after removal: %+v, %v", gs, err)
	}
	// The same push again (a second device's echo, a repeat) announces nothing.
	fs.push(protocol.PushGroupMemberRemoved, protocol.GroupMemberRemoved{GroupID: "g1", UserID: "me", OperatorUserID: "boss", Reason: protocol.RemovedKicked, Group: after})
	fs.push(protocol.PushFriendAdded, protocol.User{UserID: "zed"}) // a marker after it
	rec.waitFor(t, "marker", func(evs []core.Event) bool {
		for _, ev := range evs {
			if _, ok := ev.(core.FriendAdded); ok {
				return true
			}
		}
		return false
	})
	if n := len(removals(rec.events)); n != 2 {
		t.Fatalf("%d removal events, want 2", n)
	}

	// Added again (push.group): the conversation is usable again.
	fs.push(protocol.PushGroup, after)
	rec.waitFor(t, "re-added", func(evs []core.Event) bool {
		_, ok := evs[len(evs)-1].(core.GroupChanged)
		return ok
	})
	if cv, err := c.Conversation(context.Background(), "sg_g1"); err != nil || cv.Removed {
		t.Fatalf("conversation after re-adding: %+v, %v", cv, err)
	}
}

// TestRemovedWhileOffline: the server's sync says nothing of a group the
// user was removed from; the list asked after the catch-up does.
func TestRemovedWhileOffline(t *testing.T) {
	var mu sync.Mutex
	var listed []protocol.Group
	fs := groupServer(&mu, &listed)
	c, rec := newTestClient(t, fs, groupStore(t, core.Group{GroupID: "g1", Name: "team", MemberCount: 3}), nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "removal", func(evs []core.Event) bool { return len(removals(evs)) == 1 })
	r := removals(rec.events)[0]
	if r.GroupID != "g1" || r.UserID != "me" || r.Reason != "" || r.Group.Name != "team" {
		t.Fatalf("removal event %+v", r)
	}
	wantRemoved(t, c, "g1")
}

// TestNoGroupsNoList: a device that holds no group does not ask for the
// list after its catch-up.
func TestNoGroupsNoList(t *testing.T) {
	fs := &fakeServer{}
	var mu sync.Mutex
	var types []string
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		mu.Lock()
		types = append(types, f.Type)
		mu.Unlock()
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "catch-up", syncFinished)
	// Logout waits for the catch-up goroutine: what it sent is recorded.
	c.Logout(context.Background())
	mu.Lock()
	defer mu.Unlock()
	for _, typ := range types {
		if typ == protocol.ReqListGroups {
			t.Fatalf("asked for the group list: %v", types)
		}
	}
}

func TestQuitGroup(t *testing.T) {
	var mu sync.Mutex
	listed := []protocol.Group{{GroupID: "g1", Name: "team"}}
	fs := groupServer(&mu, &listed)
	c, rec := newTestClient(t, fs, groupStore(t, core.Group{GroupID: "g1", Name: "team"}), nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "catch-up", syncFinished)
	if err := c.QuitGroup(context.Background(), "g1"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "removal", func(evs []core.Event) bool { return len(removals(evs)) == 1 })
	if r := removals(rec.events)[0]; r.Reason != "quit" || r.OperatorUserID != "me" {
		t.Fatalf("removal event %+v", r)
	}
	wantRemoved(t, c, "g1")
	if err := c.QuitGroup(context.Background(), "bad id"); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Fatalf("QuitGroup(bad id) = %v", err)
	}
}
