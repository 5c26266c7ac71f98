package core

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"parley/protocol"
)

// Client is the SDK: one Client serves one logged-in user at a time. All
// methods are safe for concurrent use.
type Client struct {
	cfg    Config
	wsBase string
	events *emitter

	mu   sync.Mutex
	sess *session
}

// New checks cfg and returns a Client that is not logged in.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if cfg.Dialer == nil {
		return nil, errInvalid("core: Config.Dialer is required in this build")
	}
	if cfg.OpenStore == nil {
		return nil, errInvalid("core: Config.OpenStore is required")
	}
	base, err := wsBaseURL(cfg.ServerURL)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, wsBase: base, events: newEmitter(cfg.Logger)}, nil
}

// wsBaseURL turns the server URL into the WebSocket endpoint's URL. It
// parses by hand: net/url would add net/netip and more to the wasm.
func wsBaseURL(server string) (string, error) {
	scheme, rest, ok := strings.Cut(server, "://")
	if !ok {
		return "", errInvalid("core: ServerURL must be an absolute http(s) URL, got " + strconvQuote(server))
	}
	switch strings.ToLower(scheme) {
	case "http", "ws":
		scheme = "ws"
	case "https", "wss":
		scheme = "wss"
	default:
		return "", errInvalid("core: ServerURL scheme must be http or https, got " + strconvQuote(scheme))
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	host, path, _ := strings.Cut(rest, "/")
	if host == "" || strings.ContainsAny(host, " \t\n@") || strings.ContainsAny(path, " \t\n") {
		return "", errInvalid("core: ServerURL has no valid host: " + strconvQuote(server))
	}
	path = strings.TrimRight(path, "/")
	if path != "" {
		path = "/" + path
	}
	return scheme + "://" + host + path + protocol.WSPath, nil
}

// queryEscape percent-encodes s for a query value.
func queryEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func strconvQuote(s string) string { return "\"" + s + "\"" }

// On registers a handler for every event and returns the function that
// removes it. Handlers run one at a time, in emission order, never under the
// Client's locks; a panicking handler is logged and skipped.
func (c *Client) On(fn func(Event)) (remove func()) {
	return c.events.on(fn)
}

// session returns the logged-in session or a not_logged_in error.
func (c *Client) session() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return nil, errNotLoggedIn()
	}
	return c.sess, nil
}

// Login opens userID's local store and starts connecting with token. It
// returns once local data is readable and does not wait for the network:
// with the server away the client keeps reconnecting in the background.
func (c *Client) Login(ctx context.Context, userID, token string) error {
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	if token == "" {
		return errInvalid("token is required")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		return errInvalid("already logged in as " + c.sess.userID + "; log out first")
	}
	store, err := c.cfg.OpenStore(ctx, userID)
	if err != nil {
		return withCode(err)
	}
	s, err := c.startSession(ctx, userID, token, store)
	if err != nil {
		store.Close()
		return withCode(err)
	}
	c.sess = s
	return nil
}

func (c *Client) startSession(ctx context.Context, userID, token string, store Store) (*session, error) {
	entries, err := store.Outbox(ctx)
	if err != nil {
		return nil, err
	}
	convs, err := store.Conversations(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{
		c:       c,
		cfg:     &c.cfg,
		userID:  userID,
		url:     c.wsBase + "?" + protocol.WSTokenParam + "=" + queryEscape(token),
		store:   store,
		changed: make(chan struct{}),
		state:   ConnDisconnected,
		unread:  make(map[string]int64, len(convs)),
	}
	for _, cv := range convs {
		s.unread[cv.ConversationID] = cv.UnreadCount
	}
	s.total = totalUnread(s.unread)
	s.outbox.init(s, entries)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(2)
	go s.run()
	go s.outbox.run()
	return s, nil
}

// Logout disconnects, closes the local store and forgets the user. Messages
// still in the outbox stay stored and go out at the next Login of the user
// on the same store.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	s := c.sess
	c.sess = nil
	c.mu.Unlock()
	if s == nil {
		return errNotLoggedIn()
	}
	wasDisconnected := s.connState() == ConnDisconnected
	s.mu.Lock()
	s.cancel() // under mu: goBackground adds to wg only before this
	if s.wire != nil {
		s.wire.close(errors.New("logout"))
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return withCode(ctx.Err())
	}
	if !wasDisconnected {
		c.events.emit(ConnectionStateChanged{State: ConnDisconnected})
	}
	if err := s.store.Close(); err != nil && !errors.Is(err, ErrStoreClosed) {
		return withCode(err)
	}
	return nil
}

