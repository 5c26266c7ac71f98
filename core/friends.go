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

// FriendList returns the friends: from the server when connected (and
// stored), else the stored list.
func (c *Client) FriendList(ctx context.Context) ([]User, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.liveWire() != nil {
		var resp protocol.UsersResp
		if err := s.call(ctx, protocol.ReqListFriends, nil, &resp); err == nil {
			list := make([]User, len(resp.Users))
			for i, u := range resp.Users {
				list[i] = userFromProto(u)
			}
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

// FriendRequests lists friend requests to and from the user (server only).
func (c *Client) FriendRequests(ctx context.Context) ([]FriendRequest, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	var resp protocol.FriendRequestsResp
	if err := s.call(ctx, protocol.ReqListFriendRequests, nil, &resp); err != nil {
		return nil, err
	}
	if resp.Requests == nil {
		resp.Requests = []FriendRequest{}
	}
	return resp.Requests, nil
}
