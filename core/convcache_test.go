package core_test

import (
	"context"
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
