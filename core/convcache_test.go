package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"parley/core"
	"parley/core/mem"
	"parley/core/storetest"
)

// The session keeps conversations in memory over its store: the pair must
// still be a Store, reopened or not.
func TestConvCacheConformance(t *testing.T) {
	t.Run("lazy", func(t *testing.T) { convCacheConformance(t, false) })
	// Loaded at open, so every read after it is served from memory.
	t.Run("loaded", func(t *testing.T) { convCacheConformance(t, true) })
}

func convCacheConformance(t *testing.T, load bool) {
	var mu sync.Mutex
	stores := map[string]*mem.Store{}
	storetest.Run(t, func(t *testing.T, name string) core.Store {
		mu.Lock()
		defer mu.Unlock()
		key := t.Name() + "/" + name
		s, ok := stores[key]
		if ok {
			s = s.Reopen()
		} else {
			s = mem.New()
			stores[key] = s
		}
		cs := core.NewConvCache(s)
		if load {
			if _, err := cs.Conversations(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		return cs
	})
}

// slowStore holds its full conversation read until release is closed, and
// fails the Apply of a conversation called "fail".
type slowStore struct {
	*mem.Store
	reading chan struct{} // closed when the read started
	release chan struct{}
}

func (s *slowStore) Conversations(ctx context.Context) ([]core.Conversation, error) {
	close(s.reading)
	<-s.release
	return s.Store.Conversations(ctx)
}

func (s *slowStore) Apply(ctx context.Context, ch *core.Changes) error {
	for _, c := range ch.Conversations {
		if c.ConversationID == "fail" {
			return errors.New("write failed")
		}
	}
	return s.Store.Apply(ctx, ch)
}

// A load reads the store without holding off pages and writes: what is
// written while it reads ends up in the copy; a write that failed meanwhile
// makes the load fail rather than keep a copy that may differ from the
// store.
func TestConvCacheWritesDuringLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		write   string
		wantErr bool
	}{{"write", "b", false}, {"failed write", "fail", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := &slowStore{Store: mem.New(), reading: make(chan struct{}), release: make(chan struct{})}
			if err := st.Apply(ctx, &core.Changes{Conversations: []core.Conversation{{ConversationID: "a", UpdatedAt: 1}}}); err != nil {
				t.Fatal(err)
			}
			c := core.NewConvCache(st)
			type result struct {
				convs []core.Conversation
				err   error
			}
			done := make(chan result, 1)
			go func() {
				cs, err := c.Conversations(ctx)
				done <- result{cs, err}
			}()
			<-st.reading
			// Neither a page nor a write waits for the load.
			page, err := c.ConversationPage(ctx, 0, 1)
			if err != nil || len(page) != 1 || page[0].ConversationID != "a" {
				t.Fatalf("ConversationPage during the load = %+v, %v", page, err)
			}
			werr := c.Apply(ctx, &core.Changes{Conversations: []core.Conversation{
				{ConversationID: "a", UpdatedAt: 5, UnreadCount: 2},
				{ConversationID: tc.write, UpdatedAt: 3},
			}})
			if (werr != nil) != tc.wantErr {
				t.Fatalf("Apply = %v", werr)
			}
			close(st.release)
			r := <-done
			if tc.wantErr {
				if r.err == nil {
					t.Fatalf("Conversations after a failed write during the load = %+v, want an error", r.convs)
				}
				st.reading, st.release = make(chan struct{}), make(chan struct{})
				close(st.release)
				r.convs, r.err = c.Conversations(ctx) // loads again
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			want := []string{"a", "b"}
			if tc.wantErr {
				want = []string{"a"}
			}
			if len(r.convs) != len(want) {
				t.Fatalf("Conversations = %+v, want %v", r.convs, want)
			}
			for i, cv := range r.convs {
				if cv.ConversationID != want[i] {
					t.Fatalf("Conversations = %+v, want %v", r.convs, want)
				}
			}
			if tc.wantErr {
				return // mem applied nothing of the failed batch
			}
			if r.convs[0].UnreadCount != 2 {
				t.Errorf("a = %+v, want the write's record", r.convs[0])
			}
			page, err = c.ConversationPage(ctx, 0, 0)
			if err != nil || len(page) != 2 || page[0].ConversationID != "a" || page[1].ConversationID != "b" {
				t.Errorf("ConversationPage from the copy = %+v, %v", page, err)
			}
		})
	}
}
