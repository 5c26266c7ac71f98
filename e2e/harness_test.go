package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
	"parley/server"
	"parley/server/store/sqlite"
)

const adminSecret = "s"

// waitTimeout bounds every wait: it catches hangs, not slowness, so it is
// generous for -race on a loaded 2-core machine.
const waitTimeout = 90 * time.Second

type env struct {
	t *testing.T
	// dir holds the SQLite database; it outlives stop, so that restart
	// serves the same data.
	dir  string
	srv  *server.Server
	st   *sqlite.Store
	http *httptest.Server
	url  string
}

// newEnv starts a parleyd in-process on a loopback port.
func newEnv(t *testing.T, mod func(*server.Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	e.start(mod)
	e.http = httptest.NewServer(e.srv.Handler())
	e.url = e.http.URL
	t.Cleanup(e.stop)
	return e
}

// start opens the store in e.dir and a server on it, with the settings
// every e2e test shares and then mod's.
func (e *env) start(mod func(*server.Config)) {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(e.dir, "parley.db"))
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	cfg := server.Config{Store: st, AdminSecret: adminSecret, RateLimit: 100000, RateBurst: 100000, BcryptCost: 4}
	if os.Getenv("PARLEY_E2E_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		st.Close()
		e.t.Fatalf("server.New: %v", err)
	}
	e.srv, e.st = srv, st
}

// stop shuts the server down, closes its listener and its store; safe to
// repeat.
func (e *env) stop() {
	if e.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		e.t.Logf("server shutdown: %v", err)
	}
	e.http.CloseClientConnections()
	e.http.Close()
	if err := e.st.Close(); err != nil {
		e.t.Errorf("close store: %v", err)
	}
	e.srv, e.st, e.http = nil, nil, nil
}

// restart starts a new server on the data and the address of the stopped
// one.
func (e *env) restart(mod func(*server.Config)) {
	e.t.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		e.t.Fatalf("listen again on %s: %v", e.url, err)
	}
	e.start(mod)
	hs := httptest.NewUnstartedServer(e.srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	e.http = hs
}

// post sends a JSON request and decodes the answer into out.
func (e *env) post(path, bearer string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, e.url+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb protocol.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, eb.Error.Error())
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// user creates a user and returns a token for platform.
func (e *env) user(id string) {
	e.t.Helper()
	if err := e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: id, Nickname: "Nick " + id}, nil); err != nil {
		e.t.Fatalf("create user %s: %v", id, err)
	}
}

func (e *env) token(id, platform string) string {
	e.t.Helper()
	var tr protocol.TokenResp
	if err := e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: id, Platform: platform}, &tr); err != nil {
		e.t.Fatalf("token for %s: %v", id, err)
	}
	return tr.Token
}

// dialer counts dials and lets a test cut live connections.
type dialer struct {
	inner core.Dialer
	dials atomic.Int64
	// down makes every dial fail, as if the server were away.
	down atomic.Bool

	mu    sync.Mutex
	conns []*cutConn
	// onWrite, when set, sees every frame written and may cut the
	// connection before (return true, false) or after (false, true) it.
	onWrite func(p []byte) (cutBefore, cutAfter bool)
	// beforeDial, when set, runs before each dial, with its URL already
	// chosen: a test can hold a connection being opened.
	beforeDial func()
}

func (d *dialer) Dial(ctx context.Context, url string) (core.Conn, error) {
	d.dials.Add(1)
	d.mu.Lock()
	hold := d.beforeDial
	d.mu.Unlock()
	if hold != nil {
		hold()
	}
	if d.down.Load() {
		return nil, errors.New("server away (test)")
	}
	c, err := d.inner.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	cc := &cutConn{Conn: c, d: d}
	d.mu.Lock()
	d.conns = append(d.conns, cc)
	d.mu.Unlock()
	return cc, nil
}

