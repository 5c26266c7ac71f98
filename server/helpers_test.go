package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"parley/protocol"
	"parley/server"
	"parley/server/files"
	"parley/server/natsbus"
	"parley/server/store/postgres"
	"parley/server/store/sqlite"
)

const (
	adminSecret = "test-admin-secret"
	// waitFor bounds every wait. Generous: under -race the pure-Go SQLite
	// is many times slower, and the machine is shared.
	waitFor = 30 * time.Second
)

// env is one parleyd behind a real HTTP server on 127.0.0.1:0.
type env struct {
	t    testing.TB
	cfg  server.Config
	opts envOpts
	// dataDir holds the SQLite database; it outlives a shutdown, so that
	// start reopens the same data.
	dataDir string
	srv     *server.Server
	hs      *httptest.Server
	// down is set once the test shut the server down itself.
	down atomic.Bool
}

func newEnv(t *testing.T, mods ...func(*server.Config)) *env {
	t.Helper()
	return newEnvOpts(t, envOpts{}, mods...)
}

// envOpts are test-side settings of an env: what its server runs on, and
// how its HTTP server treats connections.
type envOpts struct {
	// smallSendBuffers shrinks the kernel send buffer of every accepted
	// connection, so that a client that does not read blocks the server's
	// writes quickly.
	smallSendBuffers bool
	// storeURL, when set, is the PostgreSQL database to run on instead of
	// SQLite in a temporary folder.
	storeURL string
	// busURL, when set, is the NATS server (and ?subject=) to fan pushes
	// out through instead of the local bus.
	busURL string
}

// newEnvOpts is newEnv with test-side options.
func newEnvOpts(t testing.TB, opts envOpts, mods ...func(*server.Config)) *env {
	t.Helper()
	cfg := server.Config{
		AdminSecret: adminSecret,
		BcryptCost:  bcrypt.MinCost,
	}
	for _, m := range mods {
		m(&cfg)
	}
	e := &env{t: t, cfg: cfg, opts: opts, dataDir: t.TempDir()}
	e.start()
	t.Cleanup(func() {
		e.hs.Close()
		if !e.down.Load() {
			if err := e.stop(); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	})
	return e
}

// start (re)opens the store and the bus and starts a server on them, e.g.
// after shutdown on the same data.
func (e *env) start() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	cfg := e.cfg
	var err error
	if e.opts.storeURL != "" {
		cfg.Store, err = postgres.Open(ctx, e.opts.storeURL)
	} else {
		cfg.Store, err = sqlite.Open(ctx, filepath.Join(e.dataDir, "parley.db"))
	}
	require.NoError(e.t, err, "open store")
	if cfg.Media.Files == nil {
		cfg.Media.Files, err = files.OpenLocal(filepath.Join(e.dataDir, "files"))
		require.NoError(e.t, err, "open files")
	}
	if e.opts.busURL != "" {
		nb, err := natsbus.Connect(ctx, natsbus.Config{URL: e.opts.busURL})
		if err != nil {
			cfg.Store.Close()
		}
		require.NoError(e.t, err, "connect bus")
		cfg.Bus = nb
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		closeBackends(cfg)
	}
	require.NoError(e.t, err, "New")
	e.cfg.Store, e.cfg.Bus = cfg.Store, cfg.Bus
	e.srv = srv
	e.hs = httptest.NewUnstartedServer(srv.Handler())
	// As parleyd serves: its timeouts, its per-IP connection limit.
	srv.ConfigureHTTP(e.hs.Config)
	e.hs.Listener = srv.LimitListener(e.hs.Listener)
	if e.opts.smallSendBuffers {
		e.hs.Config.ConnState = func(c net.Conn, st http.ConnState) {
			if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
				c = nc.NetConn()
			}
			if tc, ok := c.(*net.TCPConn); ok && st == http.StateNew {
				tc.SetWriteBuffer(4096)
			}
		}
	}
	e.hs.Start()
	e.down.Store(false)
}

// closeBackends closes what start opened for cfg, as parleyd does after
// Shutdown: the bus, then the store.
func closeBackends(cfg server.Config) error {
	var err error
	if cfg.Bus != nil {
		err = cfg.Bus.Close()
	}
	return errors.Join(err, cfg.Store.Close())
}

// stop shuts the server down and closes its store and bus.
func (e *env) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	err := e.srv.Shutdown(ctx)
	err = errors.Join(err, closeBackends(e.cfg))
	e.cfg.Store, e.cfg.Bus = nil, nil
	return err
}

// shutdown stops the server and its HTTP listener.
func (e *env) shutdown() {
	e.t.Helper()
	require.NoError(e.t, e.stop(), "shutdown")
	e.down.Store(true)
	e.hs.Close()
}

