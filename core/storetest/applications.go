package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"parley/core"
	"parley/protocol"
)

// testGroupApplications: applications are kept by (groupID, userID),
// listed newest activity first, updated in place and removed by key,
// apart from the groups and their members; they survive a reopen; and
// they are unreadable after Close.
func testGroupApplications(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "groupApplications")
	apply(t, s, &core.Changes{GroupApplications: []core.GroupApplication{
		{GroupID: "g1", UserID: "a", Message: "let me in", State: protocol.ApplicationPending, CreateTime: 10},
		{GroupID: "g1", UserID: "b", State: protocol.ApplicationPending, CreateTime: 20},
		{GroupID: "g2", UserID: "me", Message: "me too", State: protocol.ApplicationPending, CreateTime: 20},
		{GroupID: "g2", UserID: "c", State: protocol.ApplicationPending, CreateTime: 5},
	}})
	// a's is accepted at 30 and moves to the top; c's goes; a group's
	// removal (its members go with it) leaves the applications alone.
	apply(t, s, &core.Changes{
		GroupApplications:        []core.GroupApplication{{GroupID: "g1", UserID: "a", Message: "let me in", State: protocol.ApplicationAccepted, CreateTime: 10, HandleTime: 30}},
		RemovedGroupApplications: []core.GroupApplication{{GroupID: "g2", UserID: "c"}, {GroupID: "g9", UserID: "zz"}},
		RemovedGroups:            []string{"g3"},
	})
	want := []core.GroupApplication{
		{GroupID: "g1", UserID: "a", Message: "let me in", State: protocol.ApplicationAccepted, CreateTime: 10, HandleTime: 30},
		{GroupID: "g1", UserID: "b", State: protocol.ApplicationPending, CreateTime: 20},
		{GroupID: "g2", UserID: "me", Message: "me too", State: protocol.ApplicationPending, CreateTime: 20},
	}
	if got := must(s.GroupApplications(ctx)).of(t); !reflect.DeepEqual(got, want) {
		t.Errorf("GroupApplications = %+v, want %+v", got, want)
	}
	if ms := must(s.GroupMembers(ctx, "g1")).of(t); len(ms) != 0 {
		t.Errorf("GroupMembers(g1) = %+v, want none", ms)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.GroupApplications(ctx); !errors.Is(err, core.ErrStoreClosed) {
		t.Errorf("GroupApplications after Close: err = %v, want ErrStoreClosed", err)
	}
	s = open(t, "groupApplications")
	defer s.Close()
	if got := must(s.GroupApplications(ctx)).of(t); !reflect.DeepEqual(got, want) {
		t.Errorf("GroupApplications after reopen = %+v, want %+v", got, want)
	}
}
