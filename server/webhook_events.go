package server

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"parley/protocol"
	"parley/server/store"
)

// The asynchronous webhook events, queued where they happen.

// PresenceData is the data of userOnline and userOffline: the user's first
// connection on any node opened (Platform: its platform), or their last
// one on every node closed (presencehooks.go).
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
	// Kind is "created" or the kind of the notification message the change
	// wrote (protocol.Notification*; "memberRemoved" with Reason "kicked"
	// or "quit").
	Kind           string          `json:"kind"`
	GroupID        string          `json:"groupID"`
	OperatorUserID string          `json:"operatorUserID,omitempty"`
	UserIDs        []string        `json:"userIDs,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	Group          *protocol.Group `json:"group,omitempty"`
}

// webhookTimeout bounds queuing an event outside a request's context.
const webhookTimeout = 5 * time.Second

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
	var pushes []store.PendingPush
	for i := range res {
		r := &res[i]
		if r.Err != nil || r.Duplicate {
			continue
		}
		if w.on(EventAfterSendMessage) {
			if j, err := w.job(EventAfterSendMessage, randomID("wh", 12), &r.Message); err == nil {
				jobs = append(jobs, j)
			}
		}
		if w.offline == nil {
			continue
		}
		var body []byte
		for _, uid := range r.Recipients {
			if uid == r.Message.SendID || s.hub.online(uid) {
				continue
			}
			if body == nil {
				var err error
				if body, err = json.Marshal(&r.Message); err != nil {
					s.log.Error("webhook: encode offline push", "err", err)
					break
				}
			}
			pushes = append(pushes, store.PendingPush{UserID: uid, Body: body})
		}
	}
	w.enqueue(ctx, jobs...)
	w.gather(ctx, pushes)
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

// flushOfflinePushes queues the offlinePush of each due batch whose
// recipient is still offline on every node; the others' batches end
// unsent, their messages having reached a connection (or sync) meanwhile.
func (s *Server) flushOfflinePushes(ctx context.Context, w *webhooks, bs []store.OfflinePushBatch) {
	users := make([]string, len(bs))
	for i, b := range bs {
		users[i] = b.UserID
	}
	sts, err := s.presence.statuses(users)
	if err != nil {
		// Unknown: a push too many rather than one missing.
		s.log.Warn("webhook: offline push presence", "err", err)
	}
	online := map[string]bool{}
	for _, st := range sts {
		online[st.UserID] = st.Online
	}
	for _, b := range bs {
		if !online[b.UserID] {
			s.flushOfflinePush(ctx, w, b)
			continue
		}
		if err := w.st.FinishOfflinePush(ctx, b.UserID, b.PushID, time.Now().Add(w.window).UnixMilli()); err != nil {
			s.log.Warn("webhook: offline push of an online user", "user", b.UserID, "push", b.PushID, "err", err)
			continue
		}
		w.m.pushOnline.Inc()
	}
}

// flushOfflinePush queues the offlinePush of a due batch, under the
// batch's ID, then finishes the batch. Stopped in between (or failing),
// the batch is leased again after its lease and queued again under the
// same ID: the receiver drops the repeat.
func (s *Server) flushOfflinePush(ctx context.Context, w *webhooks, b store.OfflinePushBatch) {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	userID := b.UserID
	d := OfflinePushData{RecipientUserID: userID, Count: b.Count, Badge: s.badge(ctx, userID)}
	names := map[string]string{}
	for _, raw := range b.Bodies {
		var m protocol.Message
		if err := json.Unmarshal(raw, &m); err != nil {
			s.log.Error("webhook: decode offline push", "user", userID, "err", err)
			continue
		}
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
	j, err := w.job(EventOfflinePush, b.PushID, d)
	if err == nil {
		err = w.st.EnqueueWebhooks(ctx, []store.WebhookJob{j})
	}
	if err == nil {
		err = w.st.FinishOfflinePush(ctx, userID, b.PushID, time.Now().Add(w.window).UnixMilli())
	}
	if err != nil {
		s.log.Warn("webhook: offline push deferred", "user", userID, "push", b.PushID, "err", err)
	}
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
