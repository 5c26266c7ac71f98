package server

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"parley/protocol"
	"parley/server/bus"
	"parley/server/store"
)

// Message and conversation limits; docs/limits.md lists them.
const (
	// defaultPullLimit applies to a SeqRange with Limit 0.
	defaultPullLimit = 100
	// maxPullBytes bounds the content bytes of one pull response; a range
	// may return fewer messages than its limit when it is reached.
	maxPullBytes = 4 << 20
	maxDraftLen  = 16 << 10
)

// caller is who a request comes from.
type caller struct {
	UserID string
	ConnID string
	// TokenID identifies the device (its login session) across its
	// reconnects: a call is answered on one.
	TokenID string
	// typing bounds the connection's typing indicators (typing.go); nil
	// outside a connection.
	typing *rate.Limiter
}

// publish hands ev to the bus; a failure only costs the push (clients
// catch up through sync), so it is logged, not returned.
func (s *Server) publish(ctx context.Context, ev bus.Event) {
	if err := s.bus.Publish(ctx, ev); err != nil {
		s.log.Warn("publish failed", "type", ev.Type, "err", err)
	}
}

// pushTo encodes a push and publishes it to users, skipping one connection
// (none when skipConn is "").
func (s *Server) pushTo(ctx context.Context, typ string, v any, skipConn string, userIDs ...string) {
	b, err := protocol.EncodeFrame("", typ, v)
	if err != nil {
		s.log.Error("encode push", "type", typ, "err", err)
		return
	}
	s.publish(ctx, bus.Event{UserIDs: userIDs, SkipConn: skipConn, Type: typ, Frame: b})
}

// afterCommit fans a stored message out. It runs on the committer's
// publishing goroutine, batch after batch in commit order, so pushes leave
// in seq order.
func (s *Server) afterCommit(ctx context.Context, r *store.AppendResult, connID string) {
	s.pushTo(ctx, protocol.PushMessage, &r.Message, connID, r.Recipients...)
}

// startSend validates a send, queues it for the committer and answers it
// from a goroutine once committed, so the connection keeps reading.
func (s *Server) startSend(c *conn, f *protocol.Frame, start time.Time) {
	var req protocol.SendReq
	err := protocol.DecodeData(f.Data, &req)
	var nm store.NewMessage
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		nm, err = s.prepareSend(ctx, c.userID, &req)
		if err == nil {
			// Inline, so that one connection's sends stay in order.
			nm, err = s.beforeSend(ctx, nm)
		}
		cancel()
	}
	if err != nil {
		c.replyError(f.ID, f.Type, start, err)
		return
	}
	c.sendSlots <- struct{}{}
	job := &sendJob{msg: nm, connID: c.id, done: make(chan sendResult, 1)}
	if !s.commit.enqueue(job) {
		<-c.sendSlots
		c.replyError(f.ID, f.Type, start, protocol.Errorf(protocol.CodeUnavailable, "server is shutting down"))
		return
	}
	c.inflight.Add(1)
	go func() {
		defer c.inflight.Done()
		r := s.commit.wait(job)
		<-c.sendSlots
		if r.err != nil {
			c.replyError(f.ID, f.Type, start, r.err)
			return
		}
		m := &r.res.Message
		c.reply(f.ID, f.Type, start, protocol.SendResp{
			ConversationID: m.ConversationID,
			ServerMsgID:    m.ServerMsgID,
			Seq:            m.Seq,
			SendTime:       m.SendTime,
			Duplicate:      r.res.Duplicate,
		}, nil)
	}()
}

