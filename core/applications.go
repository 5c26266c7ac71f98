package core

// Applications to join groups (contract §5): stored like friend requests,
// so that the app lists them and counts the unhandled ones offline.

import (
	"context"
	"errors"

	"parley/protocol"
)

// GroupApplications lists the applications the user may decide (to groups
// they own or administer) and those they made, newest activity first:
// from the server when connected (and stored), else the stored list.
func (c *Client) GroupApplications(ctx context.Context) ([]GroupApplication, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.liveWire() != nil {
		as, err := fetchApplications(ctx, s.call)
		if err == nil {
			res, err := s.apply(ctx, groupApplicationListInput{Applications: as})
			if err != nil {
				return nil, withCode(err)
			}
			return res.Value.([]GroupApplication), nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	return s.storedApplications(ctx)
}

// storedApplications reads the stored applications the user made or may
// decide (storedApplications, the pure one).
func (s *session) storedApplications(ctx context.Context) ([]GroupApplication, error) {
	as, err := s.store.GroupApplications(ctx)
	if err != nil {
		return nil, withCode(err)
	}
	gs, err := s.store.Groups(ctx)
	if err != nil {
		return nil, withCode(err)
	}
	left := make(map[string]bool)
	for _, a := range as {
		if _, seen := left[a.GroupID]; seen || a.UserID == s.userID {
			continue
		}
		cv, err := s.store.Conversation(ctx, protocol.GroupConversationID(a.GroupID))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, withCode(err)
		}
		left[a.GroupID] = err == nil && cv.Removed
	}
	return storedApplications(s.userID, as, gs, left), nil
}

// GroupApplicationUnhandledCount counts the stored pending applications
// the user may decide (not the user's own; see storedApplications).
func (c *Client) GroupApplicationUnhandledCount(ctx context.Context) (int, error) {
	s, err := c.session()
	if err != nil {
		return 0, err
	}
	as, err := s.storedApplications(ctx)
	if err != nil {
		return 0, err
	}
	return unhandledApplications(s.userID, as), nil
}

// applicationRequest sends group.join or a decision and stores the
// application its answer carries (a server that answers without one
// leaves it to the push).
func (s *session) applicationRequest(ctx context.Context, typ string, req any) error {
	var a protocol.GroupApplication
	if typ == protocol.ReqJoinGroup {
		var resp protocol.JoinGroupResp
		if err := s.call(ctx, typ, req, &resp); err != nil {
			return err
		}
		if resp.Application == nil {
			return nil
		}
		a = *resp.Application
	} else if err := s.call(ctx, typ, req, &a); err != nil {
		return err
	}
	if a.GroupID == "" {
		return nil
	}
	_, err := s.apply(ctx, groupApplicationInput{Application: a})
	return withCode(err)
}

func fetchApplications(ctx context.Context, call caller) ([]GroupApplication, error) {
	var resp protocol.GroupApplicationsResp
	if err := call(ctx, protocol.ReqGroupApplications, nil, &resp); err != nil {
		return nil, err
	}
	if resp.Applications == nil {
		resp.Applications = []GroupApplication{}
	}
	return resp.Applications, nil
}
