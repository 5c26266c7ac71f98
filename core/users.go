package core

// The users module: the user's own profile and others'.

import (
	"context"

	"parley/protocol"
)

// SelfInfo returns the user's own profile: from the server when connected,
// else the stored copy.
func (c *Client) SelfInfo(ctx context.Context) (User, error) {
	s, err := c.session()
	if err != nil {
		return User{}, err
	}
	if s.liveWire() != nil {
		var u protocol.User
		if err := s.call(ctx, protocol.ReqGetSelf, nil, &u); err == nil {
			cu := userFromProto(u)
			if _, err := s.apply(ctx, usersInput{Users: []User{cu}}); err != nil {
				return User{}, withCode(err)
			}
			return cu, nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return User{}, err
		}
	}
	us, err := s.store.Users(ctx, []string{s.userID})
	if err != nil {
		return User{}, withCode(err)
	}
	if len(us) == 0 {
		return User{}, errNetwork(nil)
	}
	return us[0], nil
}

// UsersInfo returns profiles: from the server when connected, else the
// stored ones (unknown IDs left out).
func (c *Client) UsersInfo(ctx context.Context, userIDs []string) ([]User, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if len(userIDs) == 0 {
		return []User{}, nil
	}
	if len(userIDs) > protocol.MaxGetUsers {
		return nil, errInvalid("too many userIDs")
	}
	if s.liveWire() != nil {
		var resp protocol.UsersResp
		if err := s.call(ctx, protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: userIDs}, &resp); err == nil {
			out := make([]User, len(resp.Users))
			for i, u := range resp.Users {
				out[i] = userFromProto(u)
			}
			if _, err := s.apply(ctx, usersInput{Users: out}); err != nil {
				return nil, withCode(err)
			}
			return out, nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	us, err := s.store.Users(ctx, userIDs)
	if err != nil {
		return nil, withCode(err)
	}
	return us, nil
}

// SetSelfInfo changes the user's nickname and/or face URL.
func (c *Client) SetSelfInfo(ctx context.Context, upd SelfInfoUpdate) (User, error) {
	s, err := c.session()
	if err != nil {
		return User{}, err
	}
	var u protocol.User
	if err := s.call(ctx, protocol.ReqSetSelf, protocol.SetSelfReq{Nickname: upd.Nickname, FaceURL: upd.FaceURL}, &u); err != nil {
		return User{}, err
	}
	cu := userFromProto(u)
	if _, err := s.apply(ctx, usersInput{Users: []User{cu}, Self: true}); err != nil {
		return User{}, withCode(err)
	}
	return cu, nil
}

// FindUserByUsername looks a user up by username.
func (c *Client) FindUserByUsername(ctx context.Context, username string) (User, error) {
	s, err := c.session()
	if err != nil {
		return User{}, err
	}
	if username == "" {
		return User{}, errInvalid("username is required")
	}
	var u protocol.User
	if err := s.call(ctx, protocol.ReqFindUser, protocol.FindUserReq{Username: username}, &u); err != nil {
		return User{}, err
	}
	return userFromProto(u), nil
}