// cut closes every live connection.
func (d *dialer) cut() {
	d.mu.Lock()
	conns := d.conns
	d.conns = nil
	d.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

type cutConn struct {
	core.Conn
	d *dialer
}

func (c *cutConn) Write(ctx context.Context, p []byte) error {
	c.d.mu.Lock()
	hook := c.d.onWrite
	c.d.mu.Unlock()
	var before, after bool
	if hook != nil {
		before, after = hook(p)
	}
	if before {
		c.Close()
		return errors.New("cut before write")
	}
	err := c.Conn.Write(ctx, p)
	if after {
		c.Close()
	}
	return err
}

// device is one client of one user with an event recorder.
type device struct {
	t      *testing.T
	e      *env
	userID string
	c      *core.Client
	store  *mem.Store
	dial   *dialer

	mu      sync.Mutex
	changed chan struct{}
	events  []core.Event
	newMsgs []core.Message
	states  []core.ConnState
	total   int64
}

type deviceOpt struct {
	store    *mem.Store // reuse this store's data
	token    string     // default: a fresh web token
	platform string
	cfg      func(*core.Config)
	down     bool // start with the server unreachable
	noWait   bool // do not wait for the first catch-up
}

// login builds a Client for userID and logs it in.
func (e *env) device(userID string, o deviceOpt) *device {
	e.t.Helper()
	if o.platform == "" {
		o.platform = protocol.PlatformWeb
	}
	if o.token == "" {
		o.token = e.token(userID, o.platform)
	}
	st := o.store
	if st == nil {
		st = mem.New()
	}
	d := &device{t: e.t, e: e, userID: userID, store: st, changed: make(chan struct{}), total: -1}
	d.dial = &dialer{inner: core.NativeDialer{}}
	d.dial.down.Store(o.down)
	cfg := core.Config{
		ServerURL: e.url,
		OpenStore: func(ctx context.Context, id string) (core.Store, error) {
			if id != userID {
				return nil, errors.New("unexpected user")
			}
			return st.Reopen(), nil
		},
		Dialer:            d.dial,
		ReconnectMinDelay: 10 * time.Millisecond,
		ReconnectMaxDelay: 100 * time.Millisecond,
		HeartbeatInterval: 5 * time.Second,
	}
	if os.Getenv("PARLEY_E2E_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("device", userID+"/"+o.platform)
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	c, err := core.New(cfg)
	if err != nil {
		e.t.Fatalf("core.New: %v", err)
	}
	d.c = c
	c.On(d.record)
	if err := c.Login(context.Background(), userID, o.token); err != nil {
		e.t.Fatalf("Login %s: %v", userID, err)
	}
	e.t.Cleanup(func() { d.logout() })
	if !o.down && !o.noWait {
		d.waitSynced()
	}
	return d
}

func (d *device) logout() {
	if d.c.LoginUserID() == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.c.Logout(ctx); err != nil {
		d.t.Errorf("Logout %s: %v", d.userID, err)
	}
}

func (d *device) record(ev core.Event) {
	d.mu.Lock()
	d.events = append(d.events, ev)
	switch ev := ev.(type) {
	case core.NewMessages:
		d.newMsgs = append(d.newMsgs, ev.Messages...)
	case core.ConnectionStateChanged:
		d.states = append(d.states, ev.State)
	case core.TotalUnreadCountChanged:
		d.total = ev.Count
	}
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// waitFor waits until cond (called under the recorder's lock) holds.
func (d *device) waitFor(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		d.mu.Lock()
		ok := cond()
		ch := d.changed
		d.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			d.t.Fatalf("%s: timed out waiting for %s", d.userID, what)
		}
	}
}

// waitSynced waits for the end of the first catch-up.
func (d *device) waitSynced() {
	d.t.Helper()
	d.waitFor("catch-up finished", func() bool {
		for _, ev := range d.events {
			if sp, ok := ev.(core.SyncProgressed); ok && sp.Phase == core.SyncFinish && sp.Err == "" {
				return true
			}
		}
		return false
	})
}

// waitOutboxEmpty polls the device's store until its outbox is empty: the
// last removal need not be followed by an event to wake a waiter.
func (d *device) waitOutboxEmpty() {
	d.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for d.outboxLen() != 0 {
		if time.Now().After(deadline) {
			d.t.Fatalf("%s: outbox still holds %d entries", d.userID, d.outboxLen())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitState waits until the client has reported st (at any time since
// login: states can move on before the waiter looks).
func (d *device) waitState(st core.ConnState) {
	d.t.Helper()
	d.waitFor("state "+string(st), func() bool {
		for _, s := range d.states {
			if s == st {
				return true
			}
		}
		return false
	})
}

// waitNew waits until n new messages were announced in total.
func (d *device) waitNew(n int) {
	d.t.Helper()
	d.waitFor(fmt.Sprintf("%d new messages", n), func() bool { return len(d.newMsgs) >= n })
}

func (d *device) newMessages() []core.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]core.Message(nil), d.newMsgs...)
}

func (d *device) send(to, group, text string) core.Message {
	d.t.Helper()
	m, err := d.c.CreateTextMessage(text)
	if err != nil {
		d.t.Fatalf("CreateTextMessage: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	sent, err := d.c.SendMessage(ctx, m, to, group)
	if err != nil {
		d.t.Fatalf("%s SendMessage: %v", d.userID, err)
	}
	if sent.Status != core.StatusSent || sent.Seq == 0 || sent.ServerMsgID == "" || sent.SendTime == 0 || sent.ClientMsgID != m.ClientMsgID {
		d.t.Fatalf("sent message = %+v", sent)
	}
	return sent
}

// history reads a conversation's whole history through HistoryMessages.
func (d *device) history(conv string) []core.Message {
	d.t.Helper()
	var all []core.Message
	before := int64(0)
	for i := 0; i < 1000; i++ {
		h, err := d.c.HistoryMessages(context.Background(), conv, before, 100)
		if err != nil {
			d.t.Fatalf("HistoryMessages(%s, %d): %v", conv, before, err)
		}
		all = append(h.Messages, all...)
		if h.IsEnd || len(h.Messages) == 0 {
			return all
		}
		before = h.Messages[0].Seq
	}
	d.t.Fatalf("history of %s does not end", conv)
	return nil
}

// checkDense fails unless ms have seqs 1..n in order and texts want.
func checkTexts(t *testing.T, who string, ms []core.Message, want []string) {
	t.Helper()
	if len(ms) != len(want) {
		t.Fatalf("%s: %d messages, want %d", who, len(ms), len(want))
	}
	for i, m := range ms {
		if m.Text != want[i] {
			t.Fatalf("%s: message %d is %q, want %q", who, i, m.Text, want[i])
		}
	}
}

func checkDense(t *testing.T, who string, ms []core.Message) {
	t.Helper()
	for i, m := range ms {
		if m.Seq != int64(i+1) {
			t.Fatalf("%s: message %d has seq %d (want dense from 1)", who, i, m.Seq)
		}
		if m.Status != core.StatusSent {
			t.Fatalf("%s: message %d has status %s", who, i, m.Status)
		}
	}
}

func conversation(t *testing.T, d *device, id string) core.Conversation {
	t.Helper()
	cv, err := d.c.Conversation(context.Background(), id)
	if err != nil {
		t.Fatalf("%s: Conversation(%s): %v", d.userID, id, err)
	}
	return cv
}

func sortedIDs(us []core.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.UserID)
	}
	sort.Strings(out)
	return out
}

// enqueue hands a message to SendMessage in the background and returns
// once it is stored in the outbox; the ack is not awaited.
func (d *device) enqueue(to, group, text string) core.Message {
	d.t.Helper()
	m, err := d.c.CreateTextMessage(text)
	if err != nil {
		d.t.Fatalf("CreateTextMessage: %v", err)
	}
	go d.c.SendMessage(context.Background(), m, to, group) //nolint:errcheck // checked through the store
	st := d.store.Reopen()
	deadline := time.Now().Add(waitTimeout)
	for {
		ms, err := st.Messages(context.Background(), []string{m.ClientMsgID})
		if err != nil {
			d.t.Fatalf("Messages: %v", err)
		}
		if len(ms) == 1 {
			return m
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("message %q never stored", text)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkOnce fails if any message was announced twice or out of seq order
// within its conversation.
func checkOnce(t *testing.T, who string, ms []core.Message) {
	t.Helper()
	seen := map[string]bool{}
	last := map[string]int64{}
	for _, m := range ms {
		if seen[m.ClientMsgID] {
			t.Fatalf("%s: message %s (seq %d) announced twice", who, m.ClientMsgID, m.Seq)
		}
		seen[m.ClientMsgID] = true
		if m.Seq <= last[m.ConversationID] {
			t.Fatalf("%s: announced out of order in %s: %d after %d", who, m.ConversationID, m.Seq, last[m.ConversationID])
		}
		last[m.ConversationID] = m.Seq
	}
}

// outboxEmpty fails unless the device's store has an empty outbox.
func (d *device) outboxLen() int {
	d.t.Helper()
	es, err := d.store.Reopen().Outbox(context.Background())
	if err != nil {
		d.t.Fatalf("Outbox: %v", err)
	}
	return len(es)
}

func (d *device) statesCopy() []core.ConnState {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]core.ConnState(nil), d.states...)
}
