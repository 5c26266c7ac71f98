package core

import (
	"slices"
	"sort"

	"parley/protocol"
)

// The step: every decision about what to store and what to announce, as
// pure functions from local state and one input to a stepResult. Nothing
// here does I/O, starts a goroutine or reads a clock (the time comes in
// localState.Now). writer.go loads the state an input needs, runs step,
// writes the result in one Apply and then emits its events and runs its
// effects; it is the only place in core that writes to the Store.

// input is one thing that happened: a decoded push or sync page (foldInput),
// an ack, or an app command. Its type says which local state it needs
// (writer.go's load) and which decision applies (step).
type input interface{ inputKind() string }

// stepResult is what one input changes.
type stepResult struct {
	// Changes is the batch to write, in one transaction.
	Changes Changes
	// New are messages to announce with newMessages.
	New []Message
	// Updated are stored messages in a new state, to announce with
	// messagesChanged.
	Updated []Message
	// Changed are conversations to announce with conversationsChanged
	// (decorated with names by the writer), ordered by ConversationID.
	Changed []Conversation
	// Sent are own messages now known stored on the server: their
	// SendMessage calls resolve and messageStatusChanged says sent.
	Sent []Message
	// Failed are own messages given up on: their SendMessage calls reject
	// with Failed[i].ErrorCode and messageStatusChanged says failed.
	Failed []Message
	// Resolved are own messages whose SendMessage calls resolve without a
	// status change (it was announced when it happened).
	Resolved []Message
	// Sending are own messages just stored for sending.
	Sending []Message
	// Events are further events, emitted before the ones above.
	Events []Event
	// FillBelow are acked own messages stored beyond their conversation's
	// contiguous run: what is missing below them is pulled (see fillGaps).
	FillBelow []protocol.Message
	// Value is the answer to an app command, when it has one.
	Value any
	// Named marks Changed as announced with freshly fetched names: they
	// are not fetched again.
	Named bool
	// RefreshGroups are groups a new notification says changed: their
	// info and members are fetched again (refreshGroup), at once unless
	// RefreshLater (a catch-up does it after its last page).
	RefreshGroups []string
	RefreshLater  bool
}

// localState is the part of the local store one input needs. Maps a load
// did not fill are nil.
type localState struct {
	Self string
	// Now is the time of the step, Unix ms.
	Now int64
	// Convs: every conversation the input touches (absent: not stored).
	Convs map[string]*Conversation
	// Msgs: the stored messages among the input's ClientMsgIDs.
	Msgs map[string]Message
	// Outbox: which of those are in the outbox.
	Outbox map[string]bool
	// Entries: the stored outbox entries, by ClientMsgID (sender inputs).
	Entries map[string]OutboxEntry
	// Held lists, per conversation, seqs already stored above its
	// LocalMaxSeq (an own message acked before the messages below it
	// arrived): when the run reaches them it continues through them.
	Held map[string][]int64
	// Groups: the stored groups (group inputs).
	Groups map[string]Group
	// Members: the stored members of the input's group, by UserID.
	Members map[string]GroupMember
	// Friends: the stored friends (friend inputs).
	Friends map[string]User
	// PeerRead lists, per one-to-one conversation whose peer read seq the
	// input moves up, the user's own stored messages it newly covers.
	PeerRead map[string][]Message
	// Cleared lists, per conversation whose incoming state moves MinSeq
	// up (cleared on another device), the stored messages below it.
	Cleared map[string][]string
	// Requests: the stored friend requests by (FromUserID, ToUserID)
	// (friend request inputs).
	Requests map[[2]string]FriendRequest
	// Applications: the stored group applications by (GroupID, UserID)
	// (application inputs).
	Applications map[[2]string]GroupApplication
	// Black: the stored blacklist (blacklist inputs).
	Black map[string]User
	// Profiles: the stored profiles among the input's users (profile
	// changes).
	Profiles map[string]User
}

