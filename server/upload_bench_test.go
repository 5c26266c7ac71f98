package server_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

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
