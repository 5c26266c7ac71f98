//go:build js

package indexdb

import (
	"context"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"

	"parley/core"
)

// Local search. Every searchable message (core.Searchable) has a record
// in the "search" store, keyed by its ClientMsgID: one string of what a
// search looks at, its fields joined by searchSep (searchRecord). A search
// reads the whole store with one getAll and joins it into one JS string
// (Array.prototype.join), so 100,000 messages cross into Go as one string
// instead of 100,000 objects, then matches in Go and reads only the page's
// messages. A scan it is, and it has to be: totalCount counts every match.
// docs/benchmarks.md has its cost.

const (
	storeSearch = "search"
	searchSep   = "\x00" // between a record's fields
	searchJoin  = "\x01" // between records in the joined string
)

// searchRecord is m's search record: ClientMsgID, SendTime,
// ConversationID, SendID, ContentType, SearchText. IDs hold no control
// characters (protocol.ValidID); the text has the two separators blanked.
func searchRecord(m *core.Message) string {
	t := strings.Map(func(r rune) rune {
		if r == 0 || r == 1 {
			return ' '
		}
		return r
	}, core.SearchText(m))
	return m.ClientMsgID + searchSep + strconv.FormatInt(m.SendTime, 10) + searchSep + m.ConversationID +
		searchSep + m.SendID + searchSep + m.ContentType + searchSep + t
}

// searchChanges are the search records ch writes (ClientMsgID, record) and
// the ClientMsgIDs whose records it removes.
func searchChanges(ch *core.Changes) (puts [][2]string, dels []any) {
	for i := range ch.Messages {
		m := &ch.Messages[i]
		if core.Searchable(m) {
			puts = append(puts, [2]string{m.ClientMsgID, searchRecord(m)})
		} else {
			dels = append(dels, m.ClientMsgID)
		}
	}
	for _, id := range ch.RemovedMessages {
		dels = append(dels, id)
	}
	return puts, dels
}

// putSearch writes search records in tx.
func putSearch(tx *idb.Transaction, puts [][2]string) error {
	if len(puts) == 0 {
		return nil
	}
	os, err := tx.ObjectStore(storeSearch)
	if err != nil {
		return err
	}
	for _, p := range puts {
		if _, err := os.PutKey(js.ValueOf(p[0]), js.ValueOf(p[1])); err != nil {
			return err
		}
	}
	return nil
}

// SearchMessages implements core.MessageSearcher.
func (s *Store) SearchMessages(ctx context.Context, q core.SearchQuery) (int, []core.Message, error) {
	var joined string
	err := s.all(ctx, "searchMessages", storeSearch, "", nil, func(arr js.Value) error {
		if arr.Length() > 0 {
			joined = arr.Call("join", searchJoin).String()
		}
		return nil
	})
	if err != nil || joined == "" {
		return 0, nil, err
	}
	sm := core.NewSearchMatcher(q)
	var hits []core.SearchHit
	for len(joined) > 0 {
		rec, rest, _ := strings.Cut(joined, searchJoin)
		joined = rest
		var f [6]string
		for i := 0; i < 5; i++ {
			f[i], rec, _ = strings.Cut(rec, searchSep)
		}
		f[5] = rec
		t, _ := strconv.ParseInt(f[1], 10, 64)
		if sm.Match(t, f[2], f[3], f[4], f[5]) {
			hits = append(hits, core.SearchHit{SendTime: t, ClientMsgID: f[0]})
		}
	}
	ms, err := s.Messages(ctx, core.SearchPage(hits, q.Offset, q.Count))
	return len(hits), ms, err
}

// indexSearch is schema step 7: the search store, filled from the
// messages already stored by a cursor inside the upgrade's transaction.
func indexSearch(db, tx js.Value) {
	db.Call("createObjectStore", storeSearch)
	dst := tx.Call("objectStore", storeSearch)
	eachStored(tx, tx.Call("objectStore", storeMessages), func(cur js.Value) {
		if m := messageOfJS(cur.Get("value")); core.Searchable(&m) {
			dst.Call("put", searchRecord(&m), m.ClientMsgID)
		}
	})
}
