package server

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"parley/protocol"
	"parley/server/store"
)

// The friend lifecycle after a request: refuse, delete, remark, and the
// pushes that keep every device of both users in step.

// maxRemarkLen bounds a friend remark; docs/limits.md lists it.
const maxRemarkLen = 128

// pushFriendRequest tells every connection of both users about r's
// current state, so that each side's devices keep the request list.
func (s *Server) pushFriendRequest(ctx context.Context, r store.FriendRequest, from *protocol.User) {
	s.pushTo(ctx, protocol.PushFriendRequest, friendRequestProto(r, from), "", r.FromUserID, r.ToUserID)
}

func friendRequestProto(r store.FriendRequest, from *protocol.User) protocol.FriendRequest {
	return protocol.FriendRequest{
		FromUserID: r.FromUserID, ToUserID: r.ToUserID, Message: r.Message,
		State: r.State, CreateTime: r.CreateTime, HandleTime: r.HandleTime, FromUser: from,
	}
}

// refuseFriend refuses req.UserID's pending request to the caller.
func (s *Server) refuseFriend(ctx context.Context, c caller, req *protocol.UserIDReq) (*protocol.FriendRequest, error) {
	if !protocol.ValidID(req.UserID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	r, err := s.store.RefuseFriendRequest(ctx, req.UserID, c.UserID, s.nowMs())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "no pending friend request from %q", req.UserID)
		}
		return nil, err
	}
	if err := s.socialChanged(ctx, c.UserID, req.UserID, true); err != nil {
		return nil, err
	}
	from, err := s.profile(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	s.pushFriendRequest(ctx, *r, from)
	// The answer carries the refused request so the caller's SDK stores it
	// before the call resolves, not only when the push is handled.
	fr := friendRequestProto(*r, from)
	return &fr, nil
}

// deleteFriend ends a friendship for both sides and tells both.
func (s *Server) deleteFriend(ctx context.Context, c caller, req *protocol.UserIDReq) (*empty, error) {
	if !protocol.ValidID(req.UserID) || req.UserID == c.UserID {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if err := s.store.DeleteFriend(ctx, c.UserID, req.UserID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "%q is not a friend", req.UserID)
		}
		return nil, err
	}
	if err := s.socialChanged(ctx, c.UserID, req.UserID, true); err != nil {
		return nil, err
	}
	s.pushTo(ctx, protocol.PushFriendDeleted, protocol.UserIDReq{UserID: req.UserID}, "", c.UserID)
	s.pushTo(ctx, protocol.PushFriendDeleted, protocol.UserIDReq{UserID: c.UserID}, "", req.UserID)
	return &empty{}, nil
}

// setFriendRemark sets the caller's remark for a friend; only the caller's
// devices are told.
func (s *Server) setFriendRemark(ctx context.Context, c caller, req *protocol.SetFriendRemarkReq) (*empty, error) {
	if !protocol.ValidID(req.UserID) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "invalid userID")
	}
	if len(req.Remark) > maxRemarkLen || !utf8.ValidString(req.Remark) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "remark must be valid UTF-8 of at most %d bytes", maxRemarkLen)
	}
	if err := s.store.SetFriendRemark(ctx, c.UserID, req.UserID, req.Remark); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "%q is not a friend", req.UserID)
		}
		return nil, err
	}
	if err := s.socialChanged(ctx, c.UserID, req.UserID, false); err != nil {
		return nil, err
	}
	u, err := s.profile(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	u.Remark = req.Remark
	s.pushTo(ctx, protocol.PushFriendChanged, u, "", c.UserID)
	return &empty{}, nil
}

// maxListedBlocked bounds user.blockList; docs/limits.md lists it.
const maxListedBlocked = 1000

// pushBlockChanged tells every device of owner that they (un)block userID.
func (s *Server) pushBlockChanged(ctx context.Context, owner, userID string, blocked bool) error {
	if err := s.socialChanged(ctx, owner, userID, false); err != nil {
		return err
	}
	u, err := s.profile(ctx, userID)
	if err != nil {
		return err
	}
	s.pushTo(ctx, protocol.PushBlockChanged, protocol.BlockChanged{UserID: userID, Blocked: blocked, User: *u}, "", owner)
	return nil
}

