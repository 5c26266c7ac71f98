package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// The step's decisions other than fold (engine_test.go), one table each.

func TestStepSend(t *testing.T) {
	m := Message{ClientMsgID: "m1", ConversationID: "si_a_b", SendID: "a", Status: StatusSending}
	e := OutboxEntry{ClientMsgID: "m1", ConversationID: "si_a_b", RecvID: "b", Order: 1, Deadline: 99}
	sent := m
	sent.Status, sent.Seq = StatusSent, 4
	failed := m
	failed.Status = StatusFailed
	cases := []struct {
		name      string
		l         localState
		wantWrite bool
		wantValue any
	}{
		{"new", localState{}, true, nil},
		{"already sent: the stored message answers", localState{Msgs: map[string]Message{"m1": sent}}, false, sent},
		{"still in the outbox: waits for it", localState{Msgs: map[string]Message{"m1": m}, Outbox: map[string]bool{"m1": true}}, false, nil},
		{"failed before: sent again", localState{Msgs: map[string]Message{"m1": failed}}, true, nil},
		{"sending but not queued: queued again", localState{Msgs: map[string]Message{"m1": m}}, true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := step(c.l, sendInput{Msg: m, Entry: e})
			require.NoError(t, err)
			assert.Equal(t, c.wantValue, res.Value)
			if c.wantWrite {
				assert.Equal(t, Changes{Messages: []Message{m}, Outbox: []OutboxEntry{e}}, res.Changes)
				assert.Equal(t, []Message{m}, res.Sending)
			} else {
				assert.True(t, res.Changes.Empty())
				assert.Empty(t, res.Sending)
			}
		})
	}
}

