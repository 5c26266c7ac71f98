package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"parley/server/internal/tcpproxy"
	"parley/server/store/postgres"
)

// healthBody is /healthz's 503 answer.
type healthBody struct {
	Status  string            `json:"status"`
	Failing []string          `json:"failing"`
	Checks  map[string]string `json:"checks"`
}

// waitHealth polls /healthz until it answers status (a probe's result is
// kept for a second, and NATS needs a moment to notice a cut or to
// reconnect) and returns the last body.
func waitHealth(t *testing.T, e *env, status int) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, body := e.get("/healthz", nil)
		if st == status {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz stayed %d (%s), want %d", st, body, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func failing(t *testing.T, body []byte) []string {
	t.Helper()
	var h healthBody
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("healthz body %q: %v", body, err)
	}
	if h.Status != "unavailable" {
		t.Fatalf("healthz body %s", body)
	}
	return h.Failing
}

// TestHealthzReportsStoreAndBus runs a node whose PostgreSQL and NATS
// connections go through proxies, cuts each in turn and checks that
// /healthz names the part that is unreachable, and recovers.
func TestHealthzReportsStoreAndBus(t *testing.T) {
	t.Parallel()
	pg, nc := os.Getenv("PARLEY_TEST_POSTGRES"), os.Getenv("PARLEY_TEST_NATS")
	if pg == "" || nc == "" {
		t.Skip("PARLEY_TEST_POSTGRES and PARLEY_TEST_NATS are not both set; skipping")
	}
	storeURL, err := postgres.TestSchema(context.Background(), pg, t.Cleanup)
	if err != nil {
		t.Fatal(err)
	}
	su, err := url.Parse(storeURL)
	if err != nil {
		t.Fatal(err)
	}
	pgProxy := tcpproxy.New(t, su.Host)
	su.Host = pgProxy.Addr()
	nu, err := url.Parse(nc)
	if err != nil {
		t.Fatal(err)
	}
	natsProxy := tcpproxy.New(t, nu.Host)
	b := make([]byte, 8)
	rand.Read(b)
	busURL := "nats://" + natsProxy.Addr() + "?subject=parley.test.health." + hex.EncodeToString(b)
	e := newEnvOpts(t, envOpts{storeURL: su.String(), busURL: busURL})

	if st, body := e.get("/healthz", nil); st != 200 || string(body) != "ok\n" {
		t.Fatalf("healthy node: %d %q", st, body)
	}

	natsProxy.SetDown(true)
	if f := failing(t, waitHealth(t, e, 503)); !slices.Equal(f, []string{"bus"}) {
		t.Fatalf("NATS cut: failing %v", f)
	}
	natsProxy.SetDown(false)
	waitHealth(t, e, 200)

	pgProxy.SetDown(true)
	if f := failing(t, waitHealth(t, e, 503)); !slices.Equal(f, []string{"store"}) {
		t.Fatalf("PostgreSQL cut: failing %v", f)
	}
	pgProxy.SetDown(false)
	waitHealth(t, e, 200)
}

// TestHealthzSQLiteLocal: a single node on SQLite and the local bus has
// nothing to reach: it answers "ok", and 503 once shutting down.
func TestHealthzSQLiteLocal(t *testing.T) {
	e := newEnv(t)
	if st, body := e.get("/healthz", nil); st != 200 || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", st, body)
	}
	e.shutdown()
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("after shutdown: %d", rec.Code)
	}
}
