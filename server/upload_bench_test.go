package server_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/server"
	"parley/server/files"
)

const benchFileBytes = 100 << 20

// TestUploadThroughput measures (it checks no speed) a 100 MB file sent
// through the upload API over loopback (start, 4 MiB chunks one after the
// other, complete, which joins them) against a raw PUT of the same bytes,
// for docs/benchmarks.md:
//
//	PARLEY_BENCH_UPLOAD=1 go test -run TestUploadThroughput -v ./server/
func TestUploadThroughput(t *testing.T) {
	if os.Getenv("PARLEY_BENCH_UPLOAD") == "" {
		t.Skip("set PARLEY_BENCH_UPLOAD=1 to measure")
	}
	e := newEnv(t)
	_, tok := e.register("bench")
	data := make([]byte, benchFileBytes)
	rand.Read(data)
	api := testing.Benchmark(func(b *testing.B) {
		b.SetBytes(benchFileBytes)
		for range b.N {
			if done := e.upload(tok, "big.bin", "", data); done.Size != benchFileBytes {
				b.Fatalf("size %d", done.Size)
			}
		}
	})
	raw := testing.Benchmark(BenchmarkRawPut100MB)
	mbps := func(r testing.BenchmarkResult) float64 {
		return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
	}
	t.Logf("upload API: %.0f MB/s (%d runs); raw PUT: %.0f MB/s (%d runs); ratio %.0f%%",
		mbps(api), api.N, mbps(raw), raw.N, 100*mbps(api)/mbps(raw))
}

// BenchmarkRawPut100MB is the baseline: the same bytes in one HTTP PUT
// over loopback, streamed straight into the same kind of blob store.
func BenchmarkRawPut100MB(b *testing.B) {
	st, err := files.OpenLocal(filepath.Join(b.TempDir(), "files"))
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := st.Put(r.Context(), "raw/"+strconv.Itoa(int(r.ContentLength)), r.Body, r.ContentLength); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hs.Close()
	data := make([]byte, benchFileBytes)
	rand.Read(data)
	b.SetBytes(benchFileBytes)
	b.ResetTimer()
	for range b.N {
		req, err := http.NewRequest(http.MethodPut, hs.URL+"/", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			b.Fatalf("put: %s", res.Status)
		}
	}
}

// TestUploadMemory measures (it checks nothing about size) the server's
// memory while 20 clients upload 50 MB each at once, in process: the
// peak of the Go heap in use above what it was before, sampled every
// 20 ms. The clients send from one shared buffer, so what grows is the
// server's (and the HTTP stack's) own.
//
//	PARLEY_BENCH_UPLOAD=1 [PARLEY_BENCH_UPLOAD_MB=50] go test -run TestUploadMemory -v ./server/
func TestUploadMemory(t *testing.T) {
	if os.Getenv("PARLEY_BENCH_UPLOAD") == "" {
		t.Skip("set PARLEY_BENCH_UPLOAD=1 to measure")
	}
	const clients = 20
	size := 50 << 20
	if mb, err := strconv.Atoi(os.Getenv("PARLEY_BENCH_UPLOAD_MB")); err == nil && mb > 0 {
		size = mb << 20
	}
	e := newEnv(t, func(c *server.Config) { c.Media.RequestRate = 1000; c.Media.RequestBurst = 1000 })
	data := make([]byte, size)
	rand.Read(data)
	toks := make([]string, clients)
	for i := range toks {
		_, toks[i] = e.register(fmt.Sprintf("mem%d", i))
	}
	// A GC after every 5% of growth, so that the live heap is sampled
	// often and garbage does not hide what is retained.
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	// The live heap as of the last GC: what is retained, without the
	// garbage GOGC lets pile up in proportion to the heap.
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	baseLive := live[0].Value.Uint64()
	var peak, peakLive atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			metrics.Read(live)
			if v := live[0].Value.Uint64(); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	began := time.Now()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() { e.upload(toks[i], "f.bin", "", data) })
	}
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("%d clients × %d MB in %s: peak live heap %.1f MB above the %.1f MB before; peak heap in use (garbage included) %.1f MB above %.1f MB",
		clients, size>>20, time.Since(began).Round(time.Millisecond),
		float64(peakLive.Load()-min(baseLive, peakLive.Load()))/1e6, float64(baseLive)/1e6,
		float64(peak.Load()-min(base, peak.Load()))/1e6, float64(base)/1e6)
}