// step decides what in changes.
func step(l localState, in input) (stepResult, error) {
	switch in := in.(type) {
	case foldInput:
		res := fold(l, in)
		dropSentChunks(&res)
		markMentions(l.Self, &res)
		planGroupRefresh(&res)
		res.RefreshLater = in.CatchUp
		return res, nil
	case uploadInput:
		return stepUpload(l, in), nil
	case deleteUnsentInput:
		return stepDeleteUnsent(l, in)
	case sendInput:
		return stepSend(l, in), nil
	case failInput:
		return stepFail(l, in), nil
	case attemptInput:
		return stepAttempt(l, in), nil
	case clearInput:
		return stepClear(l, in), nil
	case markReadInput:
		return stepMarkRead(l, in)
	case draftInput:
		return stepDraft(l, in)
	case usersInput:
		return stepUsers(in), nil
	case friendRequestInput:
		return stepFriendRequest(l, in), nil
	case friendAddedInput:
		return stepFriendAdded(in), nil
	case friendListInput:
		return stepFriendList(l, in), nil
	case friendRequestListInput:
		return stepFriendRequestList(l, in), nil
	case friendDeletedInput:
		return stepFriendDeleted(l, in), nil
	case friendChangedInput:
		return stepFriendChanged(l, in), nil
	case blockChangedInput:
		return stepBlockChanged(l, in), nil
	case profileChangesInput:
		return stepProfileChanges(l, in), nil
	case blackListInput:
		return stepBlackList(l, in), nil
	case socialChangesInput:
		return stepSocialChanges(l, in), nil
	case groupInput:
		return stepGroup(l, in), nil
	case groupRemovedInput:
		return stepGroupRemoved(l, in), nil
	case groupListInput:
		return stepGroupList(l, in), nil
	case groupMembersInput:
		return stepGroupMembers(l, in), nil
	case groupMemberChangesInput:
		return stepGroupMemberChanges(l, in), nil
	case groupApplicationInput:
		return stepGroupApplication(l, in), nil
	case groupApplicationListInput:
		return stepGroupApplicationList(l, in), nil
	case profilesInput:
		return stepProfiles(l, in), nil
	}
	return stepResult{}, errInvalid("core: unknown input " + in.inputKind())
}

func (foldInput) inputKind() string { return "fold" }

// sendInput stores a message for sending with its outbox entry.
type sendInput struct {
	Msg   Message
	Entry OutboxEntry
	// Chunks are the bytes of Msg's files (Msg.Uploads), stored with it.
	Chunks []Chunk
}

func (sendInput) inputKind() string { return "send" }

// stepSend stores a new send. A message stored as sent already is the
// answer (Value) and nothing is written; one still in the outbox is left
// to go out as it is (the caller waits for it).
func stepSend(l localState, in sendInput) stepResult {
	var res stepResult
	if old, ok := l.Msgs[in.Msg.ClientMsgID]; ok {
		switch {
		case old.Status == StatusSent:
			res.Value = old
			return res
		case old.Status == StatusSending && l.Outbox[old.ClientMsgID]:
			return res
		case len(old.Uploads) > 0:
			// A retry: the stored uploads are further along than the
			// app's copy, and their bytes are stored already.
			in.Msg.Uploads, in.Msg.Content = old.Uploads, old.Content
			in.Chunks = nil
		}
	}
	res.Changes = Changes{Messages: []Message{in.Msg}, Outbox: []OutboxEntry{in.Entry}, Chunks: in.Chunks}
	res.Sending = []Message{in.Msg}
	return res
}

// failInput gives up on an own message.
type failInput struct {
	ClientMsgID string
	Code        protocol.Code
}

func (failInput) inputKind() string { return "fail" }

