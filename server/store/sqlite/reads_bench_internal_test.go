package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"parley/protocol"
	"parley/server/store"
)

// BenchmarkGroupReadRows is the store's side of one member's read in a
// 500-member group (what the server's markRead does: UpdateConversation,
// NoteGroupRead, ReadPositions), the read covering the newest messages of
// 10 senders. rowsWritten/op is SQLite's count of rows inserted, updated
// or deleted on the one writer connection: the cost does not grow with
// the group, which has one read position per member and none per message.
func BenchmarkGroupReadRows(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var members []string
	for i := range 500 {
		u := fmt.Sprint("m", i)
		if err := s.CreateUser(ctx, &store.User{UserID: u, CreateTime: 1}); err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			members = append(members, u)
		}
	}
	if _, err := s.CreateGroup(ctx, store.NewGroup{GroupID: "g", Name: "big", OwnerUserID: "m0", MemberUserIDs: members, CreateTime: 1}); err != nil {
		b.Fatal(err)
	}
	conv := protocol.GroupConversationID("g")
	n := 0
	send := func(k int) {
		for range k {
			n++
			nm := store.NewMessage{ClientMsgID: fmt.Sprint("c", n), ServerMsgID: fmt.Sprint("s", n), SendID: members[n%10],
				GroupID: "g", ContentType: protocol.ContentText, Content: []byte(`{"text":"hi"}`), SendTime: int64(n)}
			if _, err := s.AppendMessages(ctx, []store.NewMessage{nm}); err != nil {
				b.Fatal(err)
			}
		}
	}
	changes := func() int64 {
		var c int64
		if err := s.w.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&c); err != nil {
			b.Fatal(err)
		}
		return c
	}
	send(50)
	reader := "m499"
	readSeq := int64(0)
	var rows, pushes, positions int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		send(10) // one message from each of the 10 senders
		before := changes()
		b.StartTimer()
		st, _, err := s.UpdateConversation(ctx, reader, conv, store.ConversationChange{ReadSeq: new(int64)}, int64(n))
		if err != nil {
			b.Fatal(err)
		}
		_, versions, err := s.NoteGroupRead(ctx, conv, reader, readSeq, st.ReadSeq, protocol.MaxReadCounts)
		if err != nil {
			b.Fatal(err)
		}
		pos, err := s.ReadPositions(ctx, conv)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		readSeq = st.ReadSeq
		rows += changes() - before
		pushes += int64(len(versions))
		positions += int64(len(pos))
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/float64(b.N), "rowsWritten/op")
	b.ReportMetric(float64(pushes)/float64(b.N), "sendersPushed/op")
	b.ReportMetric(float64(positions)/float64(b.N), "positionsRead/op")
}