// LoginUserID returns the logged-in user's ID, or "".
func (c *Client) LoginUserID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.userID
}

// ConnectionState returns the current connection state.
func (c *Client) ConnectionState() ConnState {
	s, err := c.session()
	if err != nil {
		return ConnDisconnected
	}
	return s.connState()
}

// WaitEvents blocks until every event emitted so far reached the handlers.
// Tests use it; apps need not.
func (c *Client) WaitEvents() { c.events.wait() }

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
			if err := s.store.Apply(ctx, &Changes{Users: []User{cu}}); err != nil {
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
			if err := s.store.Apply(ctx, &Changes{Users: out}); err != nil {
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
	if err := s.store.Apply(ctx, &Changes{Users: []User{cu}}); err != nil {
		return User{}, withCode(err)
	}
	c.events.emit(SelfInfoUpdated{User: cu})
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

// newClientMsgID returns a random 128-bit ID. math/rand/v2's generator is
// seeded from the system's randomness; an idempotency key needs no more,
// and crypto/rand would add its whole FIPS module to the wasm.
func newClientMsgID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// CreateTextMessage returns a local text message, status created, with a
// fresh ClientMsgID. Nothing is stored until SendMessage.
func (c *Client) CreateTextMessage(text string) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	if text == "" {
		return Message{}, errInvalid("text is empty")
	}
	return Message{
		ClientMsgID: newClientMsgID(),
		SendID:      s.userID,
		ContentType: protocol.ContentText,
		Text:        text,
		CreateTime:  s.now(),
		Status:      StatusCreated,
	}, nil
}

// SendMessage sends msg to exactly one of recvID (a user) or groupID. The
// message is stored as sending before it goes on the wire; the call returns
// the message as stored once the server acknowledged it (status sent). While
// disconnected it waits for the connection; the message fails only when the
// server refuses it or no ack came within Config.SendTimeout. If ctx ends
// first the call returns, and the message stays in the outbox. A failed
// message may be sent again with the same ClientMsgID.
func (c *Client) SendMessage(ctx context.Context, msg Message, recvID, groupID string) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	if (recvID == "") == (groupID == "") {
		return Message{}, errInvalid("exactly one of recvID and groupID is required")
	}
	if msg.ClientMsgID == "" || len(msg.ClientMsgID) > protocol.MaxClientMsgIDLen {
		return Message{}, errInvalid("clientMsgID is missing or too long")
	}
	if msg.ContentType == "" {
		msg.ContentType = protocol.ContentText
	}
	if msg.ContentType == protocol.ContentText && msg.Text == "" {
		return Message{}, errInvalid("text is empty")
	}
	m := msg
	m.SendID = s.userID
	m.Seq, m.ServerMsgID, m.SendTime, m.ErrorCode = 0, "", 0, ""
	m.Status = StatusSending
	if recvID != "" {
		if !protocol.ValidID(recvID) {
			return Message{}, errInvalid("invalid recvID")
		}
		m.RecvID, m.GroupID = recvID, ""
		m.SessionType = protocol.SessionSingle
		m.ConversationID = protocol.SingleConversationID(s.userID, recvID)
	} else {
		if !protocol.ValidID(groupID) {
			return Message{}, errInvalid("invalid groupID")
		}
		m.RecvID, m.GroupID = "", groupID
		m.SessionType = protocol.SessionGroup
		m.ConversationID = protocol.GroupConversationID(groupID)
	}
	if m.CreateTime == 0 {
		m.CreateTime = s.now()
	}

	if err := ctx.Err(); err != nil {
		return Message{}, withCode(err)
	}
	// Once started, storing is not cut short by ctx: ctx only bounds the wait.
	sctx := context.WithoutCancel(ctx)
	var wait chan sendResult
	s.applyMu.Lock()
	existing, err := s.store.Messages(sctx, []string{m.ClientMsgID})
	if err != nil {
		s.applyMu.Unlock()
		return Message{}, withCode(err)
	}
	if len(existing) == 1 {
		switch old := existing[0]; {
		case old.Status == StatusSent:
			s.applyMu.Unlock()
			return old, nil
		case old.Status == StatusSending && s.outbox.has(old.ClientMsgID):
			wait = s.outbox.wait(old.ClientMsgID)
		}
	}
	if wait == nil {
		entry, ch := s.outbox.add(m, recvID, groupID, c.cfg.Now())
		if err := s.store.Apply(sctx, &Changes{Messages: []Message{m}, Outbox: []OutboxEntry{entry}}); err != nil {
			s.outbox.cancel(m.ClientMsgID)
			s.applyMu.Unlock()
			return Message{}, withCode(err)
		}
		wait = ch
	}
	s.applyMu.Unlock()
	s.outbox.wake()

	select {
	case r := <-wait:
		return r.msg, r.err
	case <-ctx.Done():
		return Message{}, withCode(ctx.Err())
	case <-s.ctx.Done():
		return Message{}, errNotLoggedIn()
	}
}

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
	convs, err := s.store.Conversations(ctx)
	if err != nil {
		return nil, withCode(err)
	}
	sortConversations(convs)
	if offset >= len(convs) {
		return []Conversation{}, nil
	}
	convs = convs[offset:]
	if count > 0 && count < len(convs) {
		convs = convs[:count]
	}
	return s.decorate(ctx, convs), nil
}

