//go:build !js

package wsjs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestBrowser runs this package's js tests in headless Chromium (through
// wasmbrowsertest, installed as go_js_wasm_exec on PATH) against a real
// WebSocket server started here, since a wasm test cannot listen itself.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	if _, err := exec.LookPath("go_js_wasm_exec"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("go_js_wasm_exec (wasmbrowsertest) not on PATH: %v", err)
		}
		t.Skip("go_js_wasm_exec (wasmbrowsertest) not on PATH")
	}
	srv := httptest.NewServer(testHandler(t))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-v", "-run", "^TestJS", ".")
	cmd.Env = append(os.Environ(),
		"GOOS=js", "GOARCH=wasm",
		"WSJS_TEST_URL="+"ws"+strings.TrimPrefix(srv.URL, "http"),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser test output:\n%s", filterNoise(out))
	if err != nil {
		t.Fatalf("js tests failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestJSEcho") {
		t.Fatalf("js tests did not run")
	}
}

// filterNoise drops chromedp's harmless complaints about protocol values it
// does not know.
func filterNoise(out []byte) string {
	var b strings.Builder
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "could not unmarshal event") {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func testHandler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		// The page comes from wasmbrowsertest's origin, so the 401 probe
		// is a cross-origin fetch.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.URL.Query().Get("token") != "good" {
			http.Error(w, `{"error":{"code":"unauthenticated","message":"bad token"}}`, http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			switch string(b) {
			case "close-me":
				// Two messages then a close: the client must read both
				// before it sees the close.
				_ = c.Write(ctx, websocket.MessageText, []byte("last-1"))
				_ = c.Write(ctx, websocket.MessageText, []byte("last-2"))
				_ = c.Close(4000, "bye")
				return
			case "binary":
				_ = c.Write(ctx, websocket.MessageBinary, []byte{0, 1, 2, 255})
			default:
				if err := c.Write(ctx, typ, b); err != nil {
					return
				}
			}
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Never answers the handshake; released when the client gives up
		// or the server closes.
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	})
	return mux
}