// stepFail marks the message failed unless the server has it meanwhile.
func stepFail(l localState, in failInput) stepResult {
	var res stepResult
	m, ok := l.Msgs[in.ClientMsgID]
	switch {
	case !ok:
		res.Changes.RemovedOutbox = []string{in.ClientMsgID}
		res.Failed = []Message{{ClientMsgID: in.ClientMsgID, Status: StatusFailed, ErrorCode: in.Code}}
	case m.Status == StatusSent:
		// Found on the server meanwhile: not a failure after all.
		res.Changes.RemovedOutbox = []string{in.ClientMsgID}
		res.Resolved = []Message{m}
	default:
		res.Changes = failMessage(m, in.Code)
		res.Failed = []Message{res.Changes.Messages[0]}
	}
	return res
}

// attemptInput records a send that got no answer or a temporary refusal.
type attemptInput struct {
	ClientMsgID string
	Code        protocol.Code
}

func (attemptInput) inputKind() string { return "attempt" }

func stepAttempt(l localState, in attemptInput) stepResult {
	var res stepResult
	e, ok := l.Entries[in.ClientMsgID]
	if !ok {
		return res
	}
	e.Attempts++
	e.LastError = string(in.Code)
	res.Changes.Outbox = []OutboxEntry{e}
	return res
}

// clearInput drops an outbox entry with nothing left to send (its message
// is gone, sent or failed).
type clearInput struct{ ClientMsgID string }

func (clearInput) inputKind() string { return "clear" }

func stepClear(l localState, in clearInput) stepResult {
	res := stepResult{Changes: Changes{RemovedOutbox: []string{in.ClientMsgID}}}
	if m, ok := l.Msgs[in.ClientMsgID]; ok {
		res.Resolved = []Message{m}
	}
	return res
}

// markReadInput marks a conversation read up to Seq (0: its MaxSeq).
type markReadInput struct {
	ConversationID string
	Seq            int64
}

func (markReadInput) inputKind() string { return "markRead" }

func stepMarkRead(l localState, in markReadInput) (stepResult, error) {
	return changeConv(l, in.ConversationID, func(cv *Conversation) {
		upTo := cv.MaxSeq
		if in.Seq > 0 && in.Seq < upTo {
			upTo = in.Seq
		}
		if upTo > cv.ReadSeq {
			cv.ReadSeq = upTo
		}
		cv.UnreadCount = cv.unread()
		cv.MentionedMe = false
	})
}

// changeConv is the step that changes one stored conversation with
// change; its Value is the conversation as changed.
func changeConv(l localState, conversationID string, change func(*Conversation)) (stepResult, error) {
	var res stepResult
	old := l.Convs[conversationID]
	if old == nil {
		return res, &Error{Code: protocol.CodeNotFound, Message: "no conversation " + conversationID}
	}
	cv := *old
	change(&cv)
	res.Value = cv
	if !sameConv(old, &cv) {
		res.Changes.Conversations = []Conversation{cv}
		res.Changed = []Conversation{cv}
	}
	return res, nil
}

// draftInput sets a conversation's draft here, pending until the server
// holds it (Conversation.DraftPending).
type draftInput struct {
	ConversationID string
	Text           string
}

func (draftInput) inputKind() string { return "draft" }

func stepDraft(l localState, in draftInput) (stepResult, error) {
	return changeConv(l, in.ConversationID, func(cv *Conversation) { cv.DraftText, cv.DraftPending = in.Text, true })
}

// usersInput stores profiles the server gave; Self announces the user's
// own new profile, Announce announces them all with usersInfoChanged.
type usersInput struct {
	Users    []User
	Self     bool
	Announce bool
}

func (usersInput) inputKind() string { return "users" }

func stepUsers(in usersInput) stepResult {
	res := stepResult{Changes: Changes{Users: in.Users}, Value: in.Users}
	if in.Self && len(in.Users) == 1 {
		res.Events = append(res.Events, SelfInfoUpdated{User: in.Users[0]})
	}
	if (in.Self || in.Announce) && len(in.Users) > 0 {
		res.Events = append(res.Events, UsersInfoChanged{Users: in.Users})
	}
	return res
}

// profileChangesInput: profiles that changed on the server
// (push.userChanged, or a user.changed page with its Cursor). Announce
// announces those that differ from the stored ones.
type profileChangesInput struct {
	Users    []User
	Cursor   *int64
	Announce bool
}

