package core

// The blacklist: users whose messages and friend requests the server
// refuses for the user.

import (
	"context"

	"parley/protocol"
)

// AddBlack blocks userID: their one-to-one messages and friend requests to
// the user are refused. The stored blacklist has them at once;
// blackListChanged announces it (once, the server's push included).
func (c *Client) AddBlack(ctx context.Context, userID string) error {
	return c.setBlocked(ctx, userID, true)
}

// RemoveBlack lifts the block on userID.
func (c *Client) RemoveBlack(ctx context.Context, userID string) error {
	return c.setBlocked(ctx, userID, false)
}

func (c *Client) setBlocked(ctx context.Context, userID string, blocked bool) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	typ := protocol.ReqUnblockUser
	if blocked {
		typ = protocol.ReqBlockUser
	}
	if err := s.call(ctx, typ, protocol.UserIDReq{UserID: userID}, nil); err != nil {
		return err
	}
	// The profile as the server's push will carry it, so that the push
	// finds nothing new to announce.
	u := User{UserID: userID}
	var resp protocol.UsersResp
	if err := s.call(ctx, protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: []string{userID}}, &resp); err == nil && len(resp.Users) == 1 {
		u = profileOf(userFromProto(resp.Users[0]))
	} else if us, err := s.store.Users(ctx, []string{userID}); err == nil && len(us) == 1 {
		u = us[0]
	}
	_, err = s.apply(ctx, blockChangedInput{User: u, Blocked: blocked})
	return withCode(err)
}

// BlackList returns the users the user blocks, ordered by UserID: from the
// server when connected (and stored), else the stored list.
func (c *Client) BlackList(ctx context.Context) ([]User, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.liveWire() != nil {
		us, err := fetchUsers(ctx, s.call, protocol.ReqListBlocked)
		if err == nil {
			res, err := s.apply(ctx, blackListInput{Users: us})
			if err != nil {
				return nil, withCode(err)
			}
			return res.Value.([]User), nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	us, err := s.store.BlackList(ctx)
	return us, withCode(err)
}

// fetchUsers asks for a list of users (friend.list, user.blockList).
func fetchUsers(ctx context.Context, call caller, typ string) ([]User, error) {
	var resp protocol.UsersResp
	if err := call(ctx, typ, nil, &resp); err != nil {
		return nil, err
	}
	list := make([]User, len(resp.Users))
	for i, u := range resp.Users {
		list[i] = userFromProto(u)
	}
	return list, nil
}