// prepareSend checks a send request and who may receive it. Group
// membership is checked again inside the commit.
func (s *Server) prepareSend(ctx context.Context, from string, req *protocol.SendReq) (store.NewMessage, error) {
	if req.ClientMsgID == "" || len(req.ClientMsgID) > protocol.MaxClientMsgIDLen {
		return store.NewMessage{}, protocol.Errorf(protocol.CodeInvalidArgument, "clientMsgID must be 1 to %d bytes", protocol.MaxClientMsgIDLen)
	}
	if err := s.checkCreateTime(req.CreateTime); err != nil {
		return store.NewMessage{}, err
	}
	if (req.RecvID == "") == (req.GroupID == "") {
		return store.NewMessage{}, protocol.Errorf(protocol.CodeInvalidArgument, "exactly one of recvID and groupID is required")
	}
	content, err := protocol.CheckSendContent(req.ContentType, req.Content)
	if err != nil {
		return store.NewMessage{}, err
	}
	if err := s.checkMentions(ctx, from, req, content); err != nil {
		return store.NewMessage{}, err
	}
	if req.RecvID != "" {
		if !protocol.ValidID(req.RecvID) {
			return store.NewMessage{}, protocol.Errorf(protocol.CodeInvalidArgument, "invalid recvID")
		}
		if err := s.userExists(ctx, req.RecvID); err != nil {
			return store.NewMessage{}, err
		}
		if blocked, err := s.blockedBy(ctx, req.RecvID, from); err != nil {
			return store.NewMessage{}, err
		} else if blocked {
			return store.NewMessage{}, protocol.Errorf(protocol.CodePermissionDenied, "this user does not accept your messages")
		}
		if s.cfg.DenyStrangers && req.RecvID != from {
			ok, err := s.store.AreFriends(ctx, from, req.RecvID)
			if err != nil {
				return store.NewMessage{}, err
			}
			if !ok {
				return store.NewMessage{}, protocol.Errorf(protocol.CodePermissionDenied, "you can only message friends")
			}
		}
	} else if !protocol.ValidID(req.GroupID) {
		return store.NewMessage{}, protocol.Errorf(protocol.CodeInvalidArgument, "invalid groupID")
	} else if err := s.checkGroupMute(ctx, req.GroupID, from); err != nil {
		return store.NewMessage{}, err
	}
	return store.NewMessage{
		ClientMsgID: req.ClientMsgID,
		ServerMsgID: serverMsgID(s.nowMs()),
		SendID:      from,
		RecvID:      req.RecvID,
		GroupID:     req.GroupID,
		ContentType: req.ContentType,
		Content:     content,
		SendTime:    s.nowMs(),
		CreateTime:  req.CreateTime,
	}, nil
}

// base32Hex is base32's "extended hex" alphabet in lower case, whose
// encodings sort as their bytes do.
const base32Hex = "0123456789abcdefghijklmnopqrstuv"

var sortableBase32 = base32.NewEncoding(base32Hex).WithPadding(base32.NoPadding)

// serverMsgID returns a new message ID: "s", the send time in ms (9
// sortable base32 digits, enough until the year 3084) and 80 random bits.
// IDs made later sort later, so the store's unique index on them grows at
// its end: a commit of many messages then dirties (and writes to the WAL)
// a few index pages rather than one random page per message.
func serverMsgID(nowMs int64) string {
	var b [1 + 9 + 16]byte
	b[0] = 's'
	t := uint64(nowMs)
	for i := 9; i >= 1; i-- {
		b[i] = base32Hex[t&31]
		t >>= 5
	}
	var r [10]byte
	rand.Read(r[:]) // never fails (crypto/rand panics on broken systems)
	sortableBase32.Encode(b[10:], r[:])
	return string(b[:])
}

// userExists returns nil if the user exists, else a CodeNotFound error.
// Users are never deleted, so one found once is not looked up again.
func (s *Server) userExists(ctx context.Context, userID string) error {
	if s.knownUsers.has(userID) {
		return nil
	}
	if _, err := s.store.User(ctx, userID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "user %q not found", userID)
		}
		return err
	}
	s.knownUsers.add(userID)
	return nil
}

// maxKnownUsers bounds knownUsers; past it the set starts over.
const maxKnownUsers = 1 << 20

// knownUsers is a set of user IDs found to exist. Only existence is
// cached (no profile, no version), and no store deletes users, so an entry
// never goes stale, on any node.
type knownUsers struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func (k *knownUsers) has(id string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.ids[id]
	return ok
}

func (k *knownUsers) add(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ids == nil || len(k.ids) >= maxKnownUsers {
		k.ids = make(map[string]struct{})
	}
	k.ids[id] = struct{}{}
}

// deliverable makes m's content one that every client can receive. Content
// is checked when it is sent (protocol.CheckContent), but a message stored
// before those rules held could otherwise fail every pull or sync answer
// that carries it, or close its receivers' connections: such a content is
// repaired or replaced by a placeholder of its type, and logged.
func (s *Server) deliverable(m *protocol.Message) {
	content, ok := protocol.DeliverableContent(m.ContentType, m.Content)
	if ok {
		return
	}
	s.log.Warn("stored content cannot be delivered as it is; sending it repaired or as a placeholder",
		"conversation", m.ConversationID, "seq", m.Seq, "serverMsgID", m.ServerMsgID, "contentType", m.ContentType, "bytes", len(m.Content))
	m.Content = content
}