func (profileChangesInput) inputKind() string { return "profileChanges" }

// stepProfileChanges stores the profiles that differ from the stored ones
// and refreshes the friend list's copy (keeping the remark). A profile
// seen already (the push after the catch-up, or one's own after
// SetSelfInfo) announces nothing.
func stepProfileChanges(l localState, in profileChangesInput) stepResult {
	var res stepResult
	res.Changes.ProfileCursor = in.Cursor
	var changed []User
	for _, u := range in.Users {
		u = profileOf(u)
		if old, ok := l.Profiles[u.UserID]; ok && old == u {
			continue
		}
		changed = append(changed, u)
		if f, ok := l.Friends[u.UserID]; ok {
			u.Remark = f.Remark
			res.Changes.Friends = append(res.Changes.Friends, u)
		}
	}
	res.Changes.Users = changed
	if !in.Announce || len(changed) == 0 {
		return res
	}
	for _, u := range changed {
		if u.UserID == l.Self {
			res.Events = append(res.Events, SelfInfoUpdated{User: u})
		}
	}
	res.Events = append(res.Events, UsersInfoChanged{Users: changed})
	return res
}

// friendRequestInput is push.friendRequest: a request made, accepted or
// refused, to or from the user.
type friendRequestInput struct{ Request protocol.FriendRequest }

func (friendRequestInput) inputKind() string { return "friendRequest" }

func requestKey(r FriendRequest) [2]string { return [2]string{r.FromUserID, r.ToUserID} }

// sameRequest reports whether a and b are the same request in the same
// state: storing b again changes nothing and announces nothing.
func sameRequest(a, b FriendRequest) bool {
	return a.FromUserID == b.FromUserID && a.ToUserID == b.ToUserID && a.Message == b.Message &&
		a.State == b.State && a.CreateTime == b.CreateTime && a.HandleTime == b.HandleTime
}

// requestEvents is what a request that changed tells the user: a new
// request to them, or the refusal of theirs.
func requestEvents(self string, r FriendRequest) []Event {
	switch {
	case r.State == protocol.FriendRequestPending && r.ToUserID == self:
		return []Event{FriendRequestReceived{Request: r}}
	case r.State == protocol.FriendRequestRefused && r.FromUserID == self:
		return []Event{FriendRequestRefused{UserID: r.ToUserID}}
	}
	return nil
}

// stepFriendRequest stores the request in its new state. The same request
// in the same state again (a push repeated, or after the catch-up's list
// brought it) changes nothing, so friendRequestReceived fires once.
func stepFriendRequest(l localState, in friendRequestInput) stepResult {
	var res stepResult
	r := in.Request
	if old, ok := l.Requests[requestKey(r)]; ok && sameRequest(old, r) {
		return res
	}
	if u := r.FromUser; u != nil && u.UserID != l.Self {
		res.Changes.Users = []User{profileOf(userFromProto(*u))}
	}
	res.Changes.FriendRequests = []FriendRequest{r}
	res.Events = requestEvents(l.Self, r)
	return res
}

// friendRequestListInput is the server's request list: it replaces the
// stored one. Announce (a catch-up after being away, not a fresh
// device's first) announces what changed as the pushes would have.
type friendRequestListInput struct {
	Requests []FriendRequest
	Announce bool
}

func (friendRequestListInput) inputKind() string { return "friendRequestList" }

