package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"parley/core"
	"parley/protocol"
)

// testFriendRequests: requests both ways are kept by (from, to), listed
// newest activity first, updated in place and removed by key; they
// survive a reopen; and they are unreadable after Close.
func testFriendRequests(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "friendRequests")
	from := &protocol.User{UserID: "b", Nickname: "Bee"}
	apply(t, s, &core.Changes{FriendRequests: []core.FriendRequest{
		{FromUserID: "me", ToUserID: "a", Message: "hi a", State: protocol.FriendRequestPending, CreateTime: 10},
		{FromUserID: "b", ToUserID: "me", Message: "hi", State: protocol.FriendRequestPending, CreateTime: 20, FromUser: from},
		{FromUserID: "c", ToUserID: "me", State: protocol.FriendRequestPending, CreateTime: 5},
	}})
	// a refuses at 30: the request moves to the top; c's goes.
	apply(t, s, &core.Changes{
		FriendRequests:        []core.FriendRequest{{FromUserID: "me", ToUserID: "a", Message: "hi a", State: protocol.FriendRequestRefused, CreateTime: 10, HandleTime: 30}},
		RemovedFriendRequests: []core.FriendRequest{{FromUserID: "c", ToUserID: "me"}, {FromUserID: "zz", ToUserID: "me"}},
	})
	want := []core.FriendRequest{
		{FromUserID: "me", ToUserID: "a", Message: "hi a", State: protocol.FriendRequestRefused, CreateTime: 10, HandleTime: 30},
		{FromUserID: "b", ToUserID: "me", Message: "hi", State: protocol.FriendRequestPending, CreateTime: 20, FromUser: from},
	}
	got := must(s.FriendRequests(ctx)).of(t)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FriendRequests = %+v, want %+v", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.FriendRequests(ctx); !errors.Is(err, core.ErrStoreClosed) {
		t.Errorf("FriendRequests after Close: err = %v, want ErrStoreClosed", err)
	}
	s = open(t, "friendRequests")
	defer s.Close()
	if got := must(s.FriendRequests(ctx)).of(t); !reflect.DeepEqual(got, want) {
		t.Errorf("FriendRequests after reopen = %+v, want %+v", got, want)
	}
}

// testBlackList: blocked users are kept by UserID, listed by UserID,
// apart from cached profiles and friends.
func testBlackList(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "blackList")
	defer s.Close()
	apply(t, s, &core.Changes{Black: []core.User{{UserID: "c"}, {UserID: "a", Nickname: "A"}}})
	apply(t, s, &core.Changes{Black: []core.User{{UserID: "b"}}, RemovedBlack: []string{"c", "zz"}})
	got := must(s.BlackList(ctx)).of(t)
	if want := []core.User{{UserID: "a", Nickname: "A"}, {UserID: "b"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("BlackList = %+v, want %+v", got, want)
	}
	if us := must(s.Users(ctx, []string{"a"})).of(t); len(us) != 0 {
		t.Errorf("Users after Black only = %+v", us)
	}
	if fs := must(s.Friends(ctx)).of(t); len(fs) != 0 {
		t.Errorf("Friends after Black only = %+v", fs)
	}
}

// testProfileCursor: the profile cursor is 0 and the social version unset
// until stored, then both are kept across a reopen.
func testProfileCursor(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t, "profileCursor")
	if c := must(s.ProfileCursor(ctx)).of(t); c != 0 {
		t.Errorf("ProfileCursor of a new store = %d", c)
	}
	if _, ok, err := s.SocialVersion(ctx); err != nil || ok {
		t.Errorf("SocialVersion of a new store: set %v, err %v", ok, err)
	}
	v := int64(42)
	apply(t, s, &core.Changes{ProfileCursor: &v, SocialVersion: &v})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, "profileCursor")
	defer s.Close()
	if c := must(s.ProfileCursor(ctx)).of(t); c != 42 {
		t.Errorf("ProfileCursor after reopen = %d, want 42", c)
	}
	if sv, ok, err := s.SocialVersion(ctx); err != nil || !ok || sv != 42 {
		t.Errorf("SocialVersion after reopen = %d, %v, %v; want 42", sv, ok, err)
	}
}
