package core

// The groups module.

import (
	"context"
	"sort"

	"parley/protocol"
)

// CreateGroup creates a group owned by the user with the given members.
func (c *Client) CreateGroup(ctx context.Context, name string, memberUserIDs []string) (Group, error) {
	s, err := c.session()
	if err != nil {
		return Group{}, err
	}
	if name == "" {
		return Group{}, errInvalid("group name is required")
	}
	var g protocol.Group
	if err := s.call(ctx, protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: name, MemberUserIDs: memberUserIDs}, &g); err != nil {
		return Group{}, err
	}
	cg := groupFromProto(g)
	if err := s.store.Apply(ctx, &Changes{Groups: []Group{cg}}); err != nil {
		return Group{}, withCode(err)
	}
	return cg, nil
}

// JoinedGroupList returns the user's groups: from the server when
// connected (and stored), else the stored list.
func (c *Client) JoinedGroupList(ctx context.Context) ([]Group, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.liveWire() != nil {
		var resp protocol.GroupsResp
		if err := s.call(ctx, protocol.ReqListGroups, nil, &resp); err == nil {
			s.applyMu.Lock()
			defer s.applyMu.Unlock()
			old, err := s.store.Groups(ctx)
			if err != nil {
				return nil, withCode(err)
			}
			ch := Changes{}
			keep := map[string]bool{}
			for _, g := range resp.Groups {
				cg := groupFromProto(g)
				keep[cg.GroupID] = true
				ch.Groups = append(ch.Groups, cg)
			}
			for _, g := range old {
				if !keep[g.GroupID] {
					ch.RemovedGroups = append(ch.RemovedGroups, g.GroupID)
				}
			}
			if err := s.store.Apply(ctx, &ch); err != nil {
				return nil, withCode(err)
			}
			sort.Slice(ch.Groups, func(i, j int) bool { return ch.Groups[i].GroupID < ch.Groups[j].GroupID })
			if ch.Groups == nil {
				ch.Groups = []Group{}
			}
			return ch.Groups, nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	gs, err := s.store.Groups(ctx)
	return gs, withCode(err)
}

// GroupMembers lists a group's members (server only).
func (c *Client) GroupMembers(ctx context.Context, groupID string) ([]GroupMember, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	var resp protocol.GroupMembersResp
	if err := s.call(ctx, protocol.ReqGetGroupMembers, protocol.GroupIDReq{GroupID: groupID}, &resp); err != nil {
		return nil, err
	}
	if resp.Members == nil {
		resp.Members = []GroupMember{}
	}
	return resp.Members, nil
}