func stepFriendRequestList(l localState, in friendRequestListInput) stepResult {
	var res stepResult
	keep := make(map[[2]string]bool, len(in.Requests))
	for _, r := range in.Requests {
		keep[requestKey(r)] = true
		if old, ok := l.Requests[requestKey(r)]; ok && sameRequest(old, r) {
			continue
		}
		res.Changes.FriendRequests = append(res.Changes.FriendRequests, r)
		if u := r.FromUser; u != nil && u.UserID != l.Self {
			res.Changes.Users = append(res.Changes.Users, profileOf(userFromProto(*u)))
		}
		if in.Announce {
			res.Events = append(res.Events, requestEvents(l.Self, r)...)
		}
	}
	var gone []FriendRequest
	for k, r := range l.Requests {
		if !keep[k] {
			gone = append(gone, r)
		}
	}
	SortFriendRequests(gone)
	res.Changes.RemovedFriendRequests = gone
	out := slices.Clone(in.Requests)
	SortFriendRequests(out)
	res.Value = out
	return res
}

// profileOf is u as a cached profile: a remark belongs to the friend list.
func profileOf(u User) User {
	u.Remark = ""
	return u
}

// friendAddedInput: a friendship was made. Quiet stores it without the
// event (the app's own accept, which the server also pushes).
type friendAddedInput struct {
	User  User
	Quiet bool
}

func (friendAddedInput) inputKind() string { return "friendAdded" }

func stepFriendAdded(in friendAddedInput) stepResult {
	res := stepResult{Changes: Changes{Users: []User{profileOf(in.User)}, Friends: []User{in.User}}}
	if !in.Quiet {
		res.Events = []Event{FriendAdded{User: in.User}}
	}
	return res
}

// friendDeletedInput is push.friendDeleted: the friendship with UserID
// ended.
type friendDeletedInput struct{ UserID string }

func (friendDeletedInput) inputKind() string { return "friendDeleted" }

// stepFriendDeleted removes the friend; one not stored (already removed by
// a list) is not announced again.
func stepFriendDeleted(l localState, in friendDeletedInput) stepResult {
	var res stepResult
	if _, ok := l.Friends[in.UserID]; !ok {
		return res
	}
	res.Changes.RemovedFriends = []string{in.UserID}
	res.Events = []Event{FriendDeleted{UserID: in.UserID}}
	return res
}

// friendChangedInput is a friend's entry as it is now (push.friendChanged,
// or the app's own setFriendRemark).
type friendChangedInput struct{ User User }

func (friendChangedInput) inputKind() string { return "friendChanged" }

// stepFriendChanged stores a friend's new entry; one that is not a friend
// (deleted meanwhile) or is unchanged is left alone.
func stepFriendChanged(l localState, in friendChangedInput) stepResult {
	var res stepResult
	old, ok := l.Friends[in.User.UserID]
	if !ok || old == in.User {
		return res
	}
	res.Changes.Friends = []User{in.User}
	res.Changes.Users = []User{profileOf(in.User)}
	res.Events = []Event{FriendInfoChanged{User: in.User}}
	return res
}

// friendListInput is the server's friend list: it replaces the stored one.
// Announce (a catch-up after being away) announces friends added, deleted
// and changed meanwhile.
type friendListInput struct {
	Users    []User
	Announce bool
}

func (friendListInput) inputKind() string { return "friendList" }

func stepFriendList(l localState, in friendListInput) stepResult {
	var res stepResult
	keep := make(map[string]bool, len(in.Users))
	list := make([]User, 0, len(in.Users))
	for _, u := range in.Users {
		keep[u.UserID] = true
		list = append(list, u)
		res.Changes.Users = append(res.Changes.Users, profileOf(u))
		if !in.Announce {
			continue
		}
		switch old, ok := l.Friends[u.UserID]; {
		case !ok:
			res.Events = append(res.Events, FriendAdded{User: u})
		case old != u:
			res.Events = append(res.Events, FriendInfoChanged{User: u})
		}
	}
	res.Changes.Friends = list
	for _, id := range sortedKeys(l.Friends) {
		if !keep[id] {
			res.Changes.RemovedFriends = append(res.Changes.RemovedFriends, id)
			if in.Announce {
				res.Events = append(res.Events, FriendDeleted{UserID: id})
			}
		}
	}
	out := slices.Clone(list)
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	res.Value = out
	return res
}

// blockChangedInput: the user now blocks User (Blocked) or no longer does
// (push.blockChanged, or the app's own addBlack or removeBlack).
type blockChangedInput struct {
	User    User
	Blocked bool
}