// activity is what "newest activity first" sorts by: the latest message's
// time, so that reading, pinning or a draft does not reorder the list.
func activity(c *Conversation) int64 {
	if c.LatestMessage != nil && c.LatestMessage.SendTime > 0 {
		return c.LatestMessage.SendTime
	}
	return c.UpdatedAt
}

func sortConversations(cs []Conversation) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := &cs[i], &cs[j]
		if a.IsPinned != b.IsPinned {
			return a.IsPinned
		}
		if x, y := activity(a), activity(b); x != y {
			return x > y
		}
		return a.ConversationID < b.ConversationID
	})
}

// Conversation returns one conversation from local data.
func (c *Client) Conversation(ctx context.Context, conversationID string) (Conversation, error) {
	s, err := c.session()
	if err != nil {
		return Conversation{}, err
	}
	cv, err := s.store.Conversation(ctx, conversationID)
	if err != nil {
		return Conversation{}, withCode(err)
	}
	return s.decorate(ctx, []Conversation{cv})[0], nil
}

// HistoryMessages returns up to count messages of a conversation with seq
// below beforeSeq (0: the latest), ascending and without gaps. It reads
// local data and pulls from the server what is missing; offline it returns
// the newest gap-free part it holds.
func (c *Client) HistoryMessages(ctx context.Context, conversationID string, beforeSeq int64, count int) (History, error) {
	s, err := c.session()
	if err != nil {
		return History{}, err
	}
	if _, _, _, ok := protocol.ParseConversationID(conversationID); !ok {
		return History{}, errInvalid("invalid conversationID")
	}
	if count <= 0 || beforeSeq < 0 {
		return History{}, errInvalid("count must be positive and beforeSeq not negative")
	}
	if count > protocol.MaxPullLimit {
		count = protocol.MaxPullLimit
	}
	cv, err := s.store.Conversation(ctx, conversationID)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return History{}, withCode(err)
	}
	minSeq := cv.MinSeq
	if minSeq < 1 {
		minSeq = 1
	}
	top := beforeSeq - 1
	if beforeSeq == 0 {
		top = max(cv.MaxSeq, cv.LocalMaxSeq)
	}
	if !known && beforeSeq == 0 {
		// Never seen here: ask the server for its latest page.
		if s.liveWire() == nil {
			return History{}, errNetwork(nil)
		}
		var resp protocol.PullResp
		req := protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conversationID, FromSeq: 1, Limit: count, Latest: true}}}
		if err := s.call(ctx, protocol.ReqPull, req, &resp); err != nil {
			return History{}, err
		}
		if len(resp.Messages) == 0 {
			return History{Messages: []Message{}, IsEnd: true}, nil
		}
		if _, err := s.applyFold(ctx, foldInput{Messages: resp.Messages, Quiet: true, Tails: map[string]int64{conversationID: resp.Messages[0].Seq}}); err != nil {
			return History{}, withCode(err)
		}
		out := make([]Message, len(resp.Messages))
		for i := range resp.Messages {
			out[i] = messageFromProto(&resp.Messages[i])
		}
		return History{Messages: contiguousTail(out), IsEnd: out[0].Seq <= 1}, nil
	}
	if top < minSeq {
		return History{Messages: []Message{}, IsEnd: true}, nil
	}
	from := max(top-int64(count)+1, minSeq)
	local, err := s.store.MessagesBySeq(ctx, conversationID, from, top)
	if err != nil {
		return History{}, withCode(err)
	}
	if int64(len(local)) == top-from+1 {
		return History{Messages: local, IsEnd: from == minSeq}, nil
	}
	if w := s.liveWire(); w != nil {
		pctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		msgs, err := s.pull(pctx, w, []protocol.SeqRange{{ConversationID: conversationID, FromSeq: from, ToSeq: top, Limit: int(top - from + 1)}})
		cancel()
		if err != nil && protocol.CodeOf(err) != protocol.CodeNetwork {
			return History{}, err
		}
		if err == nil && len(msgs) > 0 {
			if _, err := s.applyFold(ctx, foldInput{Messages: msgs, Quiet: true}); err != nil {
				return History{}, withCode(err)
			}
			if local, err = s.store.MessagesBySeq(ctx, conversationID, from, top); err != nil {
				return History{}, withCode(err)
			}
		}
		if err == nil && int64(len(local)) == top-from+1 {
			return History{Messages: local, IsEnd: from == minSeq}, nil
		}
	}
	out := contiguousTail(local)
	if beforeSeq > 0 && len(out) > 0 && out[len(out)-1].Seq != top {
		// The page must join the previous one at beforeSeq: without its
		// newest part there is nothing continuous to give.
		out = []Message{}
	}
	return History{Messages: out, IsEnd: false}, nil
}

