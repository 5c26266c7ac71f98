package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server/store/postgres"
	webdemo "parley/web-demo"
)

func TestCallOptions(t *testing.T) {
	env := map[string]string{
		"PARLEY_ICE_SERVERS": `[{"urls":["turn:turn.example:3478"],"username":"u","credential":"c"}]`,
		"PARLEY_TURN_SECRET": "s",
	}
	o, err := parseOptions([]string{"-call-timeout", "15s"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 15*time.Second, o.callTimeout)
	assert.Equal(t, "s", o.turnSecret)
	require.Len(t, o.iceServers, 1)
	assert.Equal(t, "u", o.iceServers[0].Username)
	o, err = parseOptions([]string{"-ice-servers", `[{"urls":"stun:stun.example"}]`}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "stun:stun.example", o.iceServers[0].URLs)
	assert.Zero(t, o.callTimeout)
	_, err = parseOptions([]string{"-ice-servers", `[{"urls":1}]`}, func(string) string { return "" }, io.Discard)
	assert.Error(t, err)
}

func TestOptionsEnvAndFlags(t *testing.T) {
	env := map[string]string{
		"PARLEY_ADDR":            "127.0.0.1:9999",
		"PARLEY_DATA":            "/env/data",
		"PARLEY_STORE":           "sqlite",
		"PARLEY_ALLOWED_ORIGINS": "https://a.example, https://b.example",
		"PARLEY_MAX_FRAME_BYTES": "1234",
		"PARLEY_SESSION_POLICY":  "single-per-platform",
		"PARLEY_RATE_LIMIT":      "7.5",
	}
	o, err := parseOptions([]string{"-data", "/flag/data", "-bus", "local", "-max-conns-per-user", "3", "-max-group-size", "9", "-max-pull-page", "50"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.sessionPolicy != "single-per-platform" || o.rateLimit != 7.5 || o.maxConnsPerUser != 3 || o.maxGroupSize != 9 || o.userRateLimit != 0 || o.maxPullPage != 50 || o.maxSyncPage != 0 {
		t.Fatalf("limit options %+v", o)
	}
	if o.addr != "127.0.0.1:9999" || o.data != "/flag/data" || o.maxFrameBytes != 1234 || o.bus != "local" ||
		o.allowedOrigins != "https://a.example, https://b.example" || o.sdkDir != "wasm/dist" {
		t.Fatalf("options %+v", o)
	}
	o, err = parseOptions(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "127.0.0.1:8080" || o.data != "./data" || o.store != "sqlite" || o.bus != "local" || o.adminSecret != "" {
		t.Fatalf("defaults %+v", o)
	}
	if _, err := parseOptions([]string{"-nope"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("unknown flag accepted")
	}
	for _, k := range []string{"PARLEY_CALL_TIMEOUT", "PARLEY_ICE_SERVERS", "PARLEY_MAX_FRAME_BYTES", "PARLEY_RATE_LIMIT", "PARLEY_USER_RATE_LIMIT", "PARLEY_MAX_CONNS_PER_USER", "PARLEY_MAX_GROUP_SIZE", "PARLEY_MAX_SYNC_PAGE", "PARLEY_MAX_PULL_PAGE"} {
		if _, err := parseOptions(nil, func(name string) string { return map[string]string{k: "big"}[name] }, io.Discard); err == nil {
			t.Fatalf("bad %s accepted", k)
		}
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndStops(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", dir}, func(string) string { return "" }, &logs, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	if strings.HasSuffix(addr, ":0") || !strings.Contains(logs.String(), addr) {
		t.Fatalf("address %q not logged:\n%s", addr, logs.String())
	}
	if !strings.Contains(logs.String(), "generated admin secret") {
		t.Fatalf("admin secret not printed:\n%s", logs.String())
	}
	for _, path := range []string{"/healthz", "/"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("did not stop")
	}
	if !strings.Contains(logs.String(), "stopped cleanly") {
		t.Fatalf("no clean stop:\n%s", logs.String())
	}
}

func TestRunRejectsUnknownStoreAndBus(t *testing.T) {
	for _, tc := range []struct {
		args []string
		// unknown: refused for its scheme, before anything is reached.
		unknown bool
	}{
		{[]string{"-store", "mysql://localhost/db"}, true},
		{[]string{"-bus", "redis://localhost:6379"}, true},
		// Supported, but nothing listens on port 1.
		{[]string{"-store", "postgres://127.0.0.1:1/parley"}, false},
		{[]string{"-bus", "nats://127.0.0.1:1"}, false},
	} {
		args := append(tc.args, "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-admin-secret", "s")
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, nil)
		require.Error(t, err, "%v", tc.args)
		if tc.unknown {
			assert.Contains(t, err.Error(), "unknown", "%v", tc.args)
		}
	}
}

// TestRunPostgresNATS starts parleyd on PostgreSQL and NATS, the way a
// node of a cluster runs, when both are available.
func TestRunPostgresNATS(t *testing.T) {
	pg, nc := os.Getenv("PARLEY_TEST_POSTGRES"), os.Getenv("PARLEY_TEST_NATS")
	if pg == "" || nc == "" {
		t.Skip("PARLEY_TEST_POSTGRES and PARLEY_TEST_NATS are not both set; skipping")
	}
	storeURL, err := postgres.TestSchema(context.Background(), pg, t.Cleanup)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := map[string]string{"PARLEY_STORE": storeURL, "PARLEY_BUS": nc + "?subject=parley.test.cmd." + strconv.FormatInt(time.Now().UnixNano(), 36)}
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-admin-secret", "s"}, func(k string) string { return env[k] }, &logs, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("not ready")
	}
	if !strings.Contains(logs.String(), "store=postgres bus=nats") {
		t.Fatalf("not on postgres and nats:\n%s", logs.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("did not stop")
	}
}

// The demo must keep working under the server's Content-Security-Policy
// (no inline script, style or handlers) and must not build HTML from
// strings, which is how message text could turn into markup.
func TestDemoFitsCSPAndBuildsNoHTMLFromStrings(t *testing.T) {
	inlineScript := regexp.MustCompile(`(?i)<script\b[^>]*>\s*[^<\s]`)
	htmlBans := map[string]*regexp.Regexp{
		"inline script":   inlineScript,
		"style element":   regexp.MustCompile(`(?i)<style\b`),
		"style attribute": regexp.MustCompile(`(?i)\sstyle\s*=`),
		"event handler":   regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		"javascript: URL": regexp.MustCompile(`(?i)javascript:`),
	}
	jsBans := map[string]*regexp.Regexp{
		"innerHTML":          regexp.MustCompile(`\.(inner|outer)HTML\b`),
		"insertAdjacentHTML": regexp.MustCompile(`insertAdjacentHTML`),
		"document.write":     regexp.MustCompile(`document\.write`),
		"eval":               regexp.MustCompile(`\beval\s*\(|new Function\s*\(`),
		"inline style text":  regexp.MustCompile(`cssText|setAttribute\(\s*['"]style['"]`),
		"string timers":      regexp.MustCompile(`set(Timeout|Interval)\(\s*['"]`),
	}
	demo := webdemo.FS()
	n := 0
	err := fs.WalkDir(demo, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var bans map[string]*regexp.Regexp
		switch path.Ext(p) {
		case ".html":
			bans = htmlBans
		case ".js", ".mjs":
			bans = jsBans
		default:
			return nil
		}
		b, err := fs.ReadFile(demo, p)
		if err != nil {
			return err
		}
		n++
		for what, re := range bans {
			if loc := re.FindIndex(b); loc != nil {
				t.Errorf("%s: %s at byte %d: %q", p, what, loc[0], b[loc[0]:min(len(b), loc[1]+40)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("checked only %d demo files", n)
	}
}

// The settings of the limits added for issue 11: each from its environment
// variable, overridden by its flag, a malformed value refused.
func TestLimitOptions(t *testing.T) {
	env := map[string]string{
		"PARLEY_HANDSHAKE_RATE_PER_IP": "3.5",
		"PARLEY_MAX_CONNS_PER_IP":      "17",
		"PARLEY_METRICS_ADDR":          "127.0.0.1:9100",
		"PARLEY_METRICS_SECRET":        "env-secret",
	}
	o, err := parseOptions(nil, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 3.5, o.handshakeRatePerIP)
	assert.Equal(t, 17, o.maxConnsPerIP)
	assert.Equal(t, "127.0.0.1:9100", o.metricsAddr)
	assert.Equal(t, "env-secret", o.metricsSecret)

	o, err = parseOptions([]string{"-handshake-rate-per-ip", "40", "-max-conns-per-ip", "1000", "-metrics-addr", ":9200", "-metrics-secret", "flag-secret"},
		func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 40.0, o.handshakeRatePerIP)
	assert.Equal(t, 1000, o.maxConnsPerIP)
	assert.Equal(t, ":9200", o.metricsAddr)
	assert.Equal(t, "flag-secret", o.metricsSecret)

	for _, k := range []string{"PARLEY_HANDSHAKE_RATE_PER_IP", "PARLEY_MAX_CONNS_PER_IP"} {
		_, err := parseOptions(nil, func(name string) string { return map[string]string{k: "lots"}[name] }, io.Discard)
		assert.Error(t, err, "bad %s accepted", k)
	}
}

// With -metrics-addr, /metrics is served there (behind -metrics-secret)
// and no longer on the public port.
func TestRunMetricsAddr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-metrics-addr", "127.0.0.1:0", "-metrics-secret", "m-secret"},
			func(string) string { return "" }, &logs, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	metricsLine := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)
	var maddr string
	for deadline := time.Now().Add(10 * time.Second); maddr == ""; time.Sleep(10 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "metrics address not logged:\n%s", logs.String())
		if m := metricsLine.FindStringSubmatch(logs.String()); m != nil {
			maddr = m[1]
		}
	}
	get := func(url, bearer string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusNotFound, get("http://"+addr+"/metrics", "m-secret"), "metrics on the public port")
	assert.Equal(t, http.StatusUnauthorized, get("http://"+maddr+"/metrics", ""))
	assert.Equal(t, http.StatusOK, get("http://"+maddr+"/metrics", "m-secret"))
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("did not stop")
	}
}
