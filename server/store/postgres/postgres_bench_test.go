package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"parley/protocol"
	"parley/server/store"
)

// The same benchmark as the SQLite store's BenchmarkAppendMessages, so the
// two can be compared (docs/scaling.md).

var benchContent = json.RawMessage(`{"text":"` + strings.Repeat("x", 100) + `"}`)

// BenchmarkAppendMessages appends batches of one-to-one messages spread
// over 100 pairs; batch 1 is a lone send, 256 the committer's largest batch.
func BenchmarkAppendMessages(b *testing.B) {
	base := testURL(b)
	for _, batch := range []int{1, 16, 256} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) {
			ctx := context.Background()
			u, err := TestSchema(ctx, base, b.Cleanup)
			if err != nil {
				b.Fatal(err)
			}
			st, err := Open(ctx, u)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var users []string
			for i := range 200 {
				users = append(users, "u"+strconv.Itoa(i))
				if err := st.CreateUser(ctx, &store.User{UserID: users[i], CreateTime: 1}); err != nil {
					b.Fatal(err)
				}
			}
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				msgs := make([]store.NewMessage, batch)
				for j := range msgs {
					p := n % 100
					msgs[j] = store.NewMessage{ClientMsgID: "c" + strconv.Itoa(n), ServerMsgID: "s" + strconv.Itoa(n),
						SendID: users[2*p], RecvID: users[2*p+1], ContentType: protocol.ContentText, Content: benchContent,
						SendTime: int64(1_790_000_000_000 + n)}
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
		})
	}
}
