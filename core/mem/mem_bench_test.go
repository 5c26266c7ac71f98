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

// BenchmarkSearch100kKeyword: a keyword matching 1,000 of 100,000
// messages, first page of 20, every match counted (the floor under the
// IndexedDB store's search).
func BenchmarkSearch100kKeyword(b *testing.B) {
	s := New()
	defer s.Close()
	ctx := context.Background()
	ch := &core.Changes{}
	for i := range 100_000 {
		text := "message " + strconv.Itoa(i) + " about the weekly plan, 会議の議事録"
		if i%100 == 7 {
			text += " Needle"
		}
		ch.Messages = append(ch.Messages, core.Message{
			ClientMsgID: "s" + strconv.Itoa(i), ConversationID: "si_a_u" + strconv.Itoa(i%100), Seq: int64(i/100 + 1),
			SendID: "a", RecvID: "u", SessionType: protocol.SessionSingle, ContentType: protocol.ContentText,
			Text: text, SendTime: int64(1_700_000_000_000 + i), Status: core.StatusSent,
		})
	}
	if err := s.Apply(ctx, ch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		total, ms, err := s.SearchMessages(ctx, core.SearchQuery{Keyword: "needle", Count: 20})
		if err != nil || total != 1000 || len(ms) != 20 {
			b.Fatal(total, len(ms), err)
		}
	}
}
