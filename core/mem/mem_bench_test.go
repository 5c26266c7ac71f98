package mem

import (
	"context"
	"strconv"
	"testing"

	"parley/core"
	"parley/protocol"
)

// BenchmarkApply stores a batch of 500 pulled messages and their
// conversation, the write the sync engine makes per pulled page (the
// memory store: the floor under the IndexedDB store's cost).
func BenchmarkApply500(b *testing.B) {
	s := New()
	defer s.Close()
	ctx := context.Background()
	conv := protocol.SingleConversationID("me", "peer")
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		ch := &core.Changes{}
		for range 500 {
			n++
			ch.Messages = append(ch.Messages, core.Message{
				ClientMsgID: "c" + strconv.Itoa(n), ConversationID: conv, Seq: int64(n),
				SendID: "peer", RecvID: "me", SessionType: protocol.SessionSingle,
				ContentType: protocol.ContentText, Text: "hello there, a benchmark message", Status: core.StatusSent,
			})
		}
		ch.Conversations = []core.Conversation{{ConversationID: conv, SessionType: protocol.SessionSingle, UserID: "peer", MaxSeq: int64(n), LocalMaxSeq: int64(n), MinSeq: 1}}
		cursor := int64(n)
		ch.Cursor = &cursor
		if err := s.Apply(ctx, ch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
