package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

func TestRegister(t *testing.T) {
	e := newEnv(t)
	st, body := e.post("/api/v1/auth/register", "", protocol.RegisterReq{Username: "Alice", Password: "secret-pw", Nickname: "Alice A"})
	if st != http.StatusCreated {
		t.Fatalf("register: %d %s", st, body)
	}
	var ar protocol.AuthResp
	if err := json.Unmarshal(body, &ar); err != nil {
		t.Fatal(err)
	}
	if !protocol.ValidID(ar.UserID) || ar.Token == "" || ar.ExpiresAt <= time.Now().UnixMilli() {
		t.Fatalf("bad answer %+v", ar)
	}
	c := e.dial(ar.Token)
	var me protocol.User
	c.do(protocol.ReqGetSelf, nil, &me)
	if me.UserID != ar.UserID || me.Username != "alice" || me.Nickname != "Alice A" {
		t.Fatalf("self = %+v", me)
	}

	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   protocol.Code
	}{
		{"taken, other case", protocol.RegisterReq{Username: "ALICE", Password: "password1"}, 409, protocol.CodeAlreadyExists},
		{"short username", protocol.RegisterReq{Username: "al", Password: "password1"}, 400, protocol.CodeInvalidArgument},
		{"bad characters", protocol.RegisterReq{Username: "al ice", Password: "password1"}, 400, protocol.CodeInvalidArgument},
		{"leading dot", protocol.RegisterReq{Username: ".alice", Password: "password1"}, 400, protocol.CodeInvalidArgument},
		{"long username", protocol.RegisterReq{Username: strings.Repeat("a", 33), Password: "password1"}, 400, protocol.CodeInvalidArgument},
		{"short password", protocol.RegisterReq{Username: "bob", Password: "1234567"}, 400, protocol.CodeInvalidArgument},
		{"long password", protocol.RegisterReq{Username: "bob", Password: strings.Repeat("p", 73)}, 400, protocol.CodeInvalidArgument},
		{"long nickname", protocol.RegisterReq{Username: "bob", Password: "password1", Nickname: strings.Repeat("n", 65)}, 400, protocol.CodeInvalidArgument},
		{"malformed JSON", `{"username":`, 400, protocol.CodeInvalidArgument},
		{"wrong types", `{"username": 5, "password": true}`, 400, protocol.CodeInvalidArgument},
		{"trailing data", `{"username":"bob","password":"password1"} {}`, 400, protocol.CodeInvalidArgument},
		{"too large", `{"username":"` + strings.Repeat("x", 70<<10) + `"}`, 413, protocol.CodeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.post("/api/v1/auth/register", "", tc.body)
			wantHTTPError(t, st, body, tc.status, tc.code)
		})
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	uid, _ := e.register("carol")
	st, body := e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "Carol", Password: "password-carol", Platform: "ios"})
	if st != http.StatusOK {
		t.Fatalf("login: %d %s", st, body)
	}
	var ar protocol.AuthResp
	json.Unmarshal(body, &ar)
	if ar.UserID != uid || ar.Token == "" {
		t.Fatalf("login answer %+v", ar)
	}
	e.dial(ar.Token).ping()

	st, body = e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "carol", Password: "password-carol"})
	if st != http.StatusOK {
		t.Fatalf("login with default platform: %d %s", st, body)
	}
	st, body = e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "carol", Password: "wrong-password"})
	wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)
	st, body = e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "nobody", Password: "password-x"})
	wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)
	st, body = e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "carol", Password: "password-carol", Platform: "toaster"})
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)
	st, body = e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "carol"})
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)
	st, body = e.post("/api/v1/auth/login", "", "[]")
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)

	// Admin-created users have no password and cannot log in.
	e.adminUser("dave")
	st, body = e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "dave", Password: "anything-at-all"})
	wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)
}