func TestStepFailAttemptClear(t *testing.T) {
	m := Message{ClientMsgID: "m1", ConversationID: "si_a_b", Status: StatusSending}
	sent := m
	sent.Status, sent.Seq = StatusSent, 2

	res, err := step(localState{Msgs: map[string]Message{"m1": m}}, failInput{ClientMsgID: "m1", Code: protocol.CodeTooLarge})
	require.NoError(t, err)
	want := m
	want.Status, want.ErrorCode = StatusFailed, protocol.CodeTooLarge
	assert.Equal(t, []Message{want}, res.Changes.Messages)
	assert.Equal(t, []string{"m1"}, res.Changes.RemovedOutbox)
	assert.Equal(t, []Message{want}, res.Failed)

	res, err = step(localState{Msgs: map[string]Message{"m1": sent}}, failInput{ClientMsgID: "m1", Code: protocol.CodeTimeout})
	require.NoError(t, err)
	assert.Empty(t, res.Failed, "found on the server meanwhile: not a failure")
	assert.Equal(t, []Message{sent}, res.Resolved)
	assert.Empty(t, res.Changes.Messages)

	e := OutboxEntry{ClientMsgID: "m1", Attempts: 2}
	res, err = step(localState{Entries: map[string]OutboxEntry{"m1": e}}, attemptInput{ClientMsgID: "m1", Code: protocol.CodeRateLimited})
	require.NoError(t, err)
	assert.Equal(t, []OutboxEntry{{ClientMsgID: "m1", Attempts: 3, LastError: "rate_limited"}}, res.Changes.Outbox)
	res, err = step(localState{Entries: map[string]OutboxEntry{}}, attemptInput{ClientMsgID: "gone"})
	require.NoError(t, err)
	assert.True(t, res.Changes.Empty(), "an entry gone meanwhile is not written back")

	res, err = step(localState{Msgs: map[string]Message{"m1": sent}}, clearInput{ClientMsgID: "m1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"m1"}, res.Changes.RemovedOutbox)
	assert.Equal(t, []Message{sent}, res.Resolved)
}

func TestStepMarkRead(t *testing.T) {
	cv := &Conversation{ConversationID: "si_a_b", MinSeq: 1, MaxSeq: 5, ReadSeq: 2, UnreadCount: 3}
	res, err := step(localState{Convs: map[string]*Conversation{"si_a_b": cv}}, markReadInput{ConversationID: "si_a_b"})
	require.NoError(t, err)
	require.Len(t, res.Changes.Conversations, 1)
	got := res.Changes.Conversations[0]
	assert.Equal(t, int64(5), got.ReadSeq)
	assert.Equal(t, int64(0), got.UnreadCount)
	assert.Equal(t, []Conversation{got}, res.Changed)

	res, err = step(localState{Convs: map[string]*Conversation{"si_a_b": &got}}, markReadInput{ConversationID: "si_a_b"})
	require.NoError(t, err)
	assert.True(t, res.Changes.Empty(), "read already: nothing to write")

	_, err = step(localState{Convs: map[string]*Conversation{}}, markReadInput{ConversationID: "si_a_x"})
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(err))
}

func TestStepFriends(t *testing.T) {
	bob, carol, dave := User{UserID: "bob"}, User{UserID: "carol"}, User{UserID: "dave"}
	res, err := step(localState{Friends: map[string]User{"bob": bob, "dave": dave}}, friendListInput{Users: []User{carol, bob}})
	require.NoError(t, err)
	assert.Equal(t, []User{bob, carol}, res.Value, "sorted by UserID")
	assert.Equal(t, []User{carol, bob}, res.Changes.Friends)
	assert.Equal(t, []string{"dave"}, res.Changes.RemovedFriends, "a friend the server no longer lists is removed")

	res, err = step(localState{}, friendAddedInput{User: bob})
	require.NoError(t, err)
	assert.Equal(t, []Event{FriendAdded{User: bob}}, res.Events)
	res, err = step(localState{}, friendAddedInput{User: bob, Quiet: true})
	require.NoError(t, err)
	assert.Empty(t, res.Events)
	assert.Equal(t, []User{bob}, res.Changes.Friends)

}

// TestStepSocialChanges: a page of user.socialChanges changes only the
// rows it names, announces what is new and stores its version.
func TestStepSocialChanges(t *testing.T) {
	bob, carol, dave := User{UserID: "bob", Nickname: "Bob"}, User{UserID: "carol"}, User{UserID: "dave"}
	erin := protocol.User{UserID: "erin", Nickname: "Erin"}
	req := protocol.FriendRequest{FromUserID: "erin", ToUserID: "me", State: protocol.FriendRequestPending, CreateTime: 5, FromUser: &erin}
	l := localState{Self: "me", Friends: map[string]User{"bob": bob, "carol": carol}, Black: map[string]User{}, Requests: map[[2]string]FriendRequest{}}
	renamed := protocol.User{UserID: "bob", Nickname: "Bob", Remark: "B"}
	res, err := step(l, socialChangesInput{Resp: protocol.SocialChangesResp{
		Version: 7, Friends: []protocol.User{renamed, {UserID: "dave"}}, RemovedFriends: []string{"carol", "nobody"},
		Black: []protocol.User{{UserID: "carol"}}, RemovedBlack: []string{"bob"}, Requests: []protocol.FriendRequest{req},
	}})
	require.NoError(t, err)
	withRemark := bob
	withRemark.Remark = "B"
	assert.Equal(t, []User{withRemark, dave}, res.Changes.Friends, "bob's changed entry and a new friend")
	assert.Equal(t, []string{"carol"}, res.Changes.RemovedFriends, "one not stored is not removed")
	assert.Equal(t, []User{carol}, res.Changes.Black)
	assert.Empty(t, res.Changes.RemovedBlack, "bob was not blocked")
	assert.Equal(t, []FriendRequest{req}, res.Changes.FriendRequests)
	require.NotNil(t, res.Changes.SocialVersion)
	assert.Equal(t, int64(7), *res.Changes.SocialVersion)
	assert.Equal(t, []Event{
		FriendInfoChanged{User: withRemark}, FriendAdded{User: dave}, FriendDeleted{UserID: "carol"},
		BlackListChanged{Users: []User{carol}}, FriendRequestReceived{Request: req},
	}, res.Events)

	// The same rows again change nothing but the version.
	l.Friends = map[string]User{"bob": withRemark, "dave": dave}
	l.Black = map[string]User{"carol": carol}
	l.Requests[requestKey(req)] = req
	res, err = step(l, socialChangesInput{Resp: protocol.SocialChangesResp{Version: 8, Friends: []protocol.User{renamed}, Black: []protocol.User{{UserID: "carol"}}, Requests: []protocol.FriendRequest{req}}})
	require.NoError(t, err)
	assert.Empty(t, res.Events)
	assert.Empty(t, res.Changes.Friends)
	assert.Empty(t, res.Changes.Black)
	assert.Empty(t, res.Changes.FriendRequests)
}

// TestStepSocialChangesApplications: the group applications a page of
// user.socialChanges carries are stored and announced as their pushes
// would have been: a new one, a decision, the same state again, an older
// one, the user's own.
func TestStepSocialChangesApplications(t *testing.T) {
	pending := GroupApplication{GroupID: "g", UserID: "carol", State: protocol.ApplicationPending, CreateTime: 5}
	refused := pending
	refused.State, refused.HandleTime = protocol.ApplicationRefused, 9
	mine := GroupApplication{GroupID: "h", UserID: "me", State: protocol.ApplicationPending, CreateTime: 6}
	again := GroupApplication{GroupID: "g", UserID: "dave", State: protocol.ApplicationPending, CreateTime: 3}
	newer := again
	newer.CreateTime = 8
	for _, tc := range []struct {
		name        string
		stored, got []GroupApplication
		changes     []GroupApplication
		events      []Event
	}{
		{"new, to decide", nil, []GroupApplication{pending}, []GroupApplication{pending}, []Event{GroupApplicationReceived{Application: pending}}},
		{"decided while away", []GroupApplication{pending}, []GroupApplication{refused}, []GroupApplication{refused}, []Event{GroupApplicationRefused{Application: refused}}},
		{"made and decided while away", nil, []GroupApplication{refused}, []GroupApplication{refused}, []Event{GroupApplicationRefused{Application: refused}}},
		{"the same state", []GroupApplication{refused}, []GroupApplication{refused}, nil, nil},
		{"older than stored", []GroupApplication{newer}, []GroupApplication{again}, nil, nil},
		{"the user's own", nil, []GroupApplication{mine}, []GroupApplication{mine}, nil},
		{"applied again", []GroupApplication{again}, []GroupApplication{newer}, []GroupApplication{newer}, []Event{GroupApplicationReceived{Application: newer}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := localState{Self: "me", Friends: map[string]User{}, Black: map[string]User{}, Requests: map[[2]string]FriendRequest{},
				Applications: map[[2]string]GroupApplication{}}
			for _, a := range tc.stored {
				l.Applications[applicationKey(a)] = a
			}
			res, err := step(l, socialChangesInput{Resp: protocol.SocialChangesResp{Version: 4, Applications: tc.got}})
			require.NoError(t, err)
			assert.Equal(t, tc.changes, res.Changes.GroupApplications)
			assert.Equal(t, tc.events, res.Events)
			assert.Empty(t, res.Changes.RemovedGroupApplications, "a page removes nothing")
			require.NotNil(t, res.Changes.SocialVersion)
			assert.Equal(t, int64(4), *res.Changes.SocialVersion)
		})
	}
}

func TestStepFriendRequest(t *testing.T) {
	pu := protocol.User{UserID: "erin", Nickname: "Erin"}
	pending := protocol.FriendRequest{FromUserID: "erin", ToUserID: "me", Message: "hi", State: protocol.FriendRequestPending, CreateTime: 5, FromUser: &pu}
	accepted := pending
	accepted.State, accepted.HandleTime = protocol.FriendRequestAccepted, 9
	mine := protocol.FriendRequest{FromUserID: "me", ToUserID: "erin", State: protocol.FriendRequestPending, CreateTime: 6}
	refused := mine
	refused.State, refused.HandleTime = protocol.FriendRequestRefused, 8
	stored := func(rs ...FriendRequest) localState {
		l := localState{Self: "me", Requests: map[[2]string]FriendRequest{}}
		for _, r := range rs {
			l.Requests[requestKey(r)] = r
		}
		return l
	}
	cases := []struct {
		name       string
		l          localState
		in         FriendRequest
		wantStored bool
		wantEvents []Event
	}{
		{"a new request to me", stored(), pending, true, []Event{FriendRequestReceived{Request: pending}}},
		{"the same push again fires nothing", stored(pending), pending, false, nil},
		{"my request, from another of my devices", stored(), mine, true, nil},
		{"my request refused", stored(mine), refused, true, []Event{FriendRequestRefused{UserID: "erin"}}},
		{"the refusal again", stored(refused), refused, false, nil},
		{"accepted: stored, friendAdded tells the rest", stored(pending), accepted, true, nil},
		{"asked again after a refusal", stored(refused), mine, true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := step(c.l, friendRequestInput{Request: c.in})
			require.NoError(t, err)
			assert.Equal(t, c.wantEvents, res.Events)
			if c.wantStored {
				assert.Equal(t, []FriendRequest{c.in}, res.Changes.FriendRequests)
			} else {
				assert.True(t, res.Changes.Empty(), "writes %+v", res.Changes)
			}
		})
	}
	res, err := step(stored(), friendRequestInput{Request: pending})
	require.NoError(t, err)
	assert.Equal(t, []User{{UserID: "erin", Nickname: "Erin"}}, res.Changes.Users, "the requester's profile is cached")

	t.Run("list", func(t *testing.T) {
		gone := protocol.FriendRequest{FromUserID: "x", ToUserID: "me", State: protocol.FriendRequestPending, CreateTime: 1}
		l := stored(mine, pending, gone)
		res, err := step(l, friendRequestListInput{Requests: []FriendRequest{refused, pending}, Announce: true})
		require.NoError(t, err)
		assert.Equal(t, []FriendRequest{refused}, res.Changes.FriendRequests, "only what changed is written")
		assert.Equal(t, []FriendRequest{gone}, res.Changes.RemovedFriendRequests)
		assert.Equal(t, []Event{FriendRequestRefused{UserID: "erin"}}, res.Events)
		assert.Equal(t, []FriendRequest{refused, pending}, res.Value, "newest activity first")

		res, err = step(stored(), friendRequestListInput{Requests: []FriendRequest{pending}})
		require.NoError(t, err)
		assert.Empty(t, res.Events, "a fresh device's first list announces nothing")
		assert.Equal(t, []FriendRequest{pending}, res.Changes.FriendRequests)
	})
}