// UnsentMessages returns the conversation's messages that have no seq yet:
// waiting in the outbox (sending) or given up on (failed), oldest first.
// Apps show them after the history, e.g. after a reload.
func (c *Client) UnsentMessages(ctx context.Context, conversationID string) ([]Message, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	ms, err := s.store.UnsentMessages(ctx, conversationID)
	if err != nil {
		return nil, withCode(err)
	}
	if ms == nil {
		ms = []Message{}
	}
	return ms, nil
}

// contiguousTail returns the longest gap-free run ending at the last message.
func contiguousTail(ms []Message) []Message {
	if len(ms) == 0 {
		return []Message{}
	}
	i := len(ms) - 1
	for i > 0 && ms[i-1].Seq == ms[i].Seq-1 {
		i--
	}
	return ms[i:]
}

// MarkConversationAsRead marks every message of the conversation read, here
// at once and on the user's other devices through the server. Offline the
// local change stands and reaches the server after reconnecting.
func (c *Client) MarkConversationAsRead(ctx context.Context, conversationID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	s.applyMu.Lock()
	cv, err := s.store.Conversation(ctx, conversationID)
	if err != nil {
		s.applyMu.Unlock()
		return withCode(err)
	}
	before := cv
	if cv.MaxSeq > cv.ReadSeq {
		cv.ReadSeq = cv.MaxSeq
	}
	cv.UnreadCount = cv.unread()
	if !sameConv(&before, &cv) {
		if err := s.store.Apply(ctx, &Changes{Conversations: []Conversation{cv}}); err != nil {
			s.applyMu.Unlock()
			return withCode(err)
		}
		totalChanged := s.noteUnread([]Conversation{cv})
		s.announce(ctx, foldResult{Changed: []Conversation{cv}}, totalChanged, s.total)
	}
	s.applyMu.Unlock()
	if s.liveWire() == nil {
		return nil
	}
	var st protocol.ConversationState
	err = s.call(ctx, protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conversationID, ReadSeq: cv.ReadSeq}, &st)
	if err != nil {
		if protocol.CodeOf(err) == protocol.CodeNetwork {
			return nil
		}
		return err
	}
	_, err = s.applyFold(ctx, foldInput{States: []protocol.ConversationState{st}})
	return withCode(err)
}