func TestAdminRoutes(t *testing.T) {
	e := newEnv(t)
	st, body := e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: "app-user.1", Nickname: "App User", FaceURL: "https://x/y.png"})
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	var u protocol.User
	json.Unmarshal(body, &u)
	if u != (protocol.User{UserID: "app-user.1", Nickname: "App User", FaceURL: "https://x/y.png"}) {
		t.Fatalf("user = %+v", u)
	}

	st, body = e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: "app-user.1"})
	wantHTTPError(t, st, body, 409, protocol.CodeAlreadyExists)
	st, body = e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: "bad_id"})
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)
	st, body = e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: ""})
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)
	st, body = e.post("/api/v1/admin/users", "wrong", protocol.AdminCreateUserReq{UserID: "x"})
	wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)
	st, body = e.post("/api/v1/admin/users", "", protocol.AdminCreateUserReq{UserID: "x"})
	wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)

	st, body = e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: "app-user.1", Platform: "android"})
	if st != http.StatusOK {
		t.Fatalf("token: %d %s", st, body)
	}
	var tr protocol.TokenResp
	json.Unmarshal(body, &tr)
	if tr.Token == "" || tr.ExpiresAt <= time.Now().UnixMilli() {
		t.Fatalf("token answer %+v", tr)
	}
	var me protocol.User
	e.dial(tr.Token).do(protocol.ReqGetSelf, nil, &me)
	if me.UserID != "app-user.1" {
		t.Fatalf("token is for %q", me.UserID)
	}

	st, body = e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: "ghost"})
	wantHTTPError(t, st, body, 404, protocol.CodeNotFound)
	st, body = e.post("/api/v1/admin/tokens", adminSecret, protocol.AdminTokenReq{UserID: "app-user.1", Platform: "fax"})
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)
	st, body = e.post("/api/v1/admin/tokens", tr.Token, protocol.AdminTokenReq{UserID: "app-user.1"})
	wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)

	st, body = e.post("/api/v1/nothing", "", nil)
	wantHTTPError(t, st, body, 404, protocol.CodeNotFound)
}

func TestLogoutRevokesTokenAndKicks(t *testing.T) {
	e := newEnv(t)
	uid, tok1 := e.register("erin")
	tok2 := e.token(uid)
	c1 := e.dial(tok1)
	c2 := e.dial(tok2)

	st, body := e.post("/api/v1/auth/logout", tok1, nil)
	if st != http.StatusNoContent {
		t.Fatalf("logout: %d %s", st, body)
	}
	k := decode[protocol.Kicked](t, c1.push(protocol.PushKicked))
	if k.Reason != "token_revoked" {
		t.Fatalf("kicked reason %q", k.Reason)
	}
	c1.waitClosed()
	c2.ping() // the other token still works

	st, body = e.get(protocol.WSPath+"?token="+tok1, nil)
	wantHTTPError(t, st, body, 401, protocol.CodeTokenExpired)
	st, body = e.post("/api/v1/auth/logout", tok1, nil)
	wantHTTPError(t, st, body, 401, protocol.CodeTokenExpired)
	st, body = e.post("/api/v1/auth/logout", "", nil)
	wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)
}

func TestRevokeAll(t *testing.T) {
	e := newEnv(t)
	uid, tok1 := e.register("frank")
	tok2 := e.token(uid)
	c1, c2 := e.dial(tok1), e.dial(tok2)

	st, body := e.post("/api/v1/auth/revoke-all", tok2, nil)
	if st != http.StatusNoContent {
		t.Fatalf("revoke-all: %d %s", st, body)
	}
	for _, c := range []*client{c1, c2} {
		c.push(protocol.PushKicked)
		c.waitClosed()
	}
	for _, tok := range []string{tok1, tok2} {
		st, body := e.get(protocol.WSPath+"?token="+tok, nil)
		wantHTTPError(t, st, body, 401, protocol.CodeTokenExpired)
	}
	// A token minted afterwards is the only one that works.
	st, body = e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "frank", Password: "password-frank"})
	if st != http.StatusOK {
		t.Fatalf("login: %d %s", st, body)
	}
	var ar protocol.AuthResp
	json.Unmarshal(body, &ar)
	e.dial(ar.Token).ping()
}

func TestHandshake(t *testing.T) {
	now := time.Now()
	var clock atomicTime
	clock.set(now)
	e := newEnv(t, func(c *server.Config) {
		c.Clock = clock.get
		c.AllowedOrigins = []string{"https://app.example.com"}
	})
	_, tok := e.register("gina")

	// Bad tokens are refused before the upgrade, on a plain GET too.
	for _, bad := range []string{"", "garbage", "p1.e30.AAAA", tok + "x"} {
		st, body := e.get(protocol.WSPath+"?token="+bad, nil)
		wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)
		_, resp, err := e.tryDial(bad, nil)
		if err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("dial with %q: err %v resp %v", bad, err, resp)
		}
	}
	// A good token without an upgrade is a bad request.
	st, body := e.get(protocol.WSPath+"?token="+tok, nil)
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)
	// The Authorization header works as well as the query.
	st, body = e.get(protocol.WSPath, http.Header{"Authorization": {"Bearer " + tok}})
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)

	// Origins: none, same origin and allowed ones pass; others are refused.
	for origin, ok := range map[string]bool{
		"":                        true,
		e.hs.URL:                  true,
		"https://app.example.com": true,
		"https://evil.example":    false,
	} {
		hdr := http.Header{}
		if origin != "" {
			hdr.Set("Origin", origin)
		}
		c, resp, err := e.tryDial(tok, hdr)
		if ok {
			if err != nil {
				t.Fatalf("origin %q refused: %v", origin, err)
			}
			c.ping()
		} else if err == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: err %v", origin, err)
		}
	}

	// permessage-deflate is negotiated when offered.
	c, resp, err := e.tryDial(tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ext := resp.Header.Get("Sec-Websocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("extensions %q", ext)
	}
	c.ping()

	// An expired token answers token_expired.
	clock.set(now.Add(8 * 24 * time.Hour))
	st, body = e.get(protocol.WSPath+"?token="+tok, nil)
	wantHTTPError(t, st, body, 401, protocol.CodeTokenExpired)
}