func TestStepFriendDeletedAndChanged(t *testing.T) {
	bob := User{UserID: "bob", Nickname: "Bob"}
	named := bob
	named.Remark = "Bobby"
	l := localState{Self: "me", Friends: map[string]User{"bob": bob}}

	res, err := step(l, friendDeletedInput{UserID: "bob"})
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, res.Changes.RemovedFriends)
	assert.Equal(t, []Event{FriendDeleted{UserID: "bob"}}, res.Events)
	res, err = step(localState{Self: "me", Friends: map[string]User{}}, friendDeletedInput{UserID: "bob"})
	require.NoError(t, err)
	assert.True(t, res.Changes.Empty(), "not a friend (any more): nothing")
	assert.Empty(t, res.Events)

	res, err = step(l, friendChangedInput{User: named})
	require.NoError(t, err)
	assert.Equal(t, []User{named}, res.Changes.Friends)
	assert.Equal(t, []User{bob}, res.Changes.Users, "a cached profile carries no remark")
	assert.Equal(t, []Event{FriendInfoChanged{User: named}}, res.Events)
	res, err = step(localState{Friends: map[string]User{"bob": named}}, friendChangedInput{User: named})
	require.NoError(t, err)
	assert.Empty(t, res.Events, "unchanged")
	res, err = step(localState{Friends: map[string]User{}}, friendChangedInput{User: named})
	require.NoError(t, err)
	assert.True(t, res.Changes.Empty(), "no longer a friend")

	t.Run("list after being away", func(t *testing.T) {
		carol, dave := User{UserID: "carol"}, User{UserID: "dave"}
		l := localState{Friends: map[string]User{"bob": bob, "dave": dave}}
		res, err := step(l, friendListInput{Users: []User{named, carol}, Announce: true})
		require.NoError(t, err)
		assert.Equal(t, []Event{FriendInfoChanged{User: named}, FriendAdded{User: carol}, FriendDeleted{UserID: "dave"}}, res.Events)
		assert.Equal(t, []User{bob, carol}, res.Changes.Users, "profiles without remarks")
		res, err = step(l, friendListInput{Users: []User{named, carol}})
		require.NoError(t, err)
		assert.Empty(t, res.Events, "not announced unless asked")
	})
}

