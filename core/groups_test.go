package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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

// syncServer is a fake server whose sync answers states once (then
// nothing), whose group.info answers from groups, and whose pulls answer
// from msgs, for a conversation whose state is marked Removed up to its
// MaxSeq only, as the server does. It records the requests' types.
type syncServer struct {
	*fakeServer
	mu     sync.Mutex
	states []protocol.ConversationState
	groups map[string]protocol.Group
	msgs   []protocol.Message
	types  []string
}

func newSyncServer(states []protocol.ConversationState, groups ...protocol.Group) *syncServer {
	ss := &syncServer{fakeServer: &fakeServer{}, states: states, groups: map[string]protocol.Group{}}
	for _, g := range groups {
		ss.groups[g.GroupID] = g
	}
	ss.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		ss.types = append(ss.types, f.Type)
		denied := &protocol.Error{Code: protocol.CodePermissionDenied, Message: "not a member of this group"}
		switch f.Type {
		case protocol.ReqSync:
			var req protocol.SyncReq
			_ = json.Unmarshal(f.Data, &req)
			var out []protocol.ConversationState
			next := req.Cursor
			for _, st := range ss.states {
				if st.Version > req.Cursor {
					out = append(out, st)
					next = max(next, st.Version)
				}
			}
			return protocol.SyncResp{Conversations: append([]protocol.ConversationState{}, out...), Cursor: next}, nil, true
		case protocol.ReqPull:
			var req protocol.PullReq
			_ = json.Unmarshal(f.Data, &req)
			out := []protocol.Message{}
			for _, rg := range req.Ranges {
				to := rg.ToSeq
				for _, st := range ss.states {
					if st.ConversationID == rg.ConversationID && st.Removed && (to == 0 || to > st.MaxSeq) {
						to = st.MaxSeq
					}
				}
				for _, m := range ss.msgs {
					if m.ConversationID == rg.ConversationID && m.Seq >= rg.FromSeq && (to == 0 || m.Seq <= to) {
						out = append(out, m)
					}
				}
			}
			return protocol.PullResp{Messages: out}, nil, true
		case protocol.ReqGetGroupInfo:
			var req protocol.GroupIDReq
			_ = json.Unmarshal(f.Data, &req)
			if g, ok := ss.groups[req.GroupID]; ok {
				return g, nil, true
			}
			return nil, denied, true
		}
		r, e := defaultAnswer(ss.fakeServer, f)
		return r, e, true
	}
	return ss
}

func (ss *syncServer) asked(typ string) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n := 0
	for _, t := range ss.types {
		if t == typ {
			n++
		}
	}
	return n
}

// TestRemovedWhileOffline: the catch-up's sync reports the group's state
// marked removed, its MaxSeq the removal's notification; the device pulls
// what it missed up to it, announces those messages, then the removal,
// and asks neither for the group list nor for the group.
func TestRemovedWhileOffline(t *testing.T) {
	ss := newSyncServer([]protocol.ConversationState{{ConversationID: "sg_g1", SessionType: protocol.SessionGroup, GroupID: "g1",
		MinSeq: 1, MaxSeq: 2, Version: 4, GroupVersion: 4, Removed: true}})
	kick, _ := json.Marshal(protocol.NotificationContent{Kind: protocol.NotificationMemberRemoved, OperatorUserID: "boss", UserIDs: []string{"me"}})
	gm := func(seq int64, typ string, content json.RawMessage) protocol.Message {
		return protocol.Message{ConversationID: "sg_g1", SessionType: protocol.SessionGroup, GroupID: "g1", Seq: seq, SendID: "boss",
			ClientMsgID: fmt.Sprint("c", seq), ServerMsgID: fmt.Sprint("s", seq), ContentType: typ, Content: content, SendTime: 1000 + seq}
	}
	ss.msgs = []protocol.Message{gm(1, protocol.ContentText, json.RawMessage(`{"text":"before"}`)), gm(2, protocol.ContentNotification, kick),
		gm(3, protocol.ContentText, json.RawMessage(`{"text":"after"}`))} // seq 3: what a server must not give
	c, rec := newTestClient(t, ss.fakeServer, groupStore(t, core.Group{GroupID: "g1", Name: "team", MemberCount: 3}), nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "removal", func(evs []core.Event) bool { return len(removals(evs)) == 1 })
	r := removals(rec.events)[0]
	if r.GroupID != "g1" || r.UserID != "me" || r.Reason != "" || r.Group.Name != "team" {
		t.Fatalf("removal event %+v", r)
	}
	wantRemoved(t, c, "g1")
	// Logout waits for the catch-up goroutine: what it sent is recorded.
	c.Logout(context.Background())
	if n := ss.asked(protocol.ReqListGroups) + ss.asked(protocol.ReqGetGroupInfo); n != 0 {
		t.Fatalf("asked for the list or a group: %v", ss.types)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var order []string
	for _, ev := range rec.events {
		switch ev := ev.(type) {
		case core.NewMessages:
			for _, m := range ev.Messages {
				order = append(order, m.ClientMsgID)
			}
		case core.GroupMemberRemoved:
			order = append(order, "removed")
		}
	}
	if want := []string{"c1", "c2", "removed"}; !slices.Equal(order, want) {
		t.Fatalf("announced %v, want %v", order, want)
	}
}

// TestGroupChangedWhileOffline: a state whose GroupVersion is past the
// stored cursor (3) makes the device ask for that group alone and
// announce its new count; a group whose state only carries a message is
// not asked for.
func TestGroupChangedWhileOffline(t *testing.T) {
	ss := newSyncServer([]protocol.ConversationState{
		{ConversationID: "sg_g1", SessionType: protocol.SessionGroup, GroupID: "g1", MinSeq: 1, Version: 5, GroupVersion: 4},
		{ConversationID: "sg_g2", SessionType: protocol.SessionGroup, GroupID: "g2", MinSeq: 1, Version: 6, GroupVersion: 2},
	}, protocol.Group{GroupID: "g1", Name: "team", MemberCount: 2}, protocol.Group{GroupID: "g2", Name: "other", MemberCount: 9})
	st := groupStore(t, core.Group{GroupID: "g1", Name: "team", MemberCount: 3})
	if err := st.Apply(context.Background(), &core.Changes{Groups: []core.Group{{GroupID: "g2", Name: "other", MemberCount: 5}}}); err != nil {
		t.Fatal(err)
	}
	c, rec := newTestClient(t, ss.fakeServer, st, nil)
	if err := c.Login(context.Background(), "me", "tok"); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "groupChanged", func(evs []core.Event) bool {
		for _, ev := range evs {
			if _, ok := ev.(core.GroupChanged); ok {
				return true
			}
		}
		return false
	})
	c.Logout(context.Background())
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var changed []core.Group
	for _, ev := range rec.events {
		if gc, ok := ev.(core.GroupChanged); ok {
			changed = append(changed, gc.Group)
		}
	}
	if len(changed) != 1 || changed[0].GroupID != "g1" || changed[0].MemberCount != 2 {
		t.Fatalf("groupChanged %+v, want g1 with memberCount 2", changed)
	}
	if ss.asked(protocol.ReqGetGroupInfo) != 1 || ss.asked(protocol.ReqListGroups) != 0 {
		t.Fatalf("requests %v, want one group.info and no group.list", ss.types)
	}
}
