package sqlite_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"parley/protocol"
	"parley/server/store"
	"parley/server/store/sqlite"
)

// Benchmarks of the message store's hot paths: the committer's append
// (one transaction per batch, fsync included, as in production) and the
// range read behind pull.

func openBench(b *testing.B, users ...string) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	for _, u := range users {
		if err := st.CreateUser(ctx, &store.User{UserID: u, Nickname: u, CreateTime: 1}); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

var benchContent = json.RawMessage(`{"text":"` + strings.Repeat("x", 100) + `"}`)

func newMsg(from, to string, i int) store.NewMessage {
	return store.NewMessage{
		ClientMsgID: "c" + strconv.Itoa(i),
		ServerMsgID: "s" + strconv.Itoa(i),
		SendID:      from,
		RecvID:      to,
		ContentType: protocol.ContentText,
		Content:     benchContent,
		SendTime:    int64(1_790_000_000_000 + i),
	}
}

// BenchmarkAppendMessages appends batches of one-to-one messages spread
// over 100 pairs; batch 1 is a lone send, 256 the committer's largest batch.
func BenchmarkAppendMessages(b *testing.B) {
	for _, batch := range []int{1, 16, 256} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			var users []string
			for i := range 200 {
				users = append(users, "u"+strconv.Itoa(i))
			}
			st := openBench(b, users...)
			ctx := context.Background()
			n := 0
			b.ReportAllocs()
			cpu := cpuTime(b)
			for b.Loop() {
				msgs := make([]store.NewMessage, batch)
				for j := range msgs {
					p := n % 100
					msgs[j] = newMsg(users[2*p], users[2*p+1], n)
					n++
				}
				res, err := st.AppendMessages(ctx, msgs)
				if err != nil {
					b.Fatal(err)
				}
				if res[0].Err != nil || res[0].Duplicate {
					b.Fatalf("append: %+v", res[0])
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
			// CPU rather than wall time per message: on a shared machine
			// the fsync and the wait for a core vary more than the work.
			b.ReportMetric(float64(cpuTime(b)-cpu)/1e3/float64(n), "cpu-µs/msg")
		})
	}
}

// cpuTime returns the process's user and system CPU time so far, in ns.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkMessagesRange reads pages of a 10,000-message conversation.
func BenchmarkMessagesRange(b *testing.B) {
	st := openBench(b, "alice", "bob")
	ctx := context.Background()
	const total = 10_000
	for i := 0; i < total; i += 500 {
		msgs := make([]store.NewMessage, 500)
		for j := range msgs {
			msgs[j] = newMsg("alice", "bob", i+j)
		}
		if _, err := st.AppendMessages(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	conv := protocol.SingleConversationID("alice", "bob")
	for _, limit := range []int{20, 100, 500} {
		b.Run("limit="+strconv.Itoa(limit), func(b *testing.B) {
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				from := int64(1 + (i*limit)%(total-limit))
				got, err := st.Messages(ctx, conv, from, 0, limit, false)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != limit {
					b.Fatalf("got %d messages, want %d", len(got), limit)
				}
				i++
			}
			b.ReportMetric(float64(i*limit)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