func TestStepGroups(t *testing.T) {
	g := Group{GroupID: "g1", Name: "One", MemberCount: 3}
	conv := protocol.GroupConversationID("g1")
	removedConv := &Conversation{ConversationID: conv, SessionType: protocol.SessionGroup, GroupID: "g1", Removed: true}
	liveConv := &Conversation{ConversationID: conv, SessionType: protocol.SessionGroup, GroupID: "g1"}

	t.Run("joined again clears Removed", func(t *testing.T) {
		res, err := step(localState{Convs: map[string]*Conversation{conv: removedConv}}, groupInput{Group: g})
		require.NoError(t, err)
		require.Len(t, res.Changes.Conversations, 1)
		assert.False(t, res.Changes.Conversations[0].Removed)
		assert.Equal(t, []Event{GroupChanged{Group: g}}, res.Events)
	})
	t.Run("removal of the user", func(t *testing.T) {
		ev := GroupMemberRemoved{GroupID: "g1", UserID: "me", Reason: protocol.RemovedKicked}
		l := localState{Self: "me", Groups: map[string]Group{"g1": g}, Convs: map[string]*Conversation{conv: liveConv}}
		res, err := step(l, groupRemovedInput{Event: ev})
		require.NoError(t, err)
		assert.Equal(t, []string{"g1"}, res.Changes.RemovedGroups)
		require.Len(t, res.Changes.Conversations, 1)
		assert.True(t, res.Changes.Conversations[0].Removed)
		assert.Equal(t, "One", res.Changes.Conversations[0].ShowName, "keeps the group's last name")
		want := ev
		want.Group = g
		assert.Equal(t, []Event{want}, res.Events)
		assert.True(t, res.Named)

		// Decided again once applied: nothing more to write or announce.
		l = localState{Self: "me", Groups: map[string]Group{}, Convs: map[string]*Conversation{conv: &res.Changes.Conversations[0]}}
		res, err = step(l, groupRemovedInput{Event: ev})
		require.NoError(t, err)
		assert.True(t, res.Changes.Empty())
		assert.Empty(t, res.Events)
	})
	t.Run("removal of another member", func(t *testing.T) {
		ev := GroupMemberRemoved{GroupID: "g1", UserID: "bob", Group: g}
		res, err := step(localState{Self: "me"}, groupRemovedInput{Event: ev})
		require.NoError(t, err)
		assert.Equal(t, []Group{g}, res.Changes.Groups)
		assert.Equal(t, []Event{GroupChanged{Group: g}, ev}, res.Events)
	})
	t.Run("list", func(t *testing.T) {
		g2 := Group{GroupID: "g2", Name: "Two"}
		g3 := Group{GroupID: "g3", Name: "Three"}
		changed := g
		changed.MemberCount = 4
		conv3 := protocol.GroupConversationID("g3")
		l := localState{
			Self:   "me",
			Groups: map[string]Group{"g1": g, "g3": g3},
			Convs: map[string]*Conversation{
				conv:  liveConv,
				conv3: {ConversationID: conv3, SessionType: protocol.SessionGroup, GroupID: "g3"},
			},
		}
		known := groupSnapshot{joined: map[string]bool{"g1": true, "g3": true}, removed: map[string]bool{}}
		res, err := step(l, groupListInput{List: []Group{g2, changed}, Known: known})
		require.NoError(t, err)
		assert.Equal(t, []Group{changed, g2}, res.Value)
		assert.ElementsMatch(t, []Group{g2, changed}, res.Changes.Groups)
		assert.Equal(t, []string{"g3"}, res.Changes.RemovedGroups, "a known group missing from the list was left")
		require.Len(t, res.Changed, 1)
		assert.True(t, res.Changed[0].Removed)
		assert.Contains(t, res.Events, Event(GroupChanged{Group: changed}))
		assert.NotContains(t, res.Events, Event(GroupChanged{Group: g2}), "a new group is not a change")
	})
	t.Run("list older than a removal", func(t *testing.T) {
		l := localState{Self: "me", Groups: map[string]Group{}, Convs: map[string]*Conversation{conv: removedConv}}
		known := groupSnapshot{joined: map[string]bool{}, removed: map[string]bool{}}
		res, err := step(l, groupListInput{List: []Group{g}, Known: known})
		require.NoError(t, err)
		assert.Equal(t, []Group{}, res.Value, "removed while the list was on its way: stays removed")
		assert.True(t, res.Changes.Empty())
	})
}