func TestHealthzMetricsAndStatic(t *testing.T) {
	sdk := t.TempDir()
	os.WriteFile(filepath.Join(sdk, "index.js"), []byte("export {}"), 0o644)
	os.WriteFile(filepath.Join(sdk, "parley.wasm"), []byte("\x00asm"), 0o644)
	e := newEnv(t, func(c *server.Config) {
		c.SDKDir = sdk
		c.DemoFS = fstest.MapFS{"index.html": {Data: []byte("<h1>demo</h1>")}}
	})
	if st, body := e.get("/healthz", nil); st != 200 {
		t.Fatalf("healthz: %d %s", st, body)
	}
	_, tok := e.register("hank")
	c := e.dial(tok)
	c.sendText("m1", mustSelfID(t, c), "", "hello me")
	c.wantError("no.such.type", nil, protocol.CodeUnimplemented)

	wants := []string{
		"parley_ws_connections 1",
		"parley_messages_in_total 1",
		`parley_errors_total{code="unimplemented"} 1`,
		`parley_request_duration_seconds_count{type="send"} 1`,
		"parley_commit_batch_messages_count 1",
		`parley_http_request_duration_seconds_count{route="POST /api/v1/auth/register",status="201"} 1`,
		`parley_http_request_duration_seconds_count{route="GET /ws",status="101"} 1`,
	}
	// A request's duration is observed as its answer goes out: the client
	// may read the answer first, so the scrape is repeated until it shows.
	var missing []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, body := e.get("/metrics", nil)
		if st != 200 {
			t.Fatalf("metrics: %d", st)
		}
		missing = missing[:0]
		for _, want := range wants {
			if !strings.Contains(string(body), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range missing {
		t.Errorf("metrics lack %q", want)
	}

	if st, body := e.get("/", nil); st != 200 || !strings.Contains(string(body), "demo") {
		t.Fatalf("demo: %d %s", st, body)
	}
	req, _ := http.NewRequest("GET", e.hs.URL+"/sdk/parley.wasm", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" {
		t.Fatalf("wasm: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if st, _ := e.get("/sdk/index.js", nil); st != 200 {
		t.Fatalf("index.js: %d", st)
	}

	e.shutdown()
	// After shutdown the handler refuses everything with 503.
	rec := httptestRecorder(e.srv.Handler(), "/healthz")
	if rec != http.StatusServiceUnavailable {
		t.Fatalf("healthz after shutdown: %d", rec)
	}
}

func TestTokenExpiryClosesOpenConnection(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.TokenTTL = 2 * time.Second })
	_, tok := e.register("ivan")
	c := e.dial(tok)
	if k := decode[protocol.Kicked](t, c.push(protocol.PushKicked)); k.Reason != "token_expired" {
		t.Fatalf("kicked %+v", k)
	}
	c.waitClosed()
}

func TestAdminGroupsAndFriends(t *testing.T) {
	e := newEnv(t)
	aTok, bTok := e.adminUser("ann"), e.adminUser("ben")
	a, b := e.dial(aTok), e.dial(bTok)

	st, body := e.post("/api/v1/admin/friends", adminSecret, server.AdminFriendsReq{UserID: "ann", FriendUserID: "ben"})
	if st != http.StatusNoContent {
		t.Fatalf("friends: %d %s", st, body)
	}
	for _, c := range []*client{a, b} {
		c.push(protocol.PushFriendRequest) // made and accepted at once
		c.push(protocol.PushFriendAdded)
	}
	var fl protocol.UsersResp
	a.do(protocol.ReqListFriends, nil, &fl)
	if len(fl.Users) != 1 || fl.Users[0].UserID != "ben" {
		t.Fatalf("friends %+v", fl)
	}
	st, body = e.post("/api/v1/admin/friends", adminSecret, server.AdminFriendsReq{UserID: "ben", FriendUserID: "ann"})
	wantHTTPError(t, st, body, 409, protocol.CodeAlreadyExists)
	st, body = e.post("/api/v1/admin/friends", adminSecret, server.AdminFriendsReq{UserID: "ann", FriendUserID: "ghost"})
	wantHTTPError(t, st, body, 404, protocol.CodeNotFound)
	st, body = e.post("/api/v1/admin/friends", adminSecret, server.AdminFriendsReq{UserID: "ann", FriendUserID: "ann"})
	wantHTTPError(t, st, body, 400, protocol.CodeInvalidArgument)

	st, body = e.post("/api/v1/admin/groups", adminSecret, server.AdminCreateGroupReq{OwnerUserID: "ann", Name: "ops", MemberUserIDs: []string{"ben"}})
	if st != http.StatusCreated {
		t.Fatalf("group: %d %s", st, body)
	}
	var g protocol.Group
	json.Unmarshal(body, &g)
	if g.OwnerUserID != "ann" || g.MemberCount != 2 {
		t.Fatalf("group %+v", g)
	}
	b.push(protocol.PushGroup)
	b.sendText("hi", "", g.GroupID, "hello ops")
	st, body = e.post("/api/v1/admin/groups", adminSecret, server.AdminCreateGroupReq{OwnerUserID: "ghost", Name: "x"})
	wantHTTPError(t, st, body, 404, protocol.CodeNotFound)
	st, body = e.post("/api/v1/admin/groups", "not-admin", server.AdminCreateGroupReq{OwnerUserID: "ann", Name: "x"})
	wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)
}

