package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"parley/protocol"
	"parley/server"
	"parley/server/store/sqlite"
)

// BenchmarkIdleConnectionMemory measures what one idle, authenticated
// WebSocket connection costs the server: b.N connections are opened and
// held, and after a GC the growth of the process's Go heap and stacks is
// divided by b.N. The client side is a bare TCP connection that wrote the
// handshake by hand (no goroutine, no buffers), so nearly all the growth
// is the server's. It reproduces, on a few thousand connections, what
// `parley-bench -scenario idle` measures on twenty thousand (target: 20 KB
// of server memory per connection; docs/benchmarks.md). With
// PARLEY_BENCH_HEAP_PROFILE=file it also writes the heap profile taken
// with the connections open.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "parley.db"))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(ctx, server.Config{Store: st, AdminSecret: "secret", BcryptCost: 4})
	if err != nil {
		st.Close()
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		hs.Close()
		st.Close()
	}()
	addr := strings.TrimPrefix(hs.URL, "http://")
	// A user may hold only a few connections (Config.MaxConnsPerUser):
	// a new user every 10.
	var last string
	handshake := func(i int) string {
		if i%10 == 0 {
			token := benchToken(b, hs.URL, "idle"+itoa(i/10))
			last = "GET " + protocol.WSPath + "?" + protocol.WSTokenParam + "=" + url.QueryEscape(token) + " HTTP/1.1\r\n" +
				"Host: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
		}
		return last
	}

	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	open := func(req string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write([]byte(req)); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 512), nil)
		if err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			b.Fatalf("handshake: HTTP %d", resp.StatusCode)
		}
		conns = append(conns, c)
	}
	// Warm up (pools, the store's first reads) and mint every token
	// before the baseline, so that only connections are measured.
	open(handshake(0))
	reqs := make([]string, b.N)
	for i := range reqs {
		reqs[i] = handshake(i + 1)
	}
	before := memNow()
	b.ResetTimer()
	for i := range b.N {
		open(reqs[i])
	}
	b.StopTimer()
	waitConnections(b, hs.URL, b.N+1)
	after := memNow()
	if path := os.Getenv("PARLEY_BENCH_HEAP_PROFILE"); path != "" {
		// The heap with the connections open, for `go tool pprof`.
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
	b.ReportMetric(float64(after.heap-before.heap)/float64(b.N), "heap-B/conn")
	b.ReportMetric(float64(after.stack-before.stack)/float64(b.N), "stack-B/conn")
	b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(b.N), "goroutines/conn")
}

type memSample struct {
	heap, stack uint64
	goroutines  int
}

func memNow() memSample {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{heap: ms.HeapInuse, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}

// waitConnections waits until the server's connection gauge reads n, so
// that every connection is fully set up when memory is sampled.
func waitConnections(b *testing.B, base string, n int) {
	b.Helper()
	want := []byte("parley_ws_connections " + itoa(n) + "\n")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/metrics")
		if err == nil {
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if bytes.Contains(buf.Bytes(), want) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("server never reported %d connections", n)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func benchToken(b *testing.B, base, userID string) string {
	b.Helper()
	post := func(path string, body any, out any) {
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("POST %s: HTTP %d", path, resp.StatusCode)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				b.Fatal(err)
			}
		}
	}
	post("/api/v1/admin/users", protocol.AdminCreateUserReq{UserID: userID}, nil)
	var tr protocol.TokenResp
	post("/api/v1/admin/tokens", protocol.AdminTokenReq{UserID: userID, Platform: protocol.PlatformWeb}, &tr)
	return tr.Token
}
