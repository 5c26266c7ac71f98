package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server"
	"parley/server/store/sqlite"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {90, 90}, {99, 99}, {100, 100}, {0.1, 1}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("percentile of one sample = %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile of none = %v", got)
	}
	sum := summarize(latencies{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond})
	if sum.Count != 3 || sum.P50 != 2 || sum.Max != 3 || sum.Mean != 2 {
		t.Errorf("summarize = %+v", sum)
	}
}

// TestScenarios runs every scenario, small, against an in-process parleyd
// on 127.0.0.1 and checks that what it reports adds up. It asserts counts,
// never speed.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and hundreds of connections")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	require.NoError(t, err)
	srv, err := server.New(ctx, server.Config{Store: st, AdminSecret: "secret", BcryptCost: 4})
	if err != nil {
		st.Close()
		require.NoError(t, err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer func() {
		sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		assert.NoError(t, srv.Shutdown(sctx))
		hs.Close()
		assert.NoError(t, st.Close())
	}()

	runJSON := func(t *testing.T, args ...string) *result {
		t.Helper()
		var out bytes.Buffer
		args = append([]string{"-server", hs.URL, "-admin-secret", "secret", "-json", "-timeout", "2m"}, args...)
		if err := run(args, &out, io.Discard); err != nil {
			t.Fatalf("parley-bench %v: %v", args, err)
		}
		var r result
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out.String())
		}
		return &r
	}
	metric := func(t *testing.T, r *result, name string) float64 {
		t.Helper()
		for _, m := range r.Metrics {
			if m.Name == name {
				return m.Value
			}
		}
		t.Fatalf("no metric %q in %+v", name, r.Metrics)
		return 0
	}

	t.Run("idle", func(t *testing.T) {
		r := runJSON(t, "-scenario", "idle", "-conns", "20", "-hold", "10ms")
		if got := metric(t, r, "connections opened"); got != 20 {
			t.Errorf("opened %v connections", got)
		}
		if got := metric(t, r, "server connections (gauge)"); got != 20 {
			t.Errorf("server counted %v connections", got)
		}
	})
	for _, rate := range []string{"0", "200"} {
		t.Run("direct rate="+rate, func(t *testing.T) {
			r := runJSON(t, "-scenario", "direct", "-pairs", "3", "-rate", rate, "-duration", "300ms")
			stored, recv := metric(t, r, "messages stored (acked)"), metric(t, r, "deliveries received")
			if stored == 0 || recv != stored || metric(t, r, "failed sends") != 0 {
				t.Errorf("stored %v, received %v, failed %v", stored, recv, metric(t, r, "failed sends"))
			}
			if got := r.Latencies["send→receipt"].Count; float64(got) != recv {
				t.Errorf("%d latency samples for %v deliveries", got, recv)
			}
		})
	}
	for _, sc := range []string{"pipeline", "sequential"} {
		t.Run(sc, func(t *testing.T) {
			r := runJSON(t, "-scenario", sc, "-count", "150")
			assert.Equal(t, 150.0, metric(t, r, "messages stored (acked)"))
			assert.Equal(t, 150.0, metric(t, r, "deliveries received"))
			assert.Zero(t, metric(t, r, "failed sends"))
			assert.Equal(t, 150, r.Latencies["send→receipt"].Count)
		})
	}
	t.Run("group", func(t *testing.T) {
		r := runJSON(t, "-scenario", "group", "-members", "5", "-senders", "2", "-duration", "300ms")
		stored, recv := metric(t, r, "messages stored (acked)"), metric(t, r, "deliveries received")
		if stored == 0 || recv != 4*stored {
			t.Errorf("stored %v, received %v, want 4 deliveries each", stored, recv)
		}
		if got := r.Latencies["send→last member"].Count; float64(got) != stored {
			t.Errorf("%d messages reached every member, want %v", got, stored)
		}
	})
	t.Run("group online reads", func(t *testing.T) {
		// 130 members: the group is created with 100 and grown by invites;
		// 6 online, 2 sending, the 4 others reading after every 2 messages.
		r := runJSON(t, "-scenario", "group", "-members", "130", "-online", "6", "-senders", "2", "-reads", "2", "-rate", "100", "-duration", "300ms")
		stored, recv := metric(t, r, "messages stored (acked)"), metric(t, r, "deliveries received")
		if stored == 0 || recv != 5*stored {
			t.Errorf("stored %v, received %v, want 5 deliveries each", stored, recv)
		}
		if got := r.Latencies["send→last member"].Count; float64(got) != stored {
			t.Errorf("%d messages reached every online member, want %v", got, stored)
		}
		reads := metric(t, r, "reads sent (conversation.markRead)")
		if reads == 0 || metric(t, r, "reads answered") != reads || metric(t, r, "reads failed") != 0 {
			t.Errorf("reads sent %v, answered %v, failed %v", reads, metric(t, r, "reads answered"), metric(t, r, "reads failed"))
		}
		if metric(t, r, "push.readCounts received by senders") == 0 {
			t.Error("no push.readCounts reached a sender")
		}
		if got := metric(t, r, "server pushes queued: push.message"); got != recv {
			t.Errorf("server queued %v push.message, the members received %v", got, recv)
		}
		assert.Empty(t, r.Notes)
	})
	t.Run("group bad flags", func(t *testing.T) {
		for _, args := range [][]string{
			{"-members", "5", "-online", "6"},
			{"-members", "5", "-online", "3", "-senders", "4"},
			{"-members", "5", "-reads", "-1"},
		} {
			args = append([]string{"-scenario", "group", "-server", hs.URL, "-admin-secret", "secret"}, args...)
			if err := run(args, io.Discard, io.Discard); err == nil {
				t.Errorf("%v accepted", args)
			}
		}
	})
	for _, compress := range []string{"false", "true"} {
		t.Run("catchup compress="+compress, func(t *testing.T) {
			r := runJSON(t, "-scenario", "catchup", "-conversations", "30", "-changed", "5", "-per-conv", "120", "-compress="+compress)
			if got := metric(t, r, "catch-up: messages received"); got != 600 {
				t.Errorf("caught up %v messages, want 600", got)
			}
			if got := metric(t, r, "catch-up: conversations changed (listed by sync)"); got != 5 {
				t.Errorf("sync listed %v changed conversations, want 5", got)
			}
			if len(r.Notes) > 0 {
				t.Errorf("notes: %v", r.Notes)
			}
			if got := metric(t, r, "catch-up: server time, /ws upgrade"); got <= 0 {
				t.Errorf("server time of the upgrade %v ms", got)
			}
			if got := metric(t, r, "catch-up: server time, sync requests"); got <= 0 {
				t.Errorf("server time of the sync requests %v ms", got)
			}
			if got := metric(t, r, "catch-up: server time, pull requests"); got <= 0 {
				t.Errorf("server time of the pull requests %v ms", got)
			}
			if got, in := metric(t, r, "catch-up: bytes on the wire (both ways)"), metric(t, r, "catch-up: bytes received"); got <= in {
				t.Errorf("bytes both ways %v, received alone %v", got, in)
			}
		})
	}
	t.Run("seed twice", func(t *testing.T) {
		for range 2 {
			r := runJSON(t, "-scenario", "seed", "-prefix", "s", "-conversations", "4", "-per-conv", "3")
			if got := metric(t, r, "messages stored"); got != 12 {
				t.Errorf("stored %v, want 12", got)
			}
			if r.Params["token"] == "" || r.Params["userID"] != "s-u" {
				t.Errorf("params %v", r.Params)
			}
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		if err := run([]string{"-scenario", "nope", "-admin-secret", "x"}, io.Discard, io.Discard); err == nil {
			t.Error("unknown scenario accepted")
		}
		if err := run([]string{"-scenario", "idle"}, io.Discard, io.Discard); err == nil && os.Getenv("PARLEY_ADMIN_SECRET") == "" {
			t.Error("missing admin secret accepted")
		}
	})
}
