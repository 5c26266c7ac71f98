package core

// The conversations module: the list, read state, pins and drafts.

import (
	"context"
	"errors"
	"sort"

	"parley/protocol"
)

// ConversationList returns conversations, pinned first, then newest
// activity first; count <= 0 means all from offset.
func (c *Client) ConversationList(ctx context.Context, offset, count int) ([]Conversation, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, errInvalid("negative offset")
	}
	s.firstPage.started()
	defer s.firstPage.finished()
	convs, err := s.store.ConversationPage(ctx, offset, count)
	if err != nil {
		return nil, withCode(err)
	}
	if convs == nil {
		convs = []Conversation{}
	}
	return s.decorate(ctx, convs), nil
}

// ConversationMark is how far one conversation's data went when
// ConversationMarks read it: the highest seq held and the latest change.
type ConversationMark struct {
	ConversationID string `json:"conversationID"`
	// Seq is the highest of LocalMaxSeq and the latest message's seq.
	Seq       int64 `json:"seq"`
	UpdatedAt int64 `json:"updatedAt"`
}

// ConversationMarks returns the mark of every stored conversation, for a
// host that serves several views of one session (the browser's shared
// instance): each view takes them when it starts, as what it holds, and
// hears of later changes by events. It returns only after every event of
// the writes it read was delivered to the handlers, so whoever sees its
// result after the handlers' output has been told of all of them, and a
// write after it is announced after it. It reads the whole list, so it
// lets a page of the list the app has asked for go first (the firstPage
// rule), and does not hold the catch-up back.
func (c *Client) ConversationMarks(ctx context.Context) ([]ConversationMark, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if !s.firstPage.waitAsked(ctx) {
		return nil, withCode(ctx.Err())
	}
	// Reading under applyMu sees no write half done, and every write it
	// sees has queued its events (emitResult runs under applyMu).
	var out []ConversationMark
	s.applyMu.Lock()
	err = eachConversation(ctx, s.store, func(cv *Conversation) {
		seq := cv.LocalMaxSeq
		if cv.LatestMessage != nil && cv.LatestMessage.Seq > seq {
			seq = cv.LatestMessage.Seq
		}
		out = append(out, ConversationMark{ConversationID: cv.ConversationID, Seq: seq, UpdatedAt: cv.UpdatedAt})
	})
	n := c.events.mark()
	s.applyMu.Unlock()
	if err != nil {
		return nil, withCode(err)
	}
	c.events.waitDelivered(n)
	sort.Slice(out, func(i, j int) bool { return out[i].ConversationID < out[j].ConversationID })
	return out, nil
}

// Activity is what the list's "newest activity first" sorts by: the
// latest message's time, so that reading, pinning or a draft does not
// reorder the list; UpdatedAt for a conversation without one.
func (c *Conversation) Activity() int64 {
	if c.LatestMessage != nil && c.LatestMessage.SendTime > 0 {
		return c.LatestMessage.SendTime
	}
	return c.UpdatedAt
}

// SortConversations sorts cs in the list's order: pinned first, then
// Activity descending, then ConversationID ascending. Stores use it (or an
// index in the same order) for ConversationPage.
func SortConversations(cs []Conversation) { sortConversations(cs) }

func sortConversations(cs []Conversation) {
	sort.Slice(cs, func(i, j int) bool { return listsBefore(&cs[i], &cs[j]) })
}

// listsBefore reports whether a comes before b in the list's order.
func listsBefore(a, b *Conversation) bool {
	if a.IsPinned != b.IsPinned {
		return a.IsPinned
	}
	if x, y := a.Activity(), b.Activity(); x != y {
		return x > y
	}
	return a.ConversationID < b.ConversationID
}

// Conversation returns one conversation from local data.
func (c *Client) Conversation(ctx context.Context, conversationID string) (Conversation, error) {
	s, err := c.session()
	if err != nil {
		return Conversation{}, err
	}
	cv, err := s.store.Conversation(ctx, conversationID)
	if errors.Is(err, ErrNotFound) {
		return Conversation{}, &Error{Code: protocol.CodeNotFound, Message: "no conversation " + conversationID}
	}
	if err != nil {
		return Conversation{}, withCode(err)
	}
	return s.decorate(ctx, []Conversation{cv})[0], nil
}