func TestStepUsersAndProfiles(t *testing.T) {
	me := User{UserID: "me", Nickname: "Me"}
	res, err := step(localState{}, usersInput{Users: []User{me}, Self: true})
	require.NoError(t, err)
	assert.Equal(t, []Event{SelfInfoUpdated{User: me}, UsersInfoChanged{Users: []User{me}}}, res.Events)
	assert.Equal(t, []User{me}, res.Changes.Users)
	res, err = step(localState{}, usersInput{Users: []User{me}})
	require.NoError(t, err)
	assert.Empty(t, res.Events, "an answer the app asked for is not announced")
	res, err = step(localState{}, usersInput{Users: []User{me}, Announce: true})
	require.NoError(t, err)
	assert.Equal(t, []Event{UsersInfoChanged{Users: []User{me}}}, res.Events)

	cv := &Conversation{ConversationID: "si_bob_me", UserID: "bob"}
	res, err = step(localState{Convs: map[string]*Conversation{cv.ConversationID: cv}}, profilesInput{Users: []User{{UserID: "bob"}}, ConvIDs: []string{cv.ConversationID, "si_gone_me"}})
	require.NoError(t, err)
	assert.Equal(t, []Conversation{*cv}, res.Changed, "announced again with the names; one gone meanwhile is left out")
	assert.Equal(t, []Event{UsersInfoChanged{Users: []User{{UserID: "bob"}}}}, res.Events)
	assert.True(t, res.Named)
}

