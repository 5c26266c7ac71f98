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
	"slices"
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
// through the upload API over loopback (start, 5 MiB chunks one after the
// other, complete, which joins them) against a raw PUT of the same bytes,
// for docs/benchmarks.md:
//
//	PARLEY_BENCH_UPLOAD=1 go test -run TestUploadThroughput -v ./server/
func TestUploadThroughput(t *testing.T) {
	if os.Getenv("PARLEY_BENCH_UPLOAD") == "" {
		t.Skip("set PARLEY_BENCH_UPLOAD=1 to measure")
	}
	// PARLEY_BENCH_UPLOAD_JOIN=1 hides the local store's in-place assembly,
	// as with S3: chunks are then blobs of their own, joined by complete.
	join := os.Getenv("PARLEY_BENCH_UPLOAD_JOIN") != ""
	e := newEnv(t, func(c *server.Config) {
		if join {
			local, err := files.OpenLocal(filepath.Join(t.TempDir(), "files"))
			if err != nil {
				t.Fatal(err)
			}
			c.Media.Files = struct{ files.Store }{local}
		}
	})
	_, tok := e.register("bench")
	data := make([]byte, benchFileBytes)
	rand.Read(data)
	raw := newRawPutServer(t)
	// Alternating, so that both see the same load on a shared machine.
	const rounds = 5
	var ratios []float64
	for i := range rounds {
		began := time.Now()
		if done := e.upload(tok, "big.bin", "", data); done.Size != benchFileBytes {
			t.Fatalf("size %d", done.Size)
		}
		apiTime := time.Since(began)
		began = time.Now()
		raw.put(t, data)
		rawTime := time.Since(began)
		ratios = append(ratios, rawTime.Seconds()/apiTime.Seconds())
		t.Logf("round %d: upload API %.0f MB/s, raw PUT %.0f MB/s, ratio %.0f%%", i+1,
			benchFileBytes/apiTime.Seconds()/1e6, benchFileBytes/rawTime.Seconds()/1e6, 100*ratios[i])
	}
	slices.Sort(ratios)
	t.Logf("median ratio %.0f%% (range %.0f%%–%.0f%%)", 100*ratios[rounds/2], 100*ratios[0], 100*ratios[rounds-1])
}

// rawPutServer takes one HTTP PUT and streams its body into a
// files.Local: the baseline of TestUploadThroughput.
type rawPutServer struct{ hs *httptest.Server }

func newRawPutServer(t testing.TB) *rawPutServer {
	st, err := files.OpenLocal(filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "raw/" + strconv.FormatInt(n.Add(1), 10)
		if err := st.Put(r.Context(), key, r.Body, r.ContentLength); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hs.Close)
	return &rawPutServer{hs: hs}
}

func (s *rawPutServer) put(t testing.TB, data []byte) {
	req, err := http.NewRequest(http.MethodPut, s.hs.URL+"/", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("put: %s", res.Status)
	}
}

// BenchmarkRawPut100MB is the baseline alone: 100 MB in one HTTP PUT
// over loopback, streamed straight into a files.Local.
func BenchmarkRawPut100MB(b *testing.B) {
	raw := newRawPutServer(b)
	data := make([]byte, benchFileBytes)
	rand.Read(data)
	b.SetBytes(benchFileBytes)
	b.ResetTimer()
	for range b.N {
		raw.put(b, data)
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