// deliverableState applies deliverable to a conversation's latest message.
func (s *Server) deliverableState(st *protocol.ConversationState) {
	if st != nil && st.LatestMessage != nil {
		s.deliverable(st.LatestMessage)
	}
}

// access checks that the caller may read a conversation and returns the
// lowest seq they may see.
func (s *Server) access(ctx context.Context, userID, conversationID string) (minSeq int64, err error) {
	ra, err := s.readAccess(ctx, userID, conversationID)
	return ra.minSeq, err
}

// readAccessInfo is what a read of a conversation depends on.
type readAccessInfo struct {
	minSeq int64 // the lowest seq the caller may read
	// deleteVersion is not 0 when the caller deleted messages of it for
	// themselves: what they read is masked (maskDeleted).
	deleteVersion int64
	// removed: the caller left or was removed from the group (or it was
	// dismissed); they may read its messages up to maxSeq, their removal
	// (historyAccess), and nothing else of it.
	removed bool
	maxSeq  int64
}

// upTo bounds a range's toSeq (0: no bound) to what ra allows; ok is false
// when nothing of the range may be read.
func (ra readAccessInfo) upTo(fromSeq, toSeq int64) (int64, bool) {
	if !ra.removed {
		return toSeq, true
	}
	if toSeq == 0 || toSeq > ra.maxSeq {
		toSeq = ra.maxSeq
	}
	return toSeq, toSeq >= max(fromSeq, ra.minSeq) && toSeq > 0
}

// readAccess checks that the caller may read a conversation (see access).
func (s *Server) readAccess(ctx context.Context, userID, conversationID string) (readAccessInfo, error) {
	st, a, b, ok := protocol.ParseConversationID(conversationID)
	if !ok {
		return readAccessInfo{}, protocol.Errorf(protocol.CodeInvalidArgument, "malformed conversationID %q", conversationID)
	}
	if st == protocol.SessionSingle {
		if userID != a && userID != b {
			return readAccessInfo{}, protocol.Errorf(protocol.CodePermissionDenied, "not your conversation")
		}
		// A user who cleared the conversation reads from after the clear.
		cs, err := s.store.Conversation(ctx, userID, conversationID)
		if errors.Is(err, store.ErrNotFound) {
			return readAccessInfo{minSeq: 1}, nil
		}
		if err != nil {
			return readAccessInfo{}, err
		}
		return readAccessInfo{minSeq: max(cs.MinSeq, 1), deleteVersion: cs.DeleteVersion}, nil
	}
	// Non-members and missing groups get the same answer, so that group
	// IDs cannot be probed.
	denied := protocol.Errorf(protocol.CodePermissionDenied, "not a member of this group")
	if _, err := s.store.GroupMember(ctx, a, userID); err != nil {
		if errors.Is(err, store.ErrNotMember) {
			return readAccessInfo{}, denied
		}
		return readAccessInfo{}, err
	}
	cs, err := s.store.Conversation(ctx, userID, conversationID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return readAccessInfo{}, denied
		}
		return readAccessInfo{}, err
	}
	return readAccessInfo{minSeq: max(cs.MinSeq, 1), deleteVersion: cs.DeleteVersion}, nil
}

// historyAccess is readAccess for reading a conversation's messages by
// seq, which a group's former member may still do up to the seq of their
// removal (its notification included): a device of theirs that was away
// then completes its timeline up to what happened. The answer to anyone
// else who is not a member is readAccess's.
func (s *Server) historyAccess(ctx context.Context, userID, conversationID string) (readAccessInfo, error) {
	ra, err := s.readAccess(ctx, userID, conversationID)
	if protocol.CodeOf(err) != protocol.CodePermissionDenied {
		return ra, err
	}
	if typ, _, _, _ := protocol.ParseConversationID(conversationID); typ != protocol.SessionGroup {
		return ra, err
	}
	cs, cerr := s.store.Conversation(ctx, userID, conversationID)
	if cerr != nil && !errors.Is(cerr, store.ErrNotFound) {
		return readAccessInfo{}, cerr
	}
	if cerr != nil || !cs.Removed {
		return ra, err
	}
	// A removed member's state reports MaxSeq as of their removal.
	return readAccessInfo{minSeq: max(cs.MinSeq, 1), deleteVersion: cs.DeleteVersion, removed: true, maxSeq: cs.MaxSeq}, nil
}

