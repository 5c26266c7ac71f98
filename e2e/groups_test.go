package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"parley/core"
	"parley/protocol"
)

// removals returns the groupMemberRemoved events d got about userID.
func (d *device) removals(userID string) []core.GroupMemberRemoved {
	var out []core.GroupMemberRemoved
	for _, ev := range d.events {
		if r, ok := ev.(core.GroupMemberRemoved); ok && r.UserID == userID {
			out = append(out, r)
		}
	}
	return out
}

// waitRemoval waits for d's groupMemberRemoved event about userID.
func (d *device) waitRemoval(userID string) core.GroupMemberRemoved {
	d.t.Helper()
	d.waitFor("groupMemberRemoved of "+userID, func() bool { return len(d.removals(userID)) > 0 })
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.removals(userID)[0]
}

// waitMemberCount waits for a groupChanged of groupID with count members.
func (d *device) waitMemberCount(groupID string, count int) {
	d.t.Helper()
	d.waitFor("groupChanged with memberCount", func() bool {
		for _, ev := range d.events {
			if g, ok := ev.(core.GroupChanged); ok && g.Group.GroupID == groupID && g.Group.MemberCount == count {
				return true
			}
		}
		return false
	})
}

// checkOut checks that d's user is out of the group on this device: not in
// the joined list (from the server or stored), the conversation kept but
// marked removed, sends refused at once.
func checkOut(t *testing.T, d *device, groupID string) {
	t.Helper()
	ctx := context.Background()
	gs, err := d.c.JoinedGroupList(ctx)
	if err != nil {
		t.Fatalf("%s: JoinedGroupList: %v", d.userID, err)
	}
	for _, g := range gs {
		if g.GroupID == groupID {
			t.Fatalf("%s: %s still in the joined list", d.userID, groupID)
		}
	}
	if cv := conversation(t, d, protocol.GroupConversationID(groupID)); !cv.Removed || cv.ShowName != "Four" {
		t.Fatalf("%s: conversation not marked removed, or lost its name: %+v", d.userID, cv)
	}
	m, err := d.c.CreateTextMessage("am I still here?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.c.SendMessage(ctx, m, "", groupID); protocol.CodeOf(err) != protocol.CodePermissionDenied {
		t.Fatalf("%s: send to a group left: %v, want permission_denied", d.userID, err)
	}
}