func (blockChangedInput) inputKind() string { return "blockChanged" }

// blackListOf is the stored blacklist with ch applied, ordered by UserID.
func blackListOf(stored map[string]User, ch Changes) []User {
	m := make(map[string]User, len(stored)+len(ch.Black))
	for id, u := range stored {
		m[id] = u
	}
	for _, u := range ch.Black {
		m[u.UserID] = u
	}
	for _, id := range ch.RemovedBlack {
		delete(m, id)
	}
	out := make([]User, 0, len(m))
	for _, id := range sortedKeys(m) {
		out = append(out, m[id])
	}
	return out
}

// stepBlockChanged stores one block or unblock; what is already so (the
// server's push after the app's own call) changes nothing, so
// blackListChanged fires once per change.
func stepBlockChanged(l localState, in blockChangedInput) stepResult {
	var res stepResult
	old, ok := l.Black[in.User.UserID]
	switch {
	case in.Blocked && ok && (old == in.User || in.User.Nickname == "" && in.User.FaceURL == ""):
		return res // blocked already (a bare ID adds nothing to the stored profile)
	case in.Blocked:
		res.Changes.Black = []User{profileOf(in.User)}
	case !ok:
		return res
	default:
		res.Changes.RemovedBlack = []string{in.User.UserID}
	}
	res.Events = []Event{BlackListChanged{Users: blackListOf(l.Black, res.Changes)}}
	return res
}

// blackListInput is the server's blacklist: it replaces the stored one.
// Announce (a catch-up after being away) announces a change.
type blackListInput struct {
	Users    []User
	Announce bool
	// Version, when set, is the social version the lists just read are
	// as of: stored with the blacklist, the last of them.
	Version *int64
}

func (blackListInput) inputKind() string { return "blackList" }

func stepBlackList(l localState, in blackListInput) stepResult {
	var res stepResult
	keep := make(map[string]bool, len(in.Users))
	for _, u := range in.Users {
		u = profileOf(u)
		keep[u.UserID] = true
		if old, ok := l.Black[u.UserID]; !ok || old != u {
			res.Changes.Black = append(res.Changes.Black, u)
		}
	}
	for _, id := range sortedKeys(l.Black) {
		if !keep[id] {
			res.Changes.RemovedBlack = append(res.Changes.RemovedBlack, id)
		}
	}
	list := blackListOf(l.Black, res.Changes)
	res.Value = list
	res.Changes.SocialVersion = in.Version
	if in.Announce && !res.Changes.Empty() {
		res.Events = []Event{BlackListChanged{Users: list}}
	}
	return res
}

// socialChangesInput is a page of user.socialChanges: the friends,
// blocks, requests and group applications changed since the stored social
// version, stored with the page's version and announced as the pushes
// would have.
type socialChangesInput struct{ Resp protocol.SocialChangesResp }

func (socialChangesInput) inputKind() string { return "socialChanges" }

