package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/server"
	"parley/server/files"
)

// A 10 MiB file sent with parleyd's default settings reports its upload at
// least every 5% (issue 12): 20 or more messageProgress events, never
// going back, the last with every byte, all before its sent status.
func TestUploadProgressEveryFivePercent(t *testing.T) {
	e := newEnv(t, withChunks(t, 0))
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	data := make([]byte, 10<<20)
	rand.Read(data)
	m, err := a.c.CreateFileMessage(core.File{Name: "ten.bin", Type: "application/octet-stream", Data: core.ByteSlice(data)}, "")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	sent, err := a.c.SendMessage(ctx, m, "bob", "")
	require.NoError(t, err)
	require.Equal(t, core.StatusSent, sent.Status)

	// SendMessage resolves as the writer announces the status: the
	// recorder may hear it a moment later.
	a.waitFor("sent announced", func() bool {
		for _, ev := range a.events {
			if ev, ok := ev.(core.MessageStatusChanged); ok && ev.Message.ClientMsgID == m.ClientMsgID && ev.Message.Status == core.StatusSent {
				return true
			}
		}
		return false
	})
	var progress []core.MessageProgress
	sentAt := -1
	a.mu.Lock()
	for _, ev := range a.events {
		switch ev := ev.(type) {
		case core.MessageProgress:
			if ev.ClientMsgID == m.ClientMsgID {
				require.Equal(t, -1, sentAt, "progress after sent")
				progress = append(progress, ev)
			}
		case core.MessageStatusChanged:
			if ev.Message.ClientMsgID == m.ClientMsgID && ev.Message.Status == core.StatusSent {
				sentAt = len(progress)
			}
		}
	}
	a.mu.Unlock()
	require.NotEqual(t, -1, sentAt, "sent announced")
	require.GreaterOrEqual(t, len(progress), 20, "at least one event per 5%%")
	for i, p := range progress {
		assert.Equal(t, int64(len(data)), p.BytesTotal)
		if i > 0 {
			assert.GreaterOrEqual(t, p.BytesSent, progress[i-1].BytesSent, "event %d goes back", i)
			assert.LessOrEqual(t, p.BytesSent-progress[i-1].BytesSent, int64(len(data))/20, "event %d jumps more than 5%%", i)
		}
	}
	assert.Equal(t, int64(len(data)), progress[len(progress)-1].BytesSent, "the last event has every byte")
}

// TestSDKUploadThroughput measures (it checks no speed) a 100 MiB file
// sent by the SDK (core over net/http) through a file message to parleyd
// on loopback, against one raw HTTP PUT of the same bytes streamed into a
// files.Local, alternating, for docs/benchmarks.md:
//
//	PARLEY_BENCH_UPLOAD=1 go test -count=1 -run TestSDKUploadThroughput -v ./e2e/
func TestSDKUploadThroughput(t *testing.T) {
	if os.Getenv("PARLEY_BENCH_UPLOAD") == "" {
		t.Skip("set PARLEY_BENCH_UPLOAD=1 to measure")
	}
	const size = 100 << 20
	e := newEnv(t, func(c *server.Config) {
		withChunks(t, 0)(c)
		c.Media.QuotaBytes = 100 * size
	})
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	data := make([]byte, size)
	rand.Read(data)
	raw := rawPut(t)
	const rounds = 5
	var ratios []float64
	for i := range rounds {
		m, err := a.c.CreateFileMessage(core.File{Name: "big.bin", Type: "application/octet-stream", Data: core.ByteSlice(data)}, "")
		require.NoError(t, err)
		began := time.Now()
		_, err = a.c.SendMessage(context.Background(), m, "bob", "")
		require.NoError(t, err)
		sdk := time.Since(began)
		began = time.Now()
		raw(data)
		put := time.Since(began)
		ratios = append(ratios, put.Seconds()/sdk.Seconds())
		t.Logf("round %d: SDK %.0f MB/s, raw PUT %.0f MB/s, ratio %.0f%%", i+1, size/sdk.Seconds()/1e6, size/put.Seconds()/1e6, 100*ratios[i])
	}
	slices.Sort(ratios)
	t.Logf("median ratio %.0f%% (range %.0f%%–%.0f%%)", 100*ratios[rounds/2], 100*ratios[0], 100*ratios[rounds-1])
}

// rawPut starts a server that streams one PUT's body into a files.Local
// and returns a function that PUTs data to it.
func rawPut(t *testing.T) func([]byte) {
	st, err := files.OpenLocal(filepath.Join(t.TempDir(), "raw"))
	require.NoError(t, err)
	var n atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := st.Put(r.Context(), "raw/"+strconv.FormatInt(n.Add(1), 10), r.Body, r.ContentLength); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hs.Close)
	return func(data []byte) {
		req, err := http.NewRequest(http.MethodPut, hs.URL+"/", bytes.NewReader(data))
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusNoContent, res.StatusCode)
	}
}
