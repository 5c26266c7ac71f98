package core

// The users module: the user's own profile and others'.

import (
	"context"
	"strings"
	"time"

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

// profileWait is how long UsersInfo waits for a connection when asked
// for a profile that is not stored (right after login, say).
const profileWait = 3 * time.Second

// UsersInfo returns profiles: from the server when connected, else the
// stored ones. A profile that is not stored is never silently missing:
// UsersInfo waits a moment for the connection to ask for it; if the server
// stays out of reach, it returns what is stored and fetches the rest once
// connected, announcing them with usersInfoChanged. After the server ended
// the session (tokenExpired, kickedOffline) it rejects with that code.
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
	if s.liveWire() == nil {
		us, err := s.store.Users(ctx, userIDs)
		if err != nil {
			return nil, withCode(err)
		}
		missing := missingUsers(userIDs, us)
		if len(missing) == 0 {
			return us, nil
		}
		wctx, cancel := context.WithTimeout(ctx, profileWait)
		_, err = s.waitWire(wctx)
		cancel()
		if isTerminal(err) || protocol.CodeOf(err) == protocol.CodeNotLoggedIn {
			return nil, err
		}
		if err != nil {
			s.wantUsers(missing)
			return us, nil
		}
	}
	out, err := s.fetchUsers(ctx, userIDs)
	if protocol.CodeOf(err) == protocol.CodeNetwork {
		us, rerr := s.store.Users(ctx, userIDs)
		if rerr != nil {
			return nil, withCode(rerr)
		}
		s.wantUsers(missingUsers(userIDs, us))
		return us, nil
	}
	return out, err
}

// fetchUsers asks the server for profiles and stores them.
func (s *session) fetchUsers(ctx context.Context, userIDs []string) ([]User, error) {
	var resp protocol.UsersResp
	if err := s.call(ctx, protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: userIDs}, &resp); err != nil {
		return nil, err
	}
	out := make([]User, len(resp.Users))
	for i, u := range resp.Users {
		out[i] = userFromProto(u)
	}
	if _, err := s.apply(ctx, usersInput{Users: out}); err != nil {
		return nil, withCode(err)
	}
	return out, nil
}

// missingUsers lists the IDs among ids that have no profile in us.
func missingUsers(ids []string, us []User) []string {
	have := make(map[string]bool, len(us))
	for _, u := range us {
		have[u.UserID] = true
	}
	var out []string
	for _, id := range ids {
		if !have[id] {
			out = append(out, id)
		}
	}
	return out
}

// wantUsers notes profiles to fetch once connected (fetchWanted).
func (s *session) wantUsers(ids []string) {
	if len(ids) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wanted == nil {
		s.wanted = make(map[string]bool)
	}
	for _, id := range ids {
		s.wanted[id] = true
	}
}

// fetchWanted fetches the profiles asked for while offline and announces
// them with usersInfoChanged.
func (s *session) fetchWanted(w *wire) {
	s.mu.Lock()
	ids := sortedKeys(s.wanted)
	s.wanted = nil
	s.mu.Unlock()
	for len(ids) > 0 {
		n := min(len(ids), protocol.MaxGetUsers)
		var resp protocol.UsersResp
		if err := w.call(w.ctx, protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: ids[:n]}, &resp); err != nil {
			s.wantUsers(ids) // the next connection tries again
			return
		}
		us := make([]User, len(resp.Users))
		for i, u := range resp.Users {
			us[i] = userFromProto(u)
		}
		if _, err := s.apply(w.ctx, usersInput{Users: us, Announce: true}); err != nil {
			s.cfg.Logger.Warn("storing profiles failed", "err", err)
		}
		ids = ids[n:]
	}
}

// SetSelfInfo changes the user's nickname, face URL and/or ex; the user's
// other devices, friends and fellow group members see it live
// (usersInfoChanged) and after being away.
func (c *Client) SetSelfInfo(ctx context.Context, upd SelfInfoUpdate) (User, error) {
	s, err := c.session()
	if err != nil {
		return User{}, err
	}
	var u protocol.User
	if err := s.call(ctx, protocol.ReqSetSelf, protocol.SetSelfReq{Nickname: upd.Nickname, FaceURL: upd.FaceURL, Ex: upd.Ex, Searchable: upd.Searchable}, &u); err != nil {
		return User{}, err
	}
	cu := userFromProto(u)
	// As a profile change: the server's push of it, which may come before
	// or after this answer, then finds it stored and announces nothing.
	if _, err := s.apply(ctx, profileChangesInput{Users: []User{cu}, Announce: true}); err != nil {
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

// SearchUsers finds users whose username starts with keyword or whose
// nickname contains it (from three characters), count (≤ 50, default 20)
// from offset. It asks the server; the profiles found are cached.
func (c *Client) SearchUsers(ctx context.Context, keyword string, offset, count int) ([]User, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(keyword) == "" {
		return nil, errInvalid("keyword is required")
	}
	var resp protocol.UsersResp
	if err := s.call(ctx, protocol.ReqSearchUsers, protocol.SearchUsersReq{Keyword: keyword, Offset: offset, Count: count}, &resp); err != nil {
		return nil, err
	}
	out := make([]User, len(resp.Users))
	for i, u := range resp.Users {
		out[i] = userFromProto(u)
	}
	if len(out) > 0 {
		if _, err := s.apply(ctx, usersInput{Users: out}); err != nil {
			return nil, withCode(err)
		}
	}
	return out, nil
}