func TestAuthAttemptsAreRateLimited(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.AuthRateLimit = 0.001 // no refill during the test
		c.AuthRateBurst = 3
	})
	e.register("jane") // 1
	for range 2 {      // 2, 3
		st, body := e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "jane", Password: "guess-guess"})
		wantHTTPError(t, st, body, 401, protocol.CodeUnauthenticated)
	}
	st, body := e.post("/api/v1/auth/login", "", protocol.LoginReq{Username: "jane", Password: "password-jane"})
	wantHTTPError(t, st, body, 429, protocol.CodeRateLimited)
	st, body = e.post("/api/v1/auth/register", "", protocol.RegisterReq{Username: "kate", Password: "password-kate"})
	wantHTTPError(t, st, body, 429, protocol.CodeRateLimited)
	// The admin API is not limited.
	e.adminUser("lee")
}

// JSON bodies must say so: a cross-site form can post text/plain (or a
// form encoding) without a CORS preflight, so those are refused, with
// nothing done.
func TestJSONBodiesNeedJSONContentType(t *testing.T) {
	e := newEnv(t)
	postAs := func(path, bearer, ctype, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, e.hs.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		return do(t, req)
	}
	reg := `{"username":"formuser","password":"long enough"}`
	for _, ct := range []string{"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "text/json"} {
		st, body := postAs("/api/v1/auth/register", "", ct, reg)
		wantHTTPError(t, st, body, http.StatusUnsupportedMediaType, protocol.CodeInvalidArgument)
		st, body = postAs("/api/v1/auth/login", "", ct, `{"username":"formuser","password":"long enough"}`)
		wantHTTPError(t, st, body, http.StatusUnsupportedMediaType, protocol.CodeInvalidArgument)
		st, body = postAs("/api/v1/admin/users", adminSecret, ct, `{"userID":"formuser"}`)
		wantHTTPError(t, st, body, http.StatusUnsupportedMediaType, protocol.CodeInvalidArgument)
	}
	st, _ := postAs("/api/v1/admin/tokens", adminSecret, "application/json", `{"userID":"formuser"}`)
	assert.Equal(t, http.StatusNotFound, st, "a refused request created the user")
	st, body := postAs("/api/v1/auth/login", "", "application/json", `{"username":"formuser","password":"long enough"}`)
	wantHTTPError(t, st, body, http.StatusUnauthorized, protocol.CodeUnauthenticated)

	for i, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		st, body := postAs("/api/v1/auth/register", "", ct, fmt.Sprintf(`{"username":"json%d","password":"long enough"}`, i))
		assert.Equal(t, http.StatusCreated, st, "%s: %s", ct, body)
	}
}

// /metrics can require a bearer secret, or be left out of the public
// handler to be served elsewhere.
func TestMetricsSecretAndSeparation(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MetricsSecret = "scrape-me" })
	st, body := e.get("/metrics", nil)
	wantHTTPError(t, st, body, http.StatusUnauthorized, protocol.CodeUnauthenticated)
	for _, bad := range []string{"Bearer nope", "Bearer " + adminSecret, "scrape-me", "Basic c2NyYXBlLW1l"} {
		st, _ := e.get("/metrics", http.Header{"Authorization": {bad}})
		assert.Equal(t, http.StatusUnauthorized, st, bad)
	}
	st, body = e.get("/metrics", http.Header{"Authorization": {"Bearer scrape-me"}})
	assert.Equal(t, http.StatusOK, st)
	assert.Contains(t, string(body), "parley_ws_connections")

	sep := newEnv(t, func(c *server.Config) { c.SeparateMetrics = true })
	st, _ = sep.get("/metrics", nil)
	assert.Equal(t, http.StatusNotFound, st, "/metrics on the public handler")
	rec := httptest.NewRecorder()
	sep.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "parley_ws_connections")
}