// SetConversationPinned pins or unpins a conversation on all the user's devices.
func (c *Client) SetConversationPinned(ctx context.Context, conversationID string, pinned bool) error {
	return c.conversationRequest(ctx, protocol.ReqSetPinned, protocol.SetPinnedReq{ConversationID: conversationID, IsPinned: pinned})
}

// SetConversationDraft stores a draft on all the user's devices.
func (c *Client) SetConversationDraft(ctx context.Context, conversationID, draft string) error {
	return c.conversationRequest(ctx, protocol.ReqSetDraft, protocol.SetDraftReq{ConversationID: conversationID, DraftText: draft})
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
	_, err = s.applyFold(ctx, foldInput{States: []protocol.ConversationState{st}})
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
	return s.total, nil
}

// AddFriend sends a friend request.
func (c *Client) AddFriend(ctx context.Context, userID, message string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	return s.call(ctx, protocol.ReqAddFriend, protocol.AddFriendReq{UserID: userID, Message: message}, nil)
}

// AcceptFriendRequest accepts userID's pending request.
func (c *Client) AcceptFriendRequest(ctx context.Context, userID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if !protocol.ValidID(userID) {
		return errInvalid("invalid userID")
	}
	if err := s.call(ctx, protocol.ReqAcceptFriend, protocol.UserIDReq{UserID: userID}, nil); err != nil {
		return err
	}
	var resp protocol.UsersResp
	if err := s.call(ctx, protocol.ReqGetUsers, protocol.GetUsersReq{UserIDs: []string{userID}}, &resp); err == nil && len(resp.Users) == 1 {
		u := userFromProto(resp.Users[0])
		if err := s.store.Apply(ctx, &Changes{Users: []User{u}, Friends: []User{u}}); err != nil {
			return withCode(err)
		}
	}
	return nil
}

// FriendList returns the friends: from the server when connected (and
// stored), else the stored list.
func (c *Client) FriendList(ctx context.Context) ([]User, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.liveWire() != nil {
		var resp protocol.UsersResp
		if err := s.call(ctx, protocol.ReqListFriends, nil, &resp); err == nil {
			s.applyMu.Lock()
			defer s.applyMu.Unlock()
			old, err := s.store.Friends(ctx)
			if err != nil {
				return nil, withCode(err)
			}
			ch := Changes{}
			keep := map[string]bool{}
			for _, u := range resp.Users {
				cu := userFromProto(u)
				keep[cu.UserID] = true
				ch.Friends = append(ch.Friends, cu)
				ch.Users = append(ch.Users, cu)
			}
			for _, u := range old {
				if !keep[u.UserID] {
					ch.RemovedFriends = append(ch.RemovedFriends, u.UserID)
				}
			}
			if err := s.store.Apply(ctx, &ch); err != nil {
				return nil, withCode(err)
			}
			sort.Slice(ch.Friends, func(i, j int) bool { return ch.Friends[i].UserID < ch.Friends[j].UserID })
			if ch.Friends == nil {
				ch.Friends = []User{}
			}
			return ch.Friends, nil
		} else if protocol.CodeOf(err) != protocol.CodeNetwork {
			return nil, err
		}
	}
	fs, err := s.store.Friends(ctx)
	return fs, withCode(err)
}

// FriendRequests lists friend requests to and from the user (server only).
func (c *Client) FriendRequests(ctx context.Context) ([]FriendRequest, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	var resp protocol.FriendRequestsResp
	if err := s.call(ctx, protocol.ReqListFriendRequests, nil, &resp); err != nil {
		return nil, err
	}
	if resp.Requests == nil {
		resp.Requests = []FriendRequest{}
	}
	return resp.Requests, nil
}

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
