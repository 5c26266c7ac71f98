package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"parley/protocol"
	"parley/server/store"
)

// The asynchronous webhook events, queued where they happen.

// PresenceData is the data of userOnline and userOffline: the user's first
// connection to this node opened, or their last one closed. Each node
// reports its own connections.
type PresenceData struct {
	UserID   string `json:"userID"`
	Platform string `json:"platform"`
}

// FriendAddedData is the data of friendAdded.
type FriendAddedData struct {
	UserID       string `json:"userID"`
	FriendUserID string `json:"friendUserID"`
}

// GroupChangedData is the data of groupChanged.
type GroupChangedData struct {
	// Kind is "created" or "memberRemoved" (with Reason "kicked" or "quit").
	Kind           string          `json:"kind"`
	GroupID        string          `json:"groupID"`
	OperatorUserID string          `json:"operatorUserID,omitempty"`
	UserIDs        []string        `json:"userIDs,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	Group          *protocol.Group `json:"group,omitempty"`
}

// webhookTimeout bounds queuing an event outside a request's context.
const webhookTimeout = 5 * time.Second

// presenceChanged queues userOnline or userOffline.
func (s *Server) presenceChanged(userID, platform string, online bool) {
	ev := EventUserOffline
	if online {
		ev = EventUserOnline
	}
	if !s.webhooks.on(ev) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	s.webhooks.send(ctx, ev, PresenceData{UserID: userID, Platform: platform})
}

// afterCommitBatch queues afterSendMessage for every message a commit
// stored, in one store transaction, and gathers the offline pushes. It
// runs before the batch's senders are answered, so that a message
// acknowledged is one whose webhook is queued.
func (s *Server) afterCommitBatch(ctx context.Context, res []store.AppendResult) {
	w := s.webhooks
	if w == nil {
		return
	}
	var jobs []store.WebhookJob
	for i := range res {
		r := &res[i]
		if r.Err != nil || r.Duplicate {
			continue
		}
		if w.on(EventAfterSendMessage) {
			if j, err := w.job(EventAfterSendMessage, &r.Message); err == nil {
				jobs = append(jobs, j)
			}
		}
		if w.offline != nil {
			for _, uid := range r.Recipients {
				if uid != r.Message.SendID && !s.hub.online(uid) {
					w.offline.add(uid, r.Message)
				}
			}
		}
	}
	w.enqueue(ctx, jobs...)
}

// OfflinePushData is the data of offlinePush: what a push notification to
// a user with no open connection needs. Messages that arrived within the
// window (WebhookConfig.OfflinePushWindow) come as one.
type OfflinePushData struct {
	RecipientUserID string `json:"recipientUserID"`
	// Badge is the recipient's unread count over all their conversations.
	Badge int64 `json:"badge"`
	// Count is how many messages the push stands for; Messages holds the
	// latest maxPushMessages of them, oldest first.
	Count    int                  `json:"count"`
	Messages []OfflinePushMessage `json:"messages"`
}

// OfflinePushMessage is one message of an offlinePush.
type OfflinePushMessage struct {
	ConversationID string `json:"conversationID"`
	GroupID        string `json:"groupID,omitempty"`
	ServerMsgID    string `json:"serverMsgID"`
	Seq            int64  `json:"seq"`
	SendID         string `json:"sendID"`
	SenderNickname string `json:"senderNickname"`
	ContentType    string `json:"contentType"`
	// Preview is the message's text summary; empty when the conversation
	// is muted for the recipient.
	Preview  string `json:"preview"`
	SendTime int64  `json:"sendTime"`
}

const (
	maxPushMessages = 20
	maxPreviewRunes = 100
	// maxBadgePages bounds the sync pages read to count a badge.
	maxBadgePages = 20
)

// flushOfflinePush queues one offlinePush for a user's gathered messages.
func (s *Server) flushOfflinePush(userID string, msgs []protocol.Message, count int) {
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	d := OfflinePushData{RecipientUserID: userID, Count: count, Badge: s.badge(ctx, userID)}
	names := map[string]string{}
	for _, m := range msgs {
		name, ok := names[m.SendID]
		if !ok {
			if p, err := s.profile(ctx, m.SendID); err == nil {
				name = p.Nickname
			}
			names[m.SendID] = name
		}
		pm := OfflinePushMessage{
			ConversationID: m.ConversationID, GroupID: m.GroupID, ServerMsgID: m.ServerMsgID, Seq: m.Seq,
			SendID: m.SendID, SenderNickname: name, ContentType: m.ContentType, SendTime: m.SendTime,
		}
		if !s.previewHidden(ctx, userID, m.ConversationID) {
			pm.Preview = truncate(protocol.ContentSummary(m.ContentType, m.Content), maxPreviewRunes)
		}
		d.Messages = append(d.Messages, pm)
	}
	s.webhooks.send(ctx, EventOfflinePush, d)
}

// previewHidden reports whether a push to userID leaves out the preview
// of conversationID's messages: the recipient muted the conversation.
func (s *Server) previewHidden(ctx context.Context, userID, conversationID string) bool {
	st, err := s.store.Conversation(ctx, userID, conversationID)
	if err != nil {
		// No state yet (a first message) is not muted; a failed read
		// hides the preview rather than show a muted one.
		return !errors.Is(err, store.ErrNotFound)
	}
	return st.IsMuted
}

// badge counts userID's unread messages, muted conversations left out as
// from the SDK's total unread count. It reads the user's conversation
// states, so its cost grows with their conversation count (bounded by
// maxBadgePages); it runs once per push window, not per message.
func (s *Server) badge(ctx context.Context, userID string) int64 {
	var n, cursor int64
	for range maxBadgePages {
		sts, err := s.store.ChangedConversations(ctx, userID, cursor, s.cfg.MaxSyncPage)
		if err != nil {
			s.log.Warn("webhook: badge", "user", userID, "err", err)
			return n
		}
		for _, st := range sts {
			if !st.Removed && !st.IsMuted && st.MaxSeq > st.ReadSeq {
				n += st.MaxSeq - st.ReadSeq
			}
			cursor = st.Version
		}
		if len(sts) < s.cfg.MaxSyncPage {
			break
		}
	}
	return n
}

// offlinePusher gathers the messages to each offline user for a window,
// then flushes them as one push.
type offlinePusher struct {
	window time.Duration
	flush  func(userID string, msgs []protocol.Message, count int)

	mu      sync.Mutex
	pending map[string]*pendingPush
	stopped bool
	wg      sync.WaitGroup
}

type pendingPush struct {
	msgs  []protocol.Message
	count int
	timer *time.Timer
}

func newOfflinePusher(window time.Duration, flush func(string, []protocol.Message, int)) *offlinePusher {
	return &offlinePusher{window: window, flush: flush, pending: map[string]*pendingPush{}}
}

// add gathers m for userID; the first message of a window starts it.
func (p *offlinePusher) add(userID string, m protocol.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	pp := p.pending[userID]
	if pp == nil {
		pp = &pendingPush{}
		p.pending[userID] = pp
		p.wg.Add(1)
		pp.timer = time.AfterFunc(p.window, func() {
			defer p.wg.Done()
			if pp := p.take(userID); pp != nil {
				p.flush(userID, pp.msgs, pp.count)
			}
		})
	}
	pp.count++
	pp.msgs = append(pp.msgs, m)
	if len(pp.msgs) > maxPushMessages {
		pp.msgs = pp.msgs[1:]
	}
}

func (p *offlinePusher) take(userID string) *pendingPush {
	p.mu.Lock()
	defer p.mu.Unlock()
	pp := p.pending[userID]
	delete(p.pending, userID)
	return pp
}

// stop flushes every window still open, at once, and waits for flushes
// in progress.
func (p *offlinePusher) stop() {
	p.mu.Lock()
	p.stopped = true
	pending := p.pending
	p.pending = map[string]*pendingPush{}
	p.mu.Unlock()
	for userID, pp := range pending {
		if pp.timer.Stop() {
			p.wg.Done()
		}
		p.flush(userID, pp.msgs, pp.count)
	}
	p.wg.Wait()
}