// listBlocked lists the users the caller blocks, with their profiles.
func (s *Server) listBlocked(ctx context.Context, c caller, _ *empty) (*protocol.UsersResp, error) {
	ids, err := s.store.BlockedUsers(ctx, c.UserID, maxListedBlocked)
	if err != nil {
		return nil, err
	}
	return s.usersInOrder(ctx, ids)
}

// pushProfile tells the user's devices, friends and fellow group members
// of u's new profile. A device offline now catches up with user.changed.
func (s *Server) pushProfile(ctx context.Context, u protocol.User) error {
	ids, err := s.store.RelatedUserIDs(ctx, u.UserID)
	if err != nil {
		return err
	}
	s.pushTo(ctx, protocol.PushUserChanged, u, "", append(ids, u.UserID)...)
	return nil
}

// maxChangedProfiles bounds one user.changed page; docs/limits.md lists it.
const maxChangedProfiles = 500

// changedProfiles lists the caller's, its friends' and fellow members'
// profiles changed after the cursor.
func (s *Server) changedProfiles(ctx context.Context, c caller, req *protocol.ChangedProfilesReq) (*protocol.ChangedProfilesResp, error) {
	if req.Cursor < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "negative cursor")
	}
	limit := req.Limit
	if limit <= 0 || limit > maxChangedProfiles {
		limit = maxChangedProfiles
	}
	us, err := s.store.ChangedProfiles(ctx, c.UserID, req.Cursor, limit+1)
	if err != nil {
		return nil, err
	}
	resp := &protocol.ChangedProfilesResp{Users: []protocol.User{}, Cursor: req.Cursor}
	if len(us) > limit {
		us, resp.HasMore = us[:limit], true
	}
	for _, u := range us {
		resp.Users = append(resp.Users, u.Profile())
		resp.Cursor = u.ProfileVersion
	}
	return resp, nil
}

// user.search's own limit, per user and node, under the request limits:
// searching is what enumerating users would look like.
const (
	searchRate  = 1 // per second, sustained
	searchBurst = 10
	// maxSearchLimiters bounds keyedLimits; past it, it starts over.
	maxSearchLimiters = 1 << 16
)

// keyedLimits is a rate limiter per key.
type keyedLimits struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	byKey map[string]*rate.Limiter
}

func newKeyedLimits(perSecond float64, burst int) *keyedLimits {
	return &keyedLimits{limit: rate.Limit(perSecond), burst: burst, byKey: make(map[string]*rate.Limiter)}
}

func (k *keyedLimits) allow(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.byKey[key]
	if l == nil {
		if len(k.byKey) >= maxSearchLimiters {
			k.byKey = make(map[string]*rate.Limiter)
		}
		l = rate.NewLimiter(k.limit, k.burst)
		k.byKey[key] = l
	}
	return l.Allow()
}

// searchUsers finds searchable users by username prefix or nickname
// substring (three characters or more), paged.
func (s *Server) searchUsers(ctx context.Context, c caller, req *protocol.SearchUsersReq) (*protocol.UsersResp, error) {
	kw := strings.ToLower(strings.TrimSpace(req.Keyword))
	n := utf8.RuneCountInString(kw)
	if n == 0 || n > protocol.MaxSearchKeyword || !utf8.ValidString(kw) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "keyword must be 1 to %d characters", protocol.MaxSearchKeyword)
	}
	if req.Offset < 0 || req.Offset > protocol.MaxSearchOffset || req.Count < 0 || req.Count > protocol.MaxSearchCount {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "offset must be 0 to %d and count 0 to %d", protocol.MaxSearchOffset, protocol.MaxSearchCount)
	}
	count := req.Count
	if count == 0 {
		count = 20
	}
	if !s.searches.allow(c.UserID) {
		return nil, protocol.Errorf(protocol.CodeRateLimited, "too many searches; slow down")
	}
	us, err := s.store.SearchUsers(ctx, kw, req.Offset, count)
	if err != nil {
		return nil, err
	}
	resp := &protocol.UsersResp{Users: []protocol.User{}}
	for _, u := range us {
		resp.Users = append(resp.Users, u.Profile())
	}
	return resp, nil
}

