//go:build js

package indexdb

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"

	"parley/core"
)

// Local search. Every searchable message (core.Searchable) has a record
// in the "search" store, keyed by its ClientMsgID: one line of what a
// search looks at (searchRecord). Reading 100,000 records from IndexedDB
// costs most of a second, so the first search loads them once into a JS
// array that Apply keeps up to date (searchCache), and a
// search runs one JS regular expression over the lines joined into one
// string: a prefilter on keyword, conversation, senders and content types
// that only the matching lines leave, to be checked exactly in Go. A scan
// it is, and has to be: totalCount counts every match. docs/benchmarks.md
// has its cost.

const (
	storeSearch = "search"
	searchSep   = "\x00" // between a line's fields
)

// searchRecord is m's search line: ClientMsgID, SendTime, ConversationID,
// SendID, ContentType, SearchText. IDs hold no control characters
// (protocol.ValidID); the text has the separator and the JS line
// terminators blanked, so that a line is one record.
func searchRecord(m *core.Message) string {
	t := strings.Map(func(r rune) rune {
		switch r {
		case 0, '\n', '\r', '\u2028', '\u2029':
			return ' '
		}
		return r
	}, core.SearchText(m))
	return m.ClientMsgID + searchSep + strconv.FormatInt(m.SendTime, 10) + searchSep + m.ConversationID +
		searchSep + m.SendID + searchSep + m.ContentType + searchSep + t
}

// searchChanges are the search lines ch writes (ClientMsgID, line) and
// the ClientMsgIDs whose lines it removes.
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

// searchCache is the search store in memory, loaded by the first search.
type searchCache struct {
	mu sync.Mutex
	// lines is a JS array of the search lines ("" where one was removed);
	// undefined until loaded. at maps a ClientMsgID to its line's index.
	lines js.Value
	at    map[string]int
	// joined is lines joined by "\n"; undefined after a write.
	joined js.Value
	// gen counts writes, so that a load that raced one is not kept.
	gen int
}

// noteSearch brings the cache up to date with a committed Apply; after a
// failed one (which may still have committed) it is dropped.
func (s *Store) noteSearch(puts [][2]string, dels []any, ok bool) {
	if len(puts) == 0 && len(dels) == 0 {
		return
	}
	c := &s.srch
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.joined = js.Undefined()
	if !ok || c.lines.IsUndefined() {
		c.lines, c.at = js.Undefined(), nil
		return
	}
	for _, id := range dels {
		if i, ok := c.at[id.(string)]; ok {
			c.lines.SetIndex(i, "")
			delete(c.at, id.(string))
		}
	}
	for _, p := range puts {
		if i, ok := c.at[p[0]]; ok {
			c.lines.SetIndex(i, p[1])
		} else {
			c.at[p[0]] = c.lines.Length()
			c.lines.Call("push", p[1])
		}
	}
}

// strMethod calls a String.prototype method on the JS string str (a
// primitive, which syscall/js cannot call methods on).
func strMethod(str js.Value, name string, args ...any) js.Value {
	return js.Global().Get("String").Get("prototype").Get(name).Call("call", append([]any{str}, args...)...)
}

// joinedLines returns every search line joined by "\n", loading the store
// on first use.
func (s *Store) joinedLines(ctx context.Context) (js.Value, error) {
	c := &s.srch
	c.mu.Lock()
	lines, at, joined, gen := c.lines, c.at, c.joined, c.gen
	c.mu.Unlock()
	if !joined.IsUndefined() {
		return joined, nil
	}
	if lines.IsUndefined() {
		at = nil
		err := s.all(ctx, "searchMessages", storeSearch, "", nil, func(arr js.Value) error {
			lines = arr
			return nil
		})
		if err != nil {
			return js.Undefined(), err
		}
	}
	joined = lines.Call("join", "\n")
	if at == nil {
		// Each line starts with its ClientMsgID: one string of them all
		// crosses into Go, not one value per line.
		ids := strMethod(joined, "match", js.Global().Get("RegExp").New(`^[^\x00\n]*`, "gm"))
		at = make(map[string]int, lines.Length())
		if !ids.IsNull() {
			for i, id := range strings.Split(ids.Call("join", "\n").String(), "\n") {
				at[id] = i
			}
		}
	}
	c.mu.Lock()
	if c.gen == gen {
		c.lines, c.at, c.joined = lines, at, joined
	}
	c.mu.Unlock()
	return joined, nil
}

// searchPattern is the prefilter of q: a line whose fields the query's
// keyword, conversation, senders and content types may match.
func searchPattern(q *core.SearchQuery) string {
	field := `[^\x00\n]*`
	alt := func(xs []string) string {
		if len(xs) == 0 {
			return field
		}
		for i, x := range xs {
			xs[i] = reQuote(x)
		}
		return "(?:" + strings.Join(xs, "|") + ")"
	}
	conv := field
	if q.ConversationID != "" {
		conv = reQuote(q.ConversationID)
	}
	senders := alt(append([]string(nil), q.SenderUserIDs...))
	types := alt(append([]string(nil), q.ContentTypes...))
	return `^` + field + `\x00` + field + `\x00` + conv + `\x00` + senders + `\x00` + types + `\x00` + field +
		reQuote(strings.ToLower(q.Keyword)) + `[^\n]*`
}

// reQuote escapes s for a JS regular expression (no u flag).
func reQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\^$.*+?()[]{}|/`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SearchMessages implements core.MessageSearcher.
func (s *Store) SearchMessages(ctx context.Context, q core.SearchQuery) (total int, _ []core.Message, err error) {
	const op = "searchMessages"
	defer recoverJS(op, &err)
	// The cache is read without the store: check it is open first.
	_, done, err := s.begin(ctx)
	if err != nil {
		return 0, nil, err
	}
	done()
	joined, err := s.joinedLines(ctx)
	if err != nil {
		return 0, nil, err
	}
	re := js.Global().Get("RegExp").New(searchPattern(&q), "gm")
	found := strMethod(joined, "match", re)
	if found.IsNull() {
		return 0, nil, nil
	}
	sm := core.NewSearchMatcher(q)
	var hits []core.SearchHit
	for _, line := range strings.Split(found.Call("join", "\n").String(), "\n") {
		var f [6]string
		for i := 0; i < 5; i++ {
			f[i], line, _ = strings.Cut(line, searchSep)
		}
		f[5] = line
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