// post sends a JSON body (raw when body is a string) with an optional bearer.
func (e *env) post(path, bearer string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case string:
		rd = strings.NewReader(b)
	case nil:
		rd = http.NoBody
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(http.MethodPost, e.hs.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return do(e.t, req)
}

func (e *env) get(path string, hdr http.Header) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.hs.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return do(e.t, req)
}

func do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// errCode parses an HTTP error body and returns its code.
func errCode(t *testing.T, body []byte) protocol.Code {
	t.Helper()
	var eb protocol.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" {
		t.Fatalf("not an error body: %s", body)
	}
	return eb.Error.Code
}

// wantHTTPError checks status and code of an HTTP error answer.
func wantHTTPError(t *testing.T, status int, body []byte, wantStatus int, wantCode protocol.Code) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d (body %s)", status, wantStatus, body)
	}
	if c := errCode(t, body); c != wantCode {
		t.Fatalf("code %q, want %q (body %s)", c, wantCode, body)
	}
}

// register creates a user through the public API and returns it with a token.
func (e *env) register(username string) (userID, token string) {
	e.t.Helper()
	st, body := e.post("/api/v1/auth/register", "", protocol.RegisterReq{Username: username, Password: "password-" + username})
	if st != http.StatusCreated {
		e.t.Fatalf("register %s: %d %s", username, st, body)
	}
	var ar protocol.AuthResp
	if err := json.Unmarshal(body, &ar); err != nil {
		e.t.Fatal(err)
	}
	return ar.UserID, ar.Token
}

// adminUser creates a user through the admin API and mints a token.
func (e *env) adminUser(userID string) string {
	e.t.Helper()
	st, body := e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: userID, Nickname: "N " + userID})
	if st != http.StatusCreated {
		e.t.Fatalf("admin user %s: %d %s", userID, st, body)
	}
	return e.token(userID)
}

func (e *env) token(userID string) string {
	e.t.Helper()
	st, body := e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: userID})
	if st != http.StatusOK {
		e.t.Fatalf("admin token %s: %d %s", userID, st, body)
	}
	var tr protocol.TokenResp
	if err := json.Unmarshal(body, &tr); err != nil {
		e.t.Fatal(err)
	}
	return tr.Token
}

func (e *env) wsURL(token string) string {
	return "ws" + strings.TrimPrefix(e.hs.URL, "http") + protocol.WSPath + "?" + protocol.WSTokenParam + "=" + token
}

// client is a test WebSocket client: it correlates responses by ID and
// queues pushes.
type client struct {
	t      testing.TB
	ws     *websocket.Conn
	nextID atomic.Int64

	mu      sync.Mutex
	pending map[string]chan *protocol.Frame
	pushes  chan *protocol.Frame
	closed  chan struct{}
	// lenient ignores responses to IDs it did not send (fuzzing sends raw frames).
	lenient atomic.Bool
	// closeErr is the read error that ended the connection.
	closeErr error
}

func (e *env) dial(token string) *client {
	e.t.Helper()
	c, resp, err := e.tryDial(token, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		e.t.Fatalf("dial: %v (status %d)", err, status)
	}
	return c
}

func (e *env) tryDial(token string, hdr http.Header) (*client, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: waitFor, EnableCompression: true}
	ws, resp, err := d.Dial(e.wsURL(token), hdr)
	if err != nil {
		return nil, resp, err
	}
	c := &client{
		t:       e.t,
		ws:      ws,
		pending: make(map[string]chan *protocol.Frame),
		pushes:  make(chan *protocol.Frame, 10000),
		closed:  make(chan struct{}),
	}
	go c.readLoop()
	e.t.Cleanup(func() { ws.Close() })
	return c, resp, nil
}

func (c *client) readLoop() {
	defer close(c.closed)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.closeErr = err
			c.mu.Unlock()
			return
		}
		// A browser closes the connection on a text frame that is not
		// UTF-8, so every frame is held to it here.
		if !utf8.Valid(data) {
			c.t.Errorf("server sent a frame that is not UTF-8: %q", data)
			return
		}
		var f protocol.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.t.Errorf("server sent a bad frame: %s", data)
			return
		}
		if f.ID == "" {
			c.pushes <- &f
			continue
		}
		c.mu.Lock()
		ch := c.pending[f.ID]
		delete(c.pending, f.ID)
		c.mu.Unlock()
		if ch == nil && c.lenient.Load() {
			continue
		}
		if ch == nil {
			c.t.Errorf("response to unknown request %q: %s", f.ID, data)
			continue
		}
		ch <- &f
	}
}