// socialChanged moves the social version of owner, logging that its
// friendship with, requests with or block of other changed; both, when
// set, does the same for other about owner. It runs after the change has
// committed: a device that reads the old version meanwhile is told of the
// change next time, and none reads the new one with lists that lack it.
func (s *Server) socialChanged(ctx context.Context, owner, other string, both bool) error {
	chs := []store.SocialChange{{UserID: owner, OtherUserID: other}}
	if both {
		chs = append(chs, store.SocialChange{UserID: other, OtherUserID: owner})
	}
	return s.store.RecordSocialChanges(ctx, chs...)
}

// socialVersion answers user.socialVersion.
func (s *Server) socialVersion(ctx context.Context, c caller, _ *empty) (*protocol.SocialVersionResp, error) {
	u, err := s.store.User(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	return &protocol.SocialVersionResp{Version: u.SocialVersion}, nil
}

// socialChanges answers user.socialChanges: the caller's own log only,
// each user and application it names looked up as the rows are now, so
// removals need no tombstones.
func (s *Server) socialChanges(ctx context.Context, c caller, req *protocol.SocialChangesReq) (*protocol.SocialChangesResp, error) {
	if req.Since < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "since must not be negative")
	}
	u, err := s.store.User(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	resp := &protocol.SocialChangesResp{Version: u.SocialVersion}
	if req.Since >= u.SocialVersion {
		// Nothing new, or a version this server never gave (another
		// deployment's): only the latter needs the lists.
		resp.TooOld = req.Since > u.SocialVersion
		return resp, nil
	}
	chs, err := s.store.SocialChanges(ctx, c.UserID, req.Since, protocol.MaxSocialChanges+1)
	if err != nil {
		return nil, err
	}
	if len(chs) == 0 || chs[0].Version != req.Since+1 {
		resp.TooOld = true // pruned, or changed before the log existed
		return resp, nil
	}
	if len(chs) > protocol.MaxSocialChanges {
		chs, resp.HasMore = chs[:protocol.MaxSocialChanges], true
		resp.Version = chs[len(chs)-1].Version
	}
	var ids []string
	var apps [][2]string
	for _, ch := range chs {
		if ch.GroupID != "" {
			if k := [2]string{ch.GroupID, ch.OtherUserID}; !slices.Contains(apps, k) {
				apps = append(apps, k)
			}
		} else if !slices.Contains(ids, ch.OtherUserID) {
			ids = append(ids, ch.OtherUserID)
		}
	}
	for _, k := range apps {
		a, err := s.store.GroupApplication(ctx, k[0], k[1])
		if errors.Is(err, store.ErrNotFound) {
			continue // dropped with its group
		}
		if err != nil {
			return nil, err
		}
		resp.Applications = append(resp.Applications, *a)
	}
	byID, err := s.usersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	me, err := s.profile(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		them, ok := byID[id]
		if !ok {
			continue // the user is gone
		}
		switch f, err := s.store.Friend(ctx, c.UserID, id); {
		case err == nil:
			fu := them
			fu.Remark = f.Remark
			resp.Friends = append(resp.Friends, fu)
		case errors.Is(err, store.ErrNotFound):
			resp.RemovedFriends = append(resp.RemovedFriends, id)
		default:
			return nil, err
		}
		switch blocked, err := s.store.Blocked(ctx, c.UserID, id); {
		case err != nil:
			return nil, err
		case blocked:
			resp.Black = append(resp.Black, them)
		default:
			resp.RemovedBlack = append(resp.RemovedBlack, id)
		}
		for _, pair := range [][2]string{{id, c.UserID}, {c.UserID, id}} {
			r, err := s.store.FriendRequest(ctx, pair[0], pair[1])
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			from := &them
			if pair[0] == c.UserID {
				from = me
			}
			resp.Requests = append(resp.Requests, friendRequestProto(*r, from))
		}
	}
	return resp, nil
}