func stepSocialChanges(l localState, in socialChangesInput) stepResult {
	var res stepResult
	r := in.Resp
	for _, pu := range r.Friends {
		u := userFromProto(pu)
		old, ok := l.Friends[u.UserID]
		if ok && old == u {
			continue
		}
		res.Changes.Friends = append(res.Changes.Friends, u)
		res.Changes.Users = append(res.Changes.Users, profileOf(u))
		if ok {
			res.Events = append(res.Events, FriendInfoChanged{User: u})
		} else {
			res.Events = append(res.Events, FriendAdded{User: u})
		}
	}
	for _, id := range r.RemovedFriends {
		if _, ok := l.Friends[id]; ok {
			res.Changes.RemovedFriends = append(res.Changes.RemovedFriends, id)
			res.Events = append(res.Events, FriendDeleted{UserID: id})
		}
	}
	for _, pu := range r.Black {
		if u := profileOf(userFromProto(pu)); l.Black[u.UserID] != u {
			res.Changes.Black = append(res.Changes.Black, u)
		}
	}
	for _, id := range r.RemovedBlack {
		if _, ok := l.Black[id]; ok {
			res.Changes.RemovedBlack = append(res.Changes.RemovedBlack, id)
		}
	}
	if len(res.Changes.Black)+len(res.Changes.RemovedBlack) > 0 {
		res.Events = append(res.Events, BlackListChanged{Users: blackListOf(l.Black, res.Changes)})
	}
	for _, fr := range r.Requests {
		rr := stepFriendRequest(l, friendRequestInput{Request: fr})
		res.Changes.FriendRequests = append(res.Changes.FriendRequests, rr.Changes.FriendRequests...)
		res.Changes.Users = append(res.Changes.Users, rr.Changes.Users...)
		res.Events = append(res.Events, rr.Events...)
	}
	for _, a := range r.Applications {
		ar := stepGroupApplication(l, groupApplicationInput{Application: a})
		res.Changes.GroupApplications = append(res.Changes.GroupApplications, ar.Changes.GroupApplications...)
		res.Events = append(res.Events, ar.Events...)
	}
	v := r.Version
	res.Changes.SocialVersion = &v
	return res
}

// groupInput: the user joined Group or it changed (push.group, a group
// info answer, a group the user created). Joining again a group they had
// left clears its conversation's Removed. Quiet stores it without the
// groupChanged event (the app's own createGroup).
type groupInput struct {
	Group Group
	Quiet bool
}

func (groupInput) inputKind() string { return "group" }

func stepGroup(l localState, in groupInput) stepResult {
	if in.Group.Dismissed {
		return dismissed(l, in.Group)
	}
	in.Group = keepLocal(l, in.Group)
	res := stepResult{Changes: Changes{Groups: []Group{in.Group}}, Value: in.Group}
	if stored, ok := l.Groups[in.Group.GroupID]; ok && stored == in.Group {
		// Asked for again (getGroupsInfo, a refresh) and unchanged: nothing
		// to write or announce.
		res.Changes.Groups, in.Quiet = nil, true
	}
	if cv := l.Convs[protocol.GroupConversationID(in.Group.GroupID)]; cv != nil && cv.Removed {
		c := *cv
		c.Removed = false
		res.Changes.Conversations = []Conversation{c}
	}
	if !in.Quiet {
		res.Events = []Event{GroupChanged{Group: in.Group}}
	}
	return res
}

// groupRemovedInput: a member left a group of the user or was removed.
type groupRemovedInput struct{ Event GroupMemberRemoved }

func (groupRemovedInput) inputKind() string { return "groupRemoved" }

func stepGroupRemoved(l localState, in groupRemovedInput) stepResult {
	ev := in.Event
	if ev.UserID != l.Self {
		ev.Group = keepLocal(l, ev.Group)
		res := stepResult{Changes: Changes{Groups: []Group{ev.Group}}, Events: []Event{GroupChanged{Group: ev.Group}, ev}}
		if _, ok := l.Members[ev.UserID]; ok {
			// The stored list without them, announced: the notification's
			// refresh may have read the members before the removal.
			rest := make([]GroupMember, 0, len(l.Members))
			for id, m := range l.Members {
				if id != ev.UserID {
					rest = append(rest, m)
				}
			}
			ms := stepGroupMembers(l, groupMembersInput{GroupID: ev.GroupID, Members: rest, Full: true, Announce: true})
			res.Changes.RemovedGroupMembers, res.Events = ms.Changes.RemovedGroupMembers, append(res.Events, ms.Events...)
		}
		return res
	}
	return removedFromGroup(l, ev)
}

