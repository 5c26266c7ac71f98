package mem_test

import (
	"sync"
	"testing"

	"parley/core"
	"parley/core/mem"
	"parley/core/storetest"
)

func TestConformance(t *testing.T) {
	var mu sync.Mutex
	stores := map[string]*mem.Store{}
	storetest.Run(t, func(t *testing.T, name string) core.Store {
		mu.Lock()
		defer mu.Unlock()
		key := t.Name() + "/" + name
		if s, ok := stores[key]; ok {
			return s.Reopen()
		}
		s := mem.New()
		stores[key] = s
		return s
	})
}