func (s *Server) pull(ctx context.Context, c caller, req *protocol.PullReq) (*protocol.PullResp, error) {
	if len(req.Ranges) > protocol.MaxPullRanges {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "at most %d ranges per pull", protocol.MaxPullRanges)
	}
	resp := &protocol.PullResp{Messages: []protocol.Message{}}
	budget := maxPullBytes
	for _, rg := range req.Ranges {
		if rg.FromSeq < 0 || rg.ToSeq < 0 || rg.Limit < 0 {
			return nil, protocol.Errorf(protocol.CodeInvalidArgument, "negative seq or limit")
		}
		ra, err := s.historyAccess(ctx, c.UserID, rg.ConversationID)
		if err != nil {
			return nil, err
		}
		minSeq := ra.minSeq
		limit := rg.Limit
		if limit == 0 {
			limit = defaultPullLimit
		}
		limit = min(limit, s.cfg.MaxPullPage)
		toSeq, ok := ra.upTo(rg.FromSeq, rg.ToSeq)
		if budget <= 0 || !ok {
			continue
		}
		msgs, err := s.store.Messages(ctx, rg.ConversationID, max(rg.FromSeq, minSeq), toSeq, limit, rg.Latest)
		if err != nil {
			return nil, err
		}
		for i := range msgs {
			s.deliverable(&msgs[i])
		}
		if err := s.maskDeleted(ctx, c.UserID, ra.deleteVersion, msgs); err != nil {
			return nil, err
		}
		// Keep within the byte budget: the lowest seqs for a forward
		// range, the highest for a latest one, so that the client can
		// continue from where this stopped.
		n := 0
		used := 0
		if rg.Latest {
			for i := len(msgs) - 1; i >= 0 && used+len(msgs[i].Content) <= budget; i-- {
				used += len(msgs[i].Content)
				n++
			}
			msgs = msgs[len(msgs)-n:]
		} else {
			for i := 0; i < len(msgs) && used+len(msgs[i].Content) <= budget; i++ {
				used += len(msgs[i].Content)
				n++
			}
			msgs = msgs[:n]
		}
		budget -= used
		resp.Messages = append(resp.Messages, msgs...)
	}
	return resp, nil
}

func (s *Server) sync(ctx context.Context, c caller, req *protocol.SyncReq) (*protocol.SyncResp, error) {
	if req.Cursor < 0 || req.Limit < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "negative cursor or limit")
	}
	limit := req.Limit
	if limit == 0 {
		limit = protocol.DefaultSyncLimit
	}
	limit = min(limit, s.cfg.MaxSyncPage)
	cursor := req.Cursor
	if cursor > 0 {
		// A cursor from the future means the server's data was reset or
		// restored from a backup: start over rather than report nothing
		// until the counter catches up.
		u, err := s.store.User(ctx, c.UserID)
		if err != nil {
			return nil, err
		}
		// (A store that does not report versions reports 0: no reset.)
		if u.ChangeVersion > 0 && cursor > u.ChangeVersion {
			cursor = 0
		}
	}
	convs, err := s.store.ChangedConversations(ctx, c.UserID, cursor, limit+1)
	if err != nil {
		return nil, err
	}
	resp := &protocol.SyncResp{Conversations: []protocol.ConversationState{}, Cursor: cursor}
	if len(convs) > limit {
		convs, resp.HasMore = convs[:limit], true
	}
	for i := range convs {
		s.deliverableState(&convs[i])
		if err := s.maskDeletedState(ctx, c.UserID, &convs[i]); err != nil {
			return nil, err
		}
		if err := s.markDismissed(ctx, &convs[i]); err != nil {
			return nil, err
		}
	}
	if len(convs) > 0 {
		resp.Conversations = convs
		resp.Cursor = convs[len(convs)-1].Version
	}
	return resp, nil
}

// updateConversation applies a change for the caller and pushes the new
// state to their other connections.
func (s *Server) updateConversation(ctx context.Context, c caller, convID string, ch store.ConversationChange) (*protocol.ConversationState, error) {
	st, _, err := s.changeConversation(ctx, c, convID, ch)
	return st, err
}