// removedFromGroup records that the user is no longer in ev.GroupID: the
// group leaves the stored list and its conversation is marked Removed.
// Deciding it twice announces it once.
func removedFromGroup(l localState, ev GroupMemberRemoved) stepResult {
	var res stepResult
	stored, known := l.Groups[ev.GroupID]
	if ev.Group.GroupID == "" {
		ev.Group = Group{GroupID: ev.GroupID}
		if known {
			ev.Group = stored
		}
	}
	if known {
		res.Changes.RemovedGroups = []string{ev.GroupID}
	}
	if cv := l.Convs[protocol.GroupConversationID(ev.GroupID)]; cv != nil && !cv.Removed {
		c := *cv
		c.Removed = true
		if ev.Group.Name != "" {
			// The conversation is named after its group on every read; with
			// the group gone from the store it keeps the last name here.
			c.ShowName, c.FaceURL = ev.Group.Name, ev.Group.FaceURL
		}
		res.Changes.Conversations = []Conversation{c}
		res.Changed = []Conversation{c}
		// Its group is gone from the store: the name it keeps is the one
		// to show, with nothing to fetch.
		res.Named = true
	}
	if res.Changes.Empty() {
		return res // known already: announced then
	}
	res.Events = []Event{ev}
	return res
}

// groupListInput is the server's list of the user's groups; Known is what
// was stored before it was asked for.
type groupListInput struct {
	List  []Group
	Known groupSnapshot
}

func (groupListInput) inputKind() string { return "groupList" }

// stepGroupList folds the server's list of the user's groups into the
// stored one. A joined group missing from the list means the user left or
// was removed while this device did not hear of it. What changed while the
// list was on its way wins over it: a group stored meanwhile (created) is
// kept, one removed meanwhile stays removed. Groups whose stored copy
// changed are announced with groupChanged.
func stepGroupList(l localState, in groupListInput) stepResult {
	var res stepResult
	keep := make(map[string]bool, len(in.List))
	out := make([]Group, 0, len(in.List))
	for _, g := range in.List {
		keep[g.GroupID] = true
		if cv := l.Convs[protocol.GroupConversationID(g.GroupID)]; cv != nil && cv.Removed {
			if !in.Known.removed[g.GroupID] {
				// Removed while the list was on its way: the list is
				// older than the removal.
				continue
			}
			// Removed before the list was asked for and listed again:
			// the user is a member again.
			c := *cv
			c.Removed = false
			res.Changes.Conversations = append(res.Changes.Conversations, c)
		}
		g = keepLocal(l, g)
		out = append(out, g)
		if prev, ok := l.Groups[g.GroupID]; !ok || prev != g {
			res.Changes.Groups = append(res.Changes.Groups, g)
			if ok {
				res.Events = append(res.Events, GroupChanged{Group: g})
			}
		}
	}
	for _, id := range in.Known.ids() {
		if keep[id] {
			continue
		}
		r := removedFromGroup(l, GroupMemberRemoved{GroupID: id, UserID: l.Self})
		res.Changes.RemovedGroups = append(res.Changes.RemovedGroups, r.Changes.RemovedGroups...)
		res.Changes.Conversations = append(res.Changes.Conversations, r.Changes.Conversations...)
		res.Changed = append(res.Changed, r.Changed...)
		res.Events = append(res.Events, r.Events...)
		res.Named = res.Named || r.Named
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GroupID < out[j].GroupID })
	res.Value = out
	return res
}

// profilesInput stores fetched profiles and groups and announces again the
// conversations named after them.
type profilesInput struct {
	Users   []User
	Groups  []Group
	ConvIDs []string
}

func (profilesInput) inputKind() string { return "profiles" }

func stepProfiles(l localState, in profilesInput) stepResult {
	var groups []Group // as stored: the fetched copies keep the stored member version
	for _, g := range in.Groups {
		groups = append(groups, keepLocal(l, g))
	}
	res := stepResult{Changes: Changes{Users: in.Users, Groups: groups}, Named: true}
	if len(in.Users) > 0 {
		res.Events = []Event{UsersInfoChanged{Users: in.Users}}
	}
	for _, id := range in.ConvIDs {
		if c := l.Convs[id]; c != nil {
			res.Changed = append(res.Changed, *c)
		}
	}
	return res
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
