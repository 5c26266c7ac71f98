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

// searchBenchStore is a store of 100,000 messages in 100 conversations,
// 1% of them holding "Needle", filled once per run (each round of a
// benchmark reopens the same database).
func searchBenchStore(b testing.TB) *Store {
	ctx := context.Background()
	s, err := Open(ctx, "benchSearch100k", Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if total, _, err := s.SearchMessages(ctx, core.SearchQuery{Count: 1}); err != nil || total == 100_000 {
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	const batch = 2000
	for from := 0; from < 100_000; from += batch {
		ch := &core.Changes{}
		for i := from; i < from+batch; i++ {
			m := msg(int64(i/100+1), "s"+strconv.Itoa(i), int64(i))
			m.ConversationID = "si_a_u" + strconv.Itoa(i%100)
			m.SendTime = int64(1_700_000_000_000 + i)
			m.Text = "message " + strconv.Itoa(i) + " about the weekly plan, 会議の議事録"
			if i%100 == 7 {
				m.Text += " Needle"
			}
			ch.Messages = append(ch.Messages, m)
		}
		if err := s.Apply(ctx, ch); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// searchNeedle searches for the keyword of 1,000 of the 100,000 messages,
// first page of 20, every match counted.
func searchNeedle(b *testing.B, s *Store) {
	total, ms, err := s.SearchMessages(context.Background(), core.SearchQuery{Keyword: "needle", Count: 20})
	if err != nil || total != 1000 || len(ms) != 20 {
		b.Fatal(total, len(ms), err)
	}
}

// BenchmarkSearch100kFirst: the first search of an opened store, which
// loads the search records into memory.
func BenchmarkSearch100kFirst(b *testing.B) {
	searchBenchStore(b).Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := Open(context.Background(), "benchSearch100k", Config{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		searchNeedle(b, s)
		s.Close()
	}
}

// BenchmarkSearch100kKeyword: a later search, nothing written between.
func BenchmarkSearch100kKeyword(b *testing.B) {
	s := searchBenchStore(b)
	searchNeedle(b, s)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		searchNeedle(b, s)
	}
}

// BenchmarkSearch100kAfterWrite: a search after a message was stored
// (timed: the write and the search).
func BenchmarkSearch100kAfterWrite(b *testing.B) {
	s := searchBenchStore(b)
	searchNeedle(b, s)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := msg(1, "s3", 3) // rewrites one that exists: the totals stay
		m.ConversationID, m.SendTime, m.Text = "si_a_u3", 1_700_000_000_003, "message 3 about the weekly plan, 会議の議事録"
		if err := s.Apply(context.Background(), &core.Changes{Messages: []core.Message{m}}); err != nil {
			b.Fatal(err)
		}
		searchNeedle(b, s)
	}
}

// BenchmarkSearch100kConversation: a keyword matching every message,
// within one conversation of 1,000.
func BenchmarkSearch100kConversation(b *testing.B) {
	s := searchBenchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		total, ms, err := s.SearchMessages(ctx, core.SearchQuery{Keyword: "議事録", ConversationID: "si_a_u3", Count: 20})
		if err != nil || total != 1000 || len(ms) != 20 {
			b.Fatal(total, len(ms), err)
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