// changeConversation is updateConversation, also saying whether anything
// changed.
func (s *Server) changeConversation(ctx context.Context, c caller, convID string, ch store.ConversationChange) (*protocol.ConversationState, bool, error) {
	typ, a, b, ok := protocol.ParseConversationID(convID)
	if !ok {
		return nil, false, protocol.Errorf(protocol.CodeInvalidArgument, "malformed conversationID %q", convID)
	}
	if typ == protocol.SessionSingle {
		if c.UserID != a && c.UserID != b {
			return nil, false, protocol.Errorf(protocol.CodePermissionDenied, "not your conversation")
		}
		peer := a
		if c.UserID == a {
			peer = b
		}
		if _, err := s.store.User(ctx, peer); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = protocol.Errorf(protocol.CodeNotFound, "user %q not found", peer)
			}
			return nil, false, err
		}
	}
	if typ == protocol.SessionGroup {
		// Checked here too, not only by the store, so that a removed member
		// never gets the state (and its latest message) back.
		if _, err := s.groupMember(ctx, a, c.UserID); err != nil {
			return nil, false, err
		}
	}
	st, changed, err := s.store.UpdateConversation(ctx, c.UserID, convID, ch, s.nowMs())
	if err != nil {
		if errors.Is(err, store.ErrNotMember) {
			err = protocol.Errorf(protocol.CodePermissionDenied, "not a member of this group")
		}
		return nil, false, err
	}
	s.deliverableState(st)
	if err := s.maskDeletedState(ctx, c.UserID, st); err != nil {
		return nil, false, err
	}
	if changed {
		s.pushTo(ctx, protocol.PushConversation, st, c.ConnID, c.UserID)
	}
	return st, changed, nil
}

func (s *Server) markRead(ctx context.Context, c caller, req *protocol.MarkReadReq) (*protocol.ConversationState, error) {
	if req.ReadSeq < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "negative readSeq")
	}
	before := int64(-1)
	if cur, err := s.store.Conversation(ctx, c.UserID, req.ConversationID); err == nil {
		before = cur.ReadSeq
	}
	st, changed, err := s.changeConversation(ctx, c, req.ConversationID, store.ConversationChange{ReadSeq: &req.ReadSeq})
	if err != nil || !changed || st.ReadSeq == before {
		return st, err
	}
	s.pushPeerRead(ctx, c, st)
	if st.SessionType == protocol.SessionGroup {
		s.pushGroupRead(ctx, c, st.ConversationID, max(before, 0), st.ReadSeq)
	}
	return st, nil
}

// pushPeerRead tells the other user of a one-to-one conversation, on every
// connection, that the caller read further: their state with the new
// PeerReadSeq (read receipts).
func (s *Server) pushPeerRead(ctx context.Context, c caller, st *protocol.ConversationState) {
	if st.SessionType != protocol.SessionSingle || st.PeerUserID == "" || st.PeerUserID == c.UserID {
		return
	}
	peer, err := s.store.Conversation(ctx, st.PeerUserID, st.ConversationID)
	if err != nil {
		s.log.Warn("read receipt: reading the peer's state", "conversation", st.ConversationID, "err", err)
		return
	}
	s.deliverableState(peer)
	if err := s.maskDeletedState(ctx, st.PeerUserID, peer); err != nil {
		s.log.Warn("read receipt: masking the peer's state", "conversation", st.ConversationID, "err", err)
		return
	}
	s.pushTo(ctx, protocol.PushConversation, peer, "", st.PeerUserID)
}

func (s *Server) setPinned(ctx context.Context, c caller, req *protocol.SetPinnedReq) (*protocol.ConversationState, error) {
	return s.updateConversation(ctx, c, req.ConversationID, store.ConversationChange{IsPinned: &req.IsPinned})
}

func (s *Server) setDraft(ctx context.Context, c caller, req *protocol.SetDraftReq) (*protocol.ConversationState, error) {
	if len(req.DraftText) > maxDraftLen || !utf8.ValidString(req.DraftText) {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "draft must be valid UTF-8 of at most %d bytes", maxDraftLen)
	}
	return s.updateConversation(ctx, c, req.ConversationID, store.ConversationChange{DraftText: &req.DraftText})
}

// markDismissed sets GroupDismissed on a removed member's state of a group
// that was dismissed. Removed states are few in a sync page (one per group
// left), so the lookup costs what changed.
func (s *Server) markDismissed(ctx context.Context, st *protocol.ConversationState) error {
	if !st.Removed || st.GroupID == "" {
		return nil
	}
	g, err := s.store.Group(ctx, st.GroupID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	st.GroupDismissed = g.Dismissed
	return nil
}
