package core

// The friends module.

import (
	"context"

	"parley/protocol"
)

// AddFriend sends a friend request.
func (c *Client) AddFriend(ctx context.Context, userID, message string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	return s.call(ctx, protocol.ReqAddFriend, protocol.AddFriendReq{UserID: userID, Message: message}, nil)
}

// AcceptFriendRequest accepts userID's pending request.
func (c *Client) AcceptFriendRequest(ctx context.Context, userID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	if err := s.call(ctx, protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: userID}, nil); err != nil {
		return err
	}
	var resp protocol.UsersResp
	if err := s.call(ctx, protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: []string{userID}}, &resp); err == nil && len(resp.Users) == 1 {
		if _, err := s.apply(ctx, friendAddedInput{User: userFromProto(resp.Users[0]), Quiet: true}); err != nil {
			return withCode(err)
		}
	}
	return nil
}

// RefuseFriendRequest refuses userID's pending request. The stored request
// is refused when it resolves; the user's other devices learn it by push.
func (c *Client) RefuseFriendRequest(ctx context.Context, userID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	var r protocol.FriendRequest
	if err := s.call(ctx, protocol.ReqRefuseFriend, protocol.UserIDReq{UserID: userID}, &r); err != nil {
		return err
	}
	if r.FromUserID == "" { // a server that answers without the request
		return nil
	}
	_, err = s.apply(ctx, friendRequestInput{Request: r})
	return withCode(err)
}

// DeleteFriend ends the friendship with userID, for both sides. It is
// removed from the stored list at once; friendDeleted follows.
func (c *Client) DeleteFriend(ctx context.Context, userID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	if err := s.call(ctx, protocol.ReqDeleteFriend, protocol.UserIDReq{UserID: userID}, nil); err != nil {
		return err
	}
	_, err = s.apply(ctx, friendDeletedInput{UserID: userID})
	return withCode(err)
}

// SetFriendRemark sets the user's own name for friend userID ("" clears
// it); the friend list shows it as User.Remark on every device.
func (c *Client) SetFriendRemark(ctx context.Context, userID, remark string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	if err := s.call(ctx, protocol.ReqSetFriendRemark, protocol.SetFriendRemarkReq{UserID: userID, Remark: remark}, nil); err != nil {
		return err
	}
	fs, err := s.store.Friends(ctx)
	if err != nil {
		return withCode(err)
	}
	for _, f := range fs {
		if f.UserID == userID {
			f.Remark = remark
			_, err = s.apply(ctx, friendChangedInput{User: f})
			return withCode(err)
		}
	}
	return nil
}