// TestGroupRemoval: a kicked member online, a kicked member offline (who
// learns it when reconnecting) and a member who leaves; the others learn
// each removal with the new member count, online from the push, offline
// when reconnecting.
func TestGroupRemoval(t *testing.T) {
	e := newEnv(t, nil)
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		e.user(u)
	}
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	c := e.device("carol", deviceOpt{})
	d := e.device("dave", deviceOpt{})
	ctx := context.Background()
	g, err := a.c.CreateGroup(ctx, "Four", []string{"bob", "carol", "dave"})
	if err != nil {
		t.Fatal(err)
	}
	a.send("", g.GroupID, "welcome")
	for _, x := range []*device{b, c, d} {
		x.waitNew(1)
		x.waitMemberCount(g.GroupID, 4)
	}
	// Dave goes offline; his data stays for his next login.
	d.logout()

	// Bob is kicked while online.
	if err := a.c.KickGroupMember(ctx, g.GroupID, "bob"); err != nil {
		t.Fatal(err)
	}
	r := b.waitRemoval("bob")
	if r.GroupID != g.GroupID || r.OperatorUserID != "alice" || r.Reason != protocol.RemovedKicked || r.Group.MemberCount != 3 {
		t.Fatalf("bob's event: %+v", r)
	}
	checkOut(t, b, g.GroupID)
	for _, x := range []*device{a, c} {
		x.waitRemoval("bob")
		x.waitMemberCount(g.GroupID, 3)
	}

	// Dave is kicked while offline, and learns it when he is back; Carol,
	// offline too, learns the new count when she is back.
	c.logout()
	if err := a.c.KickGroupMember(ctx, g.GroupID, "dave"); err != nil {
		t.Fatal(err)
	}
	a.waitMemberCount(g.GroupID, 2)
	lists, infos := e.requests(protocol.ReqListGroups), e.requests(protocol.ReqGetGroupInfo)
	c = e.device("carol", deviceOpt{store: c.store})
	c.waitMemberCount(g.GroupID, 2)
	d2 := e.device("dave", deviceOpt{store: d.store})
	r = d2.waitRemoval("dave")
	if r.GroupID != g.GroupID || r.Group.Name != "Four" {
		t.Fatalf("dave's event after reconnecting: %+v", r)
	}
	// Both learned it from sync: no group list, one group.info (Carol's
	// count; the memberRemoved notification her catch-up folded asks for
	// the same group, once, with its members), whatever the number of
	// groups they hold.
	if n := e.requests(protocol.ReqListGroups) - lists; n != 0 {
		t.Errorf("%d group.list requests during the catch-ups, want 0", n)
	}
	if n := e.requests(protocol.ReqGetGroupInfo) - infos; n != 1 {
		t.Errorf("%d group.info requests during the catch-ups, want 1 (carol's)", n)
	}
	checkOut(t, d2, g.GroupID)
	// What he missed up to his removal came too: bob's kick, then his.
	if h := d2.history(protocol.GroupConversationID(g.GroupID)); len(h) != 3 || noticeKind(h[1]) != protocol.NotificationMemberRemoved ||
		noticeKind(h[2]) != protocol.NotificationMemberRemoved {
		t.Errorf("dave's history of the group: %+v, want the 1 he had and the two kicks' notifications", h)
	}

	// Carol leaves; the owner cannot.
	if err := a.c.QuitGroup(ctx, g.GroupID); protocol.CodeOf(err) != protocol.CodePermissionDenied {
		t.Fatalf("owner QuitGroup: %v, want permission_denied", err)
	}
	if err := c.c.QuitGroup(ctx, g.GroupID); err != nil {
		t.Fatal(err)
	}
	r = c.waitRemoval("carol")
	if r.Reason != protocol.RemovedQuit || r.OperatorUserID != "carol" {
		t.Fatalf("carol's event: %+v", r)
	}
	checkOut(t, c, g.GroupID)
	a.waitRemoval("carol")
	a.waitMemberCount(g.GroupID, 1)
	gs, err := a.c.JoinedGroupList(ctx)
	if err != nil || len(gs) != 1 || gs[0].MemberCount != 1 {
		t.Fatalf("alice's groups: %+v, %v", gs, err)
	}
	// Each removal was announced once on each device that saw it.
	for _, x := range []*device{a, b, c, d2} {
		x.mu.Lock()
		for _, u := range []string{"bob", "carol", "dave"} {
			if n := len(x.removals(u)); n > 1 {
				t.Errorf("%s: %d events for %s's removal", x.userID, n, u)
			}
		}
		x.mu.Unlock()
	}
}

// TestClientClose: a closed client has logged out, keeps its data for a
// new client, and refuses every call with code closed.
func TestClientClose(t *testing.T) {
	e := newEnv(t, nil)
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	a.send("bob", "", "before close")
	if err := a.c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.ConversationList(context.Background(), 0, 0); protocol.CodeOf(err) != protocol.CodeClosed {
		t.Fatalf("ConversationList after Close: %v", err)
	}
	// The data stays: a new client on the same store logs in, catches up
	// and has the message.
	a2 := e.device("alice", deviceOpt{store: a.store})
	if h := a2.history(protocol.SingleConversationID("alice", "bob")); len(h) != 1 {
		t.Fatalf("history after Close and a new login: %+v", h)
	}
}

// requests is how many requests of type typ the server has answered, from
// its /metrics (the latency histogram's count).
func (e *env) requests(typ string) int {
	e.t.Helper()
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	prefix := `parley_request_duration_seconds_count{type="` + typ + `"} `
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				e.t.Fatalf("metrics line %q: %v", sc.Text(), err)
			}
			return n
		}
	}
	if err := sc.Err(); err != nil {
		e.t.Fatal(err)
	}
	return 0
}