// MarkConversationAsRead marks every message of the conversation read, here
// at once and on the user's other devices through the server. Offline the
// local change stands and reaches the server after reconnecting.
func (c *Client) MarkConversationAsRead(ctx context.Context, conversationID string) error {
	return c.MarkConversationAsReadUpTo(ctx, conversationID, 0)
}

// MarkConversationAsReadUpTo marks the conversation read up to seq (0:
// every message), never back, as MarkConversationAsRead does. In a
// one-to-one conversation the peer's messages up to it become read for
// them (read receipts).
func (c *Client) MarkConversationAsReadUpTo(ctx context.Context, conversationID string, seq int64) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if seq < 0 {
		return errInvalid("seq must not be negative")
	}
	res, err := s.apply(ctx, markReadInput{ConversationID: conversationID, Seq: seq})
	if err != nil {
		return withCode(err)
	}
	cv := res.Value.(Conversation)
	return s.sendLocalState(ctx, protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conversationID, ReadSeq: cv.ReadSeq})
}

// sendLocalState tells the server of a state change already made here
// (a read mark, a draft): at once while connected; offline, or when the
// connection fails on the way, sendReads sends it after reconnecting.
func (s *session) sendLocalState(ctx context.Context, typ string, req any) error {
	if s.liveWire() == nil {
		return nil
	}
	var st protocol.ConversationState
	if err := s.call(ctx, typ, req, &st); err != nil {
		if protocol.CodeOf(err) == protocol.CodeNetwork {
			return nil
		}
		return err
	}
	_, err := s.apply(ctx, foldInput{States: []protocol.ConversationState{st}})
	return withCode(err)
}

// SetConversationPinned pins or unpins a conversation on all the user's devices.
func (c *Client) SetConversationPinned(ctx context.Context, conversationID string, pinned bool) error {
	return c.conversationRequest(ctx, protocol.ReqSetPinned, protocol.SetPinnedReq{ConversationID: conversationID, IsPinned: pinned})
}

// SetConversationMuted mutes or unmutes a conversation on all the user's
// devices: a muted one keeps its unread count, left out of the total.
func (c *Client) SetConversationMuted(ctx context.Context, conversationID string, muted bool) error {
	return c.conversationRequest(ctx, protocol.ReqSetMuted, protocol.SetMutedReq{ConversationID: conversationID, IsMuted: muted})
}

// maxDraftLen is the server's bound on a draft, in bytes.
const maxDraftLen = 16 << 10

// SetConversationDraft stores a draft on all the user's devices. For a
// conversation held here it is stored here at once, offline too, and
// reaches the server when connected; another needs the server.
func (c *Client) SetConversationDraft(ctx context.Context, conversationID, draft string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if len(draft) > maxDraftLen {
		return errInvalid("draft is longer than 16 KiB")
	}
	req := protocol.SetDraftReq{ConversationID: conversationID, DraftText: draft}
	if _, err := s.apply(ctx, draftInput{ConversationID: conversationID, Text: draft}); protocol.CodeOf(err) == protocol.CodeNotFound {
		return c.conversationRequest(ctx, protocol.ReqSetDraft, req)
	} else if err != nil {
		return withCode(err)
	}
	return s.sendLocalState(ctx, protocol.ReqSetDraft, req)
}

// HideConversation takes a conversation off the list on all the user's
// devices until its next message. Needs the connection.
func (c *Client) HideConversation(ctx context.Context, conversationID string) error {
	return c.conversationRequest(ctx, protocol.ReqHideConversation, protocol.ConversationIDReq{ConversationID: conversationID})
}

// DeleteConversation hides a conversation and clears it for the user on
// all their devices: off the list, its messages removed here, and its
// history empty until a new message arrives. Needs the connection.
func (c *Client) DeleteConversation(ctx context.Context, conversationID string) error {
	return c.conversationRequest(ctx, protocol.ReqDeleteConversation, protocol.ConversationIDReq{ConversationID: conversationID})
}

func (c *Client) conversationRequest(ctx context.Context, typ string, req any) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	var st protocol.ConversationState
	if err := s.call(ctx, typ, req, &st); err != nil {
		return err
	}
	_, err = s.apply(ctx, foldInput{States: []protocol.ConversationState{st}})
	return withCode(err)
}

// TotalUnreadCount returns the sum of the conversations' unread counts.
func (c *Client) TotalUnreadCount(ctx context.Context) (int64, error) {
	s, err := c.session()
	if err != nil {
		return 0, err
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if err := s.loadUnread(ctx); err != nil {
		return 0, withCode(err)
	}
	return s.total, nil
}
