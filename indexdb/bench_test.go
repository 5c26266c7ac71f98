//go:build js

package indexdb

import (
	"context"
	"strconv"
	"testing"

	"parley/core"
)

func benchStore(b *testing.B) *Store {
	s, err := Open(context.Background(), "bench"+strconv.Itoa(b.N)+b.Name(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchBatch(from, n int) *core.Changes {
	ch := &core.Changes{}
	for i := from; i < from+n; i++ {
		m := msg(int64(i), "b"+strconv.Itoa(i), int64(i))
		ch.Messages = append(ch.Messages, m)
	}
	latest := ch.Messages[len(ch.Messages)-1]
	ch.Conversations = []core.Conversation{{ConversationID: "si_a_b", LatestMessage: &latest, MaxSeq: int64(from + n - 1)}}
	cur := int64(from + n)
	ch.Cursor = &cur
	return ch
}

// BenchmarkApply100 writes one sync page of 100 messages, a conversation
// and the cursor in one transaction.
func BenchmarkApply100(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Apply(ctx, benchBatch(i*100+1, 100)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply1 writes one message (a send or a push).
func BenchmarkApply1(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Apply(ctx, benchBatch(i+1, 1)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHistory50 reads a page of 50 messages from a conversation of
// 2000.
func BenchmarkHistory50(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if err := s.Apply(ctx, benchBatch(i*100+1, 100)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ms, err := s.MessagesBySeq(ctx, "si_a_b", 1951, 2000)
		if err != nil || len(ms) != 50 {
			b.Fatal(len(ms), err)
		}
	}
}

// BenchmarkConversations reads the whole conversation list of 200.
func BenchmarkConversations200(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	ch := &core.Changes{}
	for i := 0; i < 200; i++ {
		m := msg(1, "c"+strconv.Itoa(i), 1)
		ch.Conversations = append(ch.Conversations, core.Conversation{ConversationID: "si_a_u" + strconv.Itoa(i), LatestMessage: &m, UpdatedAt: int64(i)})
	}
	if err := s.Apply(ctx, ch); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cs, err := s.Conversations(ctx)
		if err != nil || len(cs) != 200 {
			b.Fatal(len(cs), err)
		}
	}
}

// BenchmarkUsers1000 reads 1,000 cached profiles by ID (the peers of a
// whole conversation list).
func BenchmarkUsers1000(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	ch := &core.Changes{}
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = "u" + strconv.Itoa(i)
		ch.Users = append(ch.Users, core.User{UserID: ids[i], Nickname: "User " + strconv.Itoa(i), FaceURL: "https://example.com/" + ids[i]})
	}
	if err := s.Apply(ctx, ch); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		us, err := s.Users(ctx, ids)
		if err != nil || len(us) != 1000 {
			b.Fatal(len(us), err)
		}
	}
}