// request sends a frame (data marshalled unless it is json.RawMessage) and
// returns a channel for the response.
func (c *client) request(typ string, data any) <-chan *protocol.Frame {
	c.t.Helper()
	id := fmt.Sprintf("r%d", c.nextID.Add(1))
	ch := make(chan *protocol.Frame, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	b, err := protocol.EncodeFrame(id, typ, data)
	if err != nil {
		c.t.Fatal(err)
	}
	c.writeRaw(b)
	return ch
}

// callRaw sends frame, written by hand with the given id, and returns its
// response: for frames EncodeFrame would not write.
func (c *client) callRaw(id string, frame []byte) *protocol.Frame {
	c.t.Helper()
	ch := make(chan *protocol.Frame, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	c.writeRaw(frame)
	return c.await(ch)
}

func (c *client) writeRaw(b []byte) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) await(ch <-chan *protocol.Frame) *protocol.Frame {
	c.t.Helper()
	f, err := c.tryAwait(ch)
	if err != nil {
		c.t.Fatal(err)
	}
	return f
}

// tryAwait is await for goroutines other than the test's, which must not
// call t.Fatal.
func (c *client) tryAwait(ch <-chan *protocol.Frame) (*protocol.Frame, error) {
	select {
	case f := <-ch:
		return f, nil
	case <-c.closed:
		select {
		case f := <-ch: // answered just before the close
			return f, nil
		default:
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return nil, fmt.Errorf("connection closed while waiting: %v", c.closeErr)
	case <-time.After(waitFor):
		return nil, errors.New("no response")
	}
}

// call sends a request and returns its response frame.
func (c *client) call(typ string, data any) *protocol.Frame {
	c.t.Helper()
	return c.await(c.request(typ, data))
}

// do sends a request, fails on an error response, and decodes the data into out.
func (c *client) do(typ string, data, out any) {
	c.t.Helper()
	f := c.call(typ, data)
	if f.Error != nil {
		c.t.Fatalf("%s: %v", typ, f.Error)
	}
	if out != nil {
		if err := json.Unmarshal(f.Data, out); err != nil {
			c.t.Fatalf("%s: decode %s: %v", typ, f.Data, err)
		}
	}
}

// wantError sends a request and checks it fails with code.
func (c *client) wantError(typ string, data any, code protocol.Code) {
	c.t.Helper()
	f := c.call(typ, data)
	if f.Error == nil {
		c.t.Fatalf("%s: want error %q, got data %s", typ, code, f.Data)
	}
	if f.Error.Code != code {
		c.t.Fatalf("%s: error %v, want code %q", typ, f.Error, code)
	}
}

// push waits for the next push and checks its type.
func (c *client) push(typ string) *protocol.Frame {
	c.t.Helper()
	select {
	case f := <-c.pushes:
		if f.Type != typ {
			c.t.Fatalf("push %s (%s), want %s", f.Type, f.Data, typ)
		}
		return f
	case <-time.After(waitFor):
		c.t.Fatalf("no %s push", typ)
	}
	return nil
}

// noPush checks that no push has arrived so far. Responses and pushes to
// one connection are queued in order, so after a response this proves a
// push queued before it was not sent.
func (c *client) noPush() {
	c.t.Helper()
	select {
	case f := <-c.pushes:
		c.t.Fatalf("unexpected push %s: %s", f.Type, f.Data)
	default:
	}
}

func (c *client) ping() {
	c.t.Helper()
	c.do(protocol.ReqPing, nil, nil)
}

// waitClosed waits for the server to close the connection and returns the
// close error.
func (c *client) waitClosed() error {
	c.t.Helper()
	select {
	case <-c.closed:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.closeErr
	case <-time.After(waitFor):
		c.t.Fatal("connection not closed")
	}
	return nil
}

func text(s string) json.RawMessage {
	b, _ := json.Marshal(protocol.TextContent{Text: s})
	return b
}

// sendText sends a text message and returns the ack.
func (c *client) sendText(clientMsgID, recvID, groupID, s string) protocol.SendResp {
	c.t.Helper()
	var r protocol.SendResp
	c.do(protocol.ReqSend, protocol.SendReq{
		ClientMsgID: clientMsgID, RecvID: recvID, GroupID: groupID,
		ContentType: protocol.ContentText, Content: text(s),
	}, &r)
	return r
}

func decode[T any](t testing.TB, f *protocol.Frame) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(f.Data, &v); err != nil {
		t.Fatalf("decode %s: %v", f.Data, err)
	}
	return v
}

// atomicTime is a settable clock for Config.Clock.
type atomicTime struct{ v atomic.Int64 }

func (a *atomicTime) set(t time.Time) { a.v.Store(t.UnixNano()) }
func (a *atomicTime) get() time.Time  { return time.Unix(0, a.v.Load()) }

func mustSelfID(t *testing.T, c *client) string {
	t.Helper()
	var me protocol.User
	c.do(protocol.ReqGetSelf, nil, &me)
	return me.UserID
}

// httptestRecorder serves one GET through h in memory and returns the status.
func httptestRecorder(h http.Handler, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}
