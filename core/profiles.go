package core

import (
	"context"
	"sort"

	"parley/protocol"
)

// Profiles: the names and faces conversations are shown with, and fetching
// those not stored yet.

// decorate fills ShowName and FaceURL from stored profiles and groups.
func (s *session) decorate(ctx context.Context, convs []Conversation) []Conversation {
	var userIDs []string
	for _, c := range convs {
		if c.SessionType != protocol.SessionGroup && c.UserID != "" {
			userIDs = append(userIDs, c.UserID)
		}
	}
	users := map[string]User{}
	if len(userIDs) > 0 {
		us, err := s.store.Users(ctx, userIDs)
		if err == nil {
			for _, u := range us {
				users[u.UserID] = u
			}
		}
	}
	groups := map[string]Group{}
	for _, c := range convs {
		if c.SessionType == protocol.SessionGroup {
			gs, err := s.store.Groups(ctx)
			if err == nil {
				for _, g := range gs {
					groups[g.GroupID] = g
				}
			}
			break
		}
	}
	out := make([]Conversation, len(convs))
	for i, c := range convs {
		if c.SessionType == protocol.SessionGroup {
			if g, ok := groups[c.GroupID]; ok {
				c.ShowName, c.FaceURL = g.Name, g.FaceURL
			}
		} else if u, ok := users[c.UserID]; ok {
			c.ShowName, c.FaceURL = u.Nickname, u.FaceURL
		}
		if c.ShowName == "" {
			if c.SessionType == protocol.SessionGroup {
				c.ShowName = c.GroupID
			} else {
				c.ShowName = c.UserID
			}
		}
		out[i] = c
	}
	return out
}

// fetchProfiles loads the profiles and groups of conversations whose names
// are not stored yet, then announces those conversations again.
func (s *session) fetchProfiles(convs []Conversation) {
	w := s.liveWire()
	if w == nil {
		return
	}
	ctx := w.ctx
	var userIDs []string
	needGroups := false
	var missing []Conversation
	known := map[string]bool{}
	for _, c := range convs {
		if c.SessionType == protocol.SessionGroup {
			needGroups = true
			continue
		}
		if c.UserID != "" {
			userIDs = append(userIDs, c.UserID)
		}
	}
	if len(userIDs) > 0 {
		us, err := s.store.Users(ctx, userIDs)
		if err != nil {
			return
		}
		for _, u := range us {
			known[u.UserID] = true
		}
	}
	var fetch []string
	for _, c := range convs {
		if c.SessionType == protocol.SessionGroup {
			missing = append(missing, c)
		} else if c.UserID != "" && !known[c.UserID] {
			fetch = append(fetch, c.UserID)
			missing = append(missing, c)
		}
	}
	if needGroups {
		gs, err := s.store.Groups(ctx)
		if err != nil {
			return
		}
		have := map[string]bool{}
		for _, g := range gs {
			have[g.GroupID] = true
		}
		needGroups = false
		kept := missing[:0]
		for _, c := range missing {
			if c.SessionType == protocol.SessionGroup {
				if have[c.GroupID] {
					continue
				}
				needGroups = true
			}
			kept = append(kept, c)
		}
		missing = kept
	}
	if len(fetch) == 0 && !needGroups {
		return
	}
	s.goBackground(func() {
		var ch Changes
		sort.Strings(fetch)
		ids := dedup(fetch)
		for len(ids) > 0 {
			n := min(len(ids), protocol.MaxGetUsers)
			var resp protocol.UsersResp
			if err := w.call(ctx, protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: ids[:n]}, &resp); err != nil {
				return
			}
			for _, u := range resp.Users {
				ch.Users = append(ch.Users, userFromProto(u))
			}
			ids = ids[n:]
		}
		if needGroups {
			var resp protocol.GroupsResp
			if err := w.call(ctx, protocol.ReqListGroups, nil, &resp); err != nil {
				return
			}
			for _, g := range resp.Groups {
				ch.Groups = append(ch.Groups, g)
			}
		}
		ids = make([]string, len(missing))
		for i, c := range missing {
			ids[i] = c.ConversationID
		}
		if _, err := s.apply(ctx, profilesInput{Users: ch.Users, Groups: ch.Groups, ConvIDs: ids}); err != nil {
			s.cfg.Logger.Warn("storing fetched profiles failed", "err", err)
		}
	})
}

func dedup(ids []string) []string {
	out := ids[:0]
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			continue
		}
		out = append(out, id)
	}
	return out
}