func TestStepBlackList(t *testing.T) {
	bob := User{UserID: "bob", Nickname: "Bob"}
	carol := User{UserID: "carol"}
	black := func(us ...User) localState {
		l := localState{Self: "me", Black: map[string]User{}}
		for _, u := range us {
			l.Black[u.UserID] = u
		}
		return l
	}
	cases := []struct {
		name       string
		l          localState
		in         blockChangedInput
		wantEvents []Event
	}{
		{"block", black(carol), blockChangedInput{User: bob, Blocked: true}, []Event{BlackListChanged{Users: []User{bob, carol}}}},
		{"blocked already: the push after the app's call", black(bob), blockChangedInput{User: bob, Blocked: true}, nil},
		{"blocked already, a bare ID", black(bob), blockChangedInput{User: User{UserID: "bob"}, Blocked: true}, nil},
		{"unblock", black(bob, carol), blockChangedInput{User: bob}, []Event{BlackListChanged{Users: []User{carol}}}},
		{"unblocked already", black(carol), blockChangedInput{User: bob}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := step(c.l, c.in)
			require.NoError(t, err)
			assert.Equal(t, c.wantEvents, res.Events)
			assert.Equal(t, c.wantEvents == nil, res.Changes.Empty())
		})
	}
	named := bob
	named.Remark = "Bobby"
	res, err := step(black(), blockChangedInput{User: named, Blocked: true})
	require.NoError(t, err)
	assert.Equal(t, []User{bob}, res.Changes.Black, "no remark on the blacklist")

	res, err = step(black(carol), blackListInput{Users: []User{bob}, Announce: true})
	require.NoError(t, err)
	assert.Equal(t, []User{bob}, res.Changes.Black)
	assert.Equal(t, []string{"carol"}, res.Changes.RemovedBlack)
	assert.Equal(t, []Event{BlackListChanged{Users: []User{bob}}}, res.Events)
	assert.Equal(t, []User{bob}, res.Value)
	res, err = step(black(bob), blackListInput{Users: []User{bob}, Announce: true})
	require.NoError(t, err)
	assert.Empty(t, res.Events, "unchanged")
	res, err = step(black(), blackListInput{Users: []User{bob}})
	require.NoError(t, err)
	assert.Empty(t, res.Events, "a fresh device's list")
}