// FriendList returns the friends: from the server when connected (and
// stored), else the stored list.
func (c *Client) FriendList(ctx context.Context) ([]User, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.liveWire() != nil {
		list, err := s.fetchFriends(ctx, s.call)
		if err == nil {
			res, err := s.apply(ctx, friendListInput{Users: list})
			if err != nil {
				return nil, withCode(err)
			}
			return res.Value.([]User), nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	fs, err := s.store.Friends(ctx)
	return fs, withCode(err)
}

// FriendRequests lists friend requests to and from the user in every
// state, newest activity first: from the server when connected (and
// stored), else the stored list.
func (c *Client) FriendRequests(ctx context.Context) ([]FriendRequest, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.liveWire() != nil {
		rs, err := s.fetchRequests(ctx, s.call)
		if err == nil {
			res, err := s.apply(ctx, friendRequestListInput{Requests: rs})
			if err != nil {
				return nil, withCode(err)
			}
			return res.Value.([]FriendRequest), nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	rs, err := s.store.FriendRequests(ctx)
	if rs == nil {
		rs = []FriendRequest{}
	}
	return rs, withCode(err)
}

// FriendRequestUnhandledCount counts the stored requests to the user that
// are still pending.
func (c *Client) FriendRequestUnhandledCount(ctx context.Context) (int, error) {
	s, err := c.session()
	if err != nil {
		return 0, err
	}
	rs, err := s.store.FriendRequests(ctx)
	if err != nil {
		return 0, withCode(err)
	}
	n := 0
	for _, r := range rs {
		if r.ToUserID == s.userID && r.State == protocol.FriendRequestPending {
			n++
		}
	}
	return n, nil
}

type caller func(ctx context.Context, typ string, req, resp any) error

func (s *session) fetchFriends(ctx context.Context, call caller) ([]User, error) {
	return fetchUsers(ctx, call, protocol.ReqListFriends)
}

func (s *session) fetchRequests(ctx context.Context, call caller) ([]FriendRequest, error) {
	var resp protocol.FriendRequestsResp
	if err := call(ctx, protocol.ReqListFriendRequests, nil, &resp); err != nil {
		return nil, err
	}
	if resp.Requests == nil {
		resp.Requests = []FriendRequest{}
	}
	return resp.Requests, nil
}

// refreshFriends ends a catch-up: the profiles changed since the profile
// cursor, then the friends, requests, blacklist and group applications
// changed since the stored social version (announced when announce is
// set), so that a device that was away learns of requests made, accepted
// and refused, friends deleted, remarks and blocks changed, applications
// made and decided meanwhile. The lists are read whole (bounded: at most
// 200 requests, 200 applications and 1000 blocked users) only
// by a fresh store or when the server's change log no longer reaches the
// stored version.
func (s *session) refreshFriends(w *wire, announce bool) error {
	ctx := w.ctx
	// Profiles first: a friend's new name is announced as a profile
	// change (usersInfoChanged), and the friend list then finds it stored.
	if err := s.catchUpProfiles(w, announce); err != nil {
		return err
	}
	var version int64
	if stored, ok, err := s.store.SocialVersion(ctx); err != nil {
		return err
	} else if ok {
		for {
			var resp protocol.SocialChangesResp
			if err := w.call(ctx, protocol.ReqSocialChanges, protocol.SocialChangesReq{Since: stored}, &resp); err != nil {
				return err
			}
			if resp.TooOld {
				version = resp.Version
				break
			}
			if resp.Version == stored && !resp.HasMore {
				return nil // nothing changed: one small answer
			}
			if _, err := s.apply(ctx, socialChangesInput{Resp: resp}); err != nil {
				return err
			}
			if !resp.HasMore {
				return nil
			}
			if resp.Version <= stored {
				return &Error{Code: protocol.CodeInternal, Message: "socialChanges: hasMore without a new version"}
			}
			stored = resp.Version
		}
	} else {
		var sv protocol.SocialVersionResp
		if err := w.call(ctx, protocol.ReqSocialVersion, nil, &sv); err != nil {
			return err
		}
		version = sv.Version
	}
	// The version is read before the lists: lists newer than it are read
	// again next time, never older ones kept.
	list, err := s.fetchFriends(ctx, w.call)
	if err != nil {
		return err
	}
	if _, err := s.apply(ctx, friendListInput{Users: list, Announce: announce}); err != nil {
		return err
	}
	rs, err := s.fetchRequests(ctx, w.call)
	if err != nil {
		return err
	}
	if _, err := s.apply(ctx, friendRequestListInput{Requests: rs, Announce: announce}); err != nil {
		return err
	}
	// Group applications are logged with the rest (user.socialChanges),
	// so the whole list is read only here too.
	as, err := fetchApplications(ctx, w.call)
	if err != nil {
		return err
	}
	if _, err := s.apply(ctx, groupApplicationListInput{Applications: as, Announce: announce}); err != nil {
		return err
	}
	black, err := fetchUsers(ctx, w.call, protocol.ReqListBlocked)
	if err != nil {
		return err
	}
	_, err = s.apply(ctx, blackListInput{Users: black, Announce: announce, Version: &version})
	return err
}

// catchUpProfiles asks for the profiles of the user, its friends and
// fellow group members changed since the stored profile cursor, page by
// page, each page stored with its cursor in one batch.
func (s *session) catchUpProfiles(w *wire, announce bool) error {
	ctx := w.ctx
	cursor, err := s.store.ProfileCursor(ctx)
	if err != nil {
		return err
	}
	for {
		var resp protocol.ChangedProfilesResp
		if err := w.call(ctx, protocol.ReqChangedProfiles, protocol.ChangedProfilesReq{Cursor: cursor}, &resp); err != nil {
			return err
		}
		us := make([]User, len(resp.Users))
		for i, u := range resp.Users {
			us[i] = userFromProto(u)
		}
		in := profileChangesInput{Users: us, Announce: announce}
		if resp.Cursor != cursor {
			next := resp.Cursor
			in.Cursor = &next
		}
		if _, err := s.apply(ctx, in); err != nil {
			return err
		}
		if !resp.HasMore || resp.Cursor <= cursor {
			return nil
		}
		cursor = resp.Cursor
	}
}
