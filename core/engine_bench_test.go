package core

import (
	"encoding/json"
	"strconv"
	"testing"

	"parley/protocol"
)

// Benchmarks of the sync engine's fold: decoded frames in, the batch to
// store and the events out. It runs for every push and every pulled page,
// in the browser too, so its cost is paid by every user.

func benchProtoMsg(conv string, peer string, seq int) protocol.Message {
	return protocol.Message{
		ClientMsgID:    conv + "-" + strconv.Itoa(seq),
		ServerMsgID:    "s" + strconv.Itoa(seq),
		ConversationID: conv,
		Seq:            int64(seq),
		SendID:         peer,
		RecvID:         "me",
		SessionType:    protocol.SessionSingle,
		ContentType:    protocol.ContentText,
		Content:        json.RawMessage(`{"text":"hello there, this is a benchmark message of about a hundred bytes in length....."}`),
		SendTime:       1_790_000_000_000 + int64(seq),
	}
}

// BenchmarkFoldPull folds one 500-message pull answer into a conversation
// that has none of them yet (the catch-up path).
func BenchmarkFoldPull500(b *testing.B) {
	conv := protocol.SingleConversationID("me", "peer")
	var in foldInput
	for seq := 1; seq <= 500; seq++ {
		in.Messages = append(in.Messages, benchProtoMsg(conv, "peer", seq))
	}
	l := localState{
		Self:   "me",
		Convs:  map[string]*Conversation{conv: {ConversationID: conv, SessionType: protocol.SessionSingle, UserID: "peer", MinSeq: 1, MaxSeq: 500}},
		Msgs:   map[string]Message{},
		Outbox: map[string]bool{},
	}
	b.ReportAllocs()
	for b.Loop() {
		res := fold(l, in)
		if len(res.Changes.Messages) != 500 {
			b.Fatalf("stored %d messages", len(res.Changes.Messages))
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkFoldSyncPage folds one sync page of 200 changed conversations,
// each with its latest message, into a store that knows them all.
func BenchmarkFoldSyncPage200(b *testing.B) {
	var in foldInput
	l := localState{Self: "me", Convs: map[string]*Conversation{}, Msgs: map[string]Message{}, Outbox: map[string]bool{}}
	for i := range 200 {
		peer := "p" + strconv.Itoa(i)
		conv := protocol.SingleConversationID("me", peer)
		m := benchProtoMsg(conv, peer, 10)
		in.States = append(in.States, protocol.ConversationState{
			ConversationID: conv, SessionType: protocol.SessionSingle, PeerUserID: peer,
			MaxSeq: 10, MinSeq: 1, Version: int64(i + 1), UpdatedAt: m.SendTime, LatestMessage: &m,
		})
		l.Convs[conv] = &Conversation{ConversationID: conv, SessionType: protocol.SessionSingle, UserID: peer, MinSeq: 1, MaxSeq: 5, LocalMaxSeq: 5}
	}
	cursor := int64(200)
	in.Cursor = &cursor
	b.ReportAllocs()
	for b.Loop() {
		res := fold(l, in)
		if len(res.Changes.Conversations) != 200 {
			b.Fatalf("changed %d conversations", len(res.Changes.Conversations))
		}
	}
}

// BenchmarkFoldPush folds one pushed message, the live path.
func BenchmarkFoldPush(b *testing.B) {
	conv := protocol.SingleConversationID("me", "peer")
	in := foldInput{Messages: []protocol.Message{benchProtoMsg(conv, "peer", 11)}}
	l := localState{
		Self:   "me",
		Convs:  map[string]*Conversation{conv: {ConversationID: conv, SessionType: protocol.SessionSingle, UserID: "peer", MinSeq: 1, MaxSeq: 10, LocalMaxSeq: 10}},
		Msgs:   map[string]Message{},
		Outbox: map[string]bool{},
	}
	b.ReportAllocs()
	for b.Loop() {
		res := fold(l, in)
		if len(res.New) != 1 {
			b.Fatalf("announced %d messages", len(res.New))
		}
	}
}