func TestStepProfileChanges(t *testing.T) {
	bob := User{UserID: "bob", Nickname: "Bob"}
	renamed := User{UserID: "bob", Nickname: "Robert", Ex: `{"x":1}`}
	me := User{UserID: "me", Nickname: "Me"}
	cursor := int64(9)
	l := localState{Self: "me", Profiles: map[string]User{"bob": bob, "me": me}, Friends: map[string]User{"bob": {UserID: "bob", Nickname: "Bob", Remark: "B"}}}

	res, err := step(l, profileChangesInput{Users: []User{renamed, me}, Cursor: &cursor, Announce: true})
	require.NoError(t, err)
	assert.Equal(t, []User{renamed}, res.Changes.Users, "only what differs")
	withRemark := renamed
	withRemark.Remark = "B"
	assert.Equal(t, []User{withRemark}, res.Changes.Friends, "the friend list's copy keeps the remark")
	assert.Equal(t, &cursor, res.Changes.ProfileCursor)
	assert.Equal(t, []Event{UsersInfoChanged{Users: []User{renamed}}}, res.Events)

	l.Profiles["bob"] = renamed
	res, err = step(l, profileChangesInput{Users: []User{renamed}, Announce: true})
	require.NoError(t, err)
	assert.True(t, res.Changes.Empty(), "seen already (the push after the catch-up)")
	assert.Empty(t, res.Events)

	newMe := User{UserID: "me", Nickname: "Me 2"}
	res, err = step(l, profileChangesInput{Users: []User{newMe}, Announce: true})
	require.NoError(t, err)
	assert.Equal(t, []Event{SelfInfoUpdated{User: newMe}, UsersInfoChanged{Users: []User{newMe}}}, res.Events, "one's own change from another device")

	res, err = step(localState{Self: "me"}, profileChangesInput{Users: []User{bob}, Cursor: &cursor})
	require.NoError(t, err)
	assert.Equal(t, []User{bob}, res.Changes.Users)
	assert.Empty(t, res.Events, "a fresh device's catch-up is quiet")
}

// An own pending message that becomes sent through a change (edited on
// another device before its ack came here) moves the conversation's run
// like any arrival.
func TestFoldChangedOwnPendingMovesTheRun(t *testing.T) {
	conv := protocol.SingleConversationID("me", "bob")
	pending := Message{ClientMsgID: "m3", ConversationID: conv, SendID: "me", Status: StatusSending}
	cv := &Conversation{ConversationID: conv, SessionType: protocol.SessionSingle, UserID: "bob", MinSeq: 1, MaxSeq: 2, LocalMaxSeq: 2, ReadSeq: 2, ServerReadSeq: 2}
	l := localState{Self: "me", Convs: map[string]*Conversation{conv: cv}, Msgs: map[string]Message{"m3": pending}, Outbox: map[string]bool{"m3": true}}
	changed := protocol.Message{ClientMsgID: "m3", ServerMsgID: "s3", ConversationID: conv, Seq: 3, SendID: "me", RecvID: "bob",
		SessionType: protocol.SessionSingle, ContentType: protocol.ContentText, Content: []byte(`{"text":"edited"}`), SendTime: 10, Version: 1}
	res, err := step(l, foldInput{Changed: []protocol.Message{changed}})
	require.NoError(t, err)
	require.Len(t, res.Sent, 1)
	require.Len(t, res.Changes.Conversations, 1)
	got := res.Changes.Conversations[0]
	assert.Equal(t, int64(3), got.LocalMaxSeq, "the run moves over the now stored message")
	assert.Equal(t, int64(3), got.MaxSeq)
}
