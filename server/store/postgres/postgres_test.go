package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"parley/protocol"
	"parley/server/store"
	"parley/server/store/sqlite"
	"parley/server/store/storetest"
)

// testURL returns PARLEY_TEST_POSTGRES, or skips the test when it is unset.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("PARLEY_TEST_POSTGRES")
	if u == "" {
		t.Skip("PARLEY_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable); skipping PostgreSQL tests")
	}
	return u
}

// freshURL returns a URL of an empty schema of its own, dropped when the
// test ends, so that tests run in parallel and repeatedly without meeting.
func freshURL(t *testing.T) string {
	t.Helper()
	u, err := TestSchema(context.Background(), testURL(t), t.Cleanup)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func openFresh(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), freshURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
}

// TestReopen checks that migrations run once and data survives a reopen,
// and that nodes starting together migrate one after the other.
func TestReopen(t *testing.T) {
	testURL(t)
	t.Parallel()
	ctx := context.Background()
	u := freshURL(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 3)
	errs := make([]error, 3)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(ctx, u) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
	}
	if err := stores[0].CreateUser(ctx, &store.User{UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		s.Close()
	}
	s, err := Open(ctx, u)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.User(ctx, "u1"); err != nil {
		t.Fatalf("user lost: %v", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&n); err != nil || n != len(names) {
		t.Fatalf("schema_version rows = %d, %v; want one per migration (%d)", n, err, len(names))
	}
}

// TestConcurrentStores appends into one group and one direct conversation
// through several Stores at once (several nodes), in batches whose
// conversations and users overlap in different orders: every seq must be
// dense and unique and every change version distinct.
func TestConcurrentStores(t *testing.T) {
	testURL(t)
	t.Parallel()
	ctx := context.Background()
	u := freshURL(t)
	const nodes, batches, per = 3, 8, 6
	stores := make([]*Store, nodes)
	for i := range stores {
		s, err := Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	users := []string{"a", "b", "c", "d"}
	for _, id := range users {
		if err := stores[0].CreateUser(ctx, &store.User{UserID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := stores[0].CreateGroup(ctx, store.NewGroup{GroupID: "g", Name: "G", OwnerUserID: "a",
		MemberUserIDs: []string{"b", "c", "d"}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seqs := map[string][]int64{}
	var wg sync.WaitGroup
	for n, s := range stores {
		wg.Go(func() {
			for b := range batches {
				var msgs []store.NewMessage
				for i := range per {
					id := fmt.Sprintf("%d-%d-%d", n, b, i)
					from := users[(n+b+i)%len(users)]
					m := store.NewMessage{ClientMsgID: id, ServerMsgID: "s" + id, SendID: from,
						ContentType: protocol.ContentText, Content: []byte(`{}`), SendTime: 1}
					// Alternate the order of the two conversations.
					if (n+i)%2 == 0 {
						m.GroupID = "g"
					} else {
						m.RecvID = map[string]string{"a": "b", "b": "a", "c": "d", "d": "c"}[from]
					}
					msgs = append(msgs, m)
				}
				res, err := s.AppendMessages(ctx, msgs)
				if err != nil {
					t.Errorf("node %d: %v", n, err)
					return
				}
				mu.Lock()
				for _, r := range res {
					if r.Err != nil || r.Duplicate {
						t.Errorf("result %+v", r)
					}
					seqs[r.Message.ConversationID] = append(seqs[r.Message.ConversationID], r.Message.Seq)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := 0
	for conv, ss := range seqs {
		total += len(ss)
		seen := map[int64]bool{}
		for _, q := range ss {
			if q < 1 || q > int64(len(ss)) || seen[q] {
				t.Fatalf("%s: seqs %v not dense and unique", conv, ss)
			}
			seen[q] = true
		}
		ms, err := stores[0].Messages(ctx, conv, 1, 0, 1000, false)
		if err != nil || len(ms) != len(ss) {
			t.Fatalf("%s: stored %d of %d: %v", conv, len(ms), len(ss), err)
		}
	}
	if total != nodes*batches*per {
		t.Fatalf("%d results", total)
	}
	// Each user's versions are distinct: sync never skips a change.
	for _, id := range users {
		all, err := stores[1].ChangedConversations(ctx, id, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Version <= all[i-1].Version {
				t.Fatalf("%s: versions not increasing: %+v", id, all)
			}
		}
	}
}

// TestIdempotentAcrossStores sends one clientMsgID through two Stores at
// once: exactly one copy is stored and both get its seq.
func TestIdempotentAcrossStores(t *testing.T) {
	testURL(t)
	t.Parallel()
	ctx := context.Background()
	u := freshURL(t)
	a, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, id := range []string{"x", "y"} {
		if err := a.CreateUser(ctx, &store.User{UserID: id}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		id := fmt.Sprint("m", i)
		var wg sync.WaitGroup
		res := make([]store.AppendResult, 2)
		for k, s := range []*Store{a, b} {
			wg.Go(func() {
				r, err := s.AppendMessages(ctx, []store.NewMessage{{ClientMsgID: id, ServerMsgID: fmt.Sprint(id, "-", k),
					SendID: "x", RecvID: "y", ContentType: protocol.ContentText, Content: []byte(`{}`), SendTime: 1}})
				if err != nil {
					t.Error(err)
					return
				}
				res[k] = r[0]
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		if res[0].Message.Seq != int64(i+1) || res[1].Message.Seq != res[0].Message.Seq ||
			res[0].Message.ServerMsgID != res[1].Message.ServerMsgID || res[0].Duplicate == res[1].Duplicate {
			t.Fatalf("round %d: %+v / %+v", i, res[0], res[1])
		}
	}
}

// TestSyncUsesVersionIndex guards the promise that a catch-up costs in
// proportion to the changes: the sync query can search the
// (user_id, version) index rather than scan the user's conversations.
func TestSyncUsesVersionIndex(t *testing.T) {
	testURL(t)
	t.Parallel()
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// An empty table is cheaper to scan; the question is whether the
	// index serves the query at all.
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, "EXPLAIN "+changedQuery, "u", int64(0), 10)
	if err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "user_conversations_version on user_conversations uc") {
		t.Fatalf("plan does not use user_conversations_version:\n%s", plan.String())
	}
}

func TestOpenBadURL(t *testing.T) {
	if _, err := Open(context.Background(), "postgres://u:secret@[bad/x"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %v", err)
	}
}

// TestSameAsSQLite appends the same mixed batches (direct, group, to
// oneself, duplicates in and across batches, non-members) to this store
// and to the SQLite store, which writes them with other statements:
// results, states, seqs and versions must come out identical.
func TestSameAsSQLite(t *testing.T) {
	testURL(t)
	t.Parallel()
	ctx := context.Background()
	pg := openFresh(t)
	defer pg.Close()
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
	for _, s := range []store.Store{pg, lite} {
		for _, u := range users {
			if err := s.CreateUser(ctx, &store.User{UserID: u}); err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range []store.NewGroup{
			{GroupID: "g1", OwnerUserID: "u0", MemberUserIDs: []string{"u1", "u2"}, CreateTime: 1},
			{GroupID: "g2", OwnerUserID: "u2", MemberUserIDs: []string{"u3", "u4", "u5"}, CreateTime: 2},
		} {
			if _, err := s.CreateGroup(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	at := int64(100)
	for batch := range 40 {
		var msgs []store.NewMessage
		for range 1 + rng.IntN(12) {
			at++
			from := users[rng.IntN(len(users))]
			// Client IDs repeat now and then: duplicates in and across batches.
			id := fmt.Sprint("c", rng.IntN(60))
			m := store.NewMessage{ClientMsgID: id, ServerMsgID: fmt.Sprint("s", at), SendID: from,
				ContentType: protocol.ContentText, Content: []byte(fmt.Sprintf(`{"n":%d}`, at)), SendTime: at, CreateTime: at - 1}
			switch rng.IntN(3) {
			case 0:
				m.GroupID = []string{"g1", "g2"}[rng.IntN(2)] // sometimes from a non-member
			default:
				m.RecvID = users[rng.IntN(len(users))] // sometimes oneself
			}
			msgs = append(msgs, m)
		}
		rp, err := pg.AppendMessages(ctx, msgs)
		if err != nil {
			t.Fatal(err)
		}
		rl, err := lite.AppendMessages(ctx, msgs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range msgs {
			p, l := rp[i], rl[i]
			if (p.Err == nil) != (l.Err == nil) || p.Duplicate != l.Duplicate || p.Message.Seq != l.Message.Seq ||
				p.Message.ServerMsgID != l.Message.ServerMsgID || p.Message.ConversationID != l.Message.ConversationID ||
				!slices.Equal(slices.Sorted(slices.Values(p.Recipients)), slices.Sorted(slices.Values(l.Recipients))) {
				t.Fatalf("batch %d message %d: postgres %+v, sqlite %+v", batch, i, p, l)
			}
		}
	}
	for _, u := range users {
		p, err := pg.ChangedConversations(ctx, u, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		l, err := lite.ChangedConversations(ctx, u, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != len(l) {
			t.Fatalf("%s: %d conversations in postgres, %d in sqlite", u, len(p), len(l))
		}
		for i := range p {
			a, b := p[i], l[i]
			if a.LatestMessage == nil || b.LatestMessage == nil {
				if a.LatestMessage != b.LatestMessage {
					t.Fatalf("%s: latest %+v / %+v", u, a.LatestMessage, b.LatestMessage)
				}
			} else if a.LatestMessage.ServerMsgID != b.LatestMessage.ServerMsgID || string(a.LatestMessage.Content) != string(b.LatestMessage.Content) {
				t.Fatalf("%s: latest %+v / %+v", u, a.LatestMessage, b.LatestMessage)
			}
			a.LatestMessage, b.LatestMessage = nil, nil
			if a != b {
				t.Fatalf("%s: state\npostgres %+v\nsqlite   %+v", u, a, b)
			}
		}
	}
}

// TestTxRetriesDeadlock makes two transactions lock two rows in opposite
// orders: PostgreSQL aborts one with a deadlock, and tx runs it again, so
// both succeed.
func TestTxRetriesDeadlock(t *testing.T) {
	testURL(t)
	t.Parallel()
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	for _, id := range []string{"a", "b"} {
		if err := s.CreateUser(ctx, &store.User{UserID: id}); err != nil {
			t.Fatal(err)
		}
	}
	var attempts atomic.Int32
	var first sync.WaitGroup // both hold their first lock
	first.Add(2)
	var once [2]sync.Once
	run := func(k int, order [2]string) error {
		return s.tx(ctx, func(tx pgx.Tx) error {
			attempts.Add(1)
			if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE`, order[0]); err != nil {
				return err
			}
			once[k].Do(func() { first.Done(); first.Wait() })
			_, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE`, order[1])
			return err
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = run(0, [2]string{"a", "b"}) })
	wg.Go(func() { errs[1] = run(1, [2]string{"b", "a"}) })
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors %v", errs)
	}
	if n := attempts.Load(); n < 3 {
		t.Fatalf("%d attempts: no deadlock was retried", n)
	}
	if !retryable(&pgconn.PgError{Code: "40P01"}) || retryable(&pgconn.PgError{Code: "23505"}) {
		t.Fatal("retryable")
	}
}
