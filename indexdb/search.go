//go:build js

package indexdb

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"parley/core"
	"parley/protocol"
)

// Local search. A search looks at one line per searchable message
// (core.Searchable; searchRecord). Apply writes the lines of its batch as
// one record (a segment) of the meta store, keyed ["search", n] with n
// ascending (metaSearchNext), with a line of just the ClientMsgID for each
// message it removes: indexing costs a batch one request in a store it
// writes anyway (a store of its own in the transaction measured a third
// slower, docs/benchmarks.md). The first
// search reads the segments in order into a JS array of the live lines
// (a later line of a message replaces its earlier one), rewrites the store
// as one segment when most of what it read was replaced (compact), and
// Apply keeps the array current. A search runs one JS regular expression
// over the lines joined into one string, a prefilter on keyword,
// conversation, senders and content types that only the matching lines
// leave, and checks those exactly in Go. A scan it is, and has to be:
// totalCount counts every match. docs/benchmarks.md has its cost.

const (
	searchSep = "\x00" // between a line's fields
	// metaSearchNext is the n of the next segment's key.
	metaSearchNext = "searchNext"
)

// segmentKey is the key of segment n in the meta store.
func segmentKey(n int64) js.Value { return js.ValueOf([]any{"search", float64(n)}) }

// segmentRange is every segment's key: ["search"] sorts before them,
// ["search", []] after (arrays sort after numbers).
func segmentRange() (js.Value, error) { return bound([]any{"search"}, []any{"search", []any{}}) }

// searchRecord is m's search line: ClientMsgID, SendTime, ConversationID,
// SendID, ContentType, SearchText. IDs hold no control characters
// (protocol.ValidID); the text has the separator and the JS line
// terminators blanked, so that a line is one message.
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

// searchSegment is what one Apply changes of the search lines.
type searchSegment struct {
	puts [][2]string // ClientMsgID, line
	dels []string
	// scrub are the messages whose earlier lines must leave the stored
	// segments now: removed, revoked or edited (their old text).
	scrub []string
}

func (g *searchSegment) empty() bool { return len(g.puts) == 0 && len(g.dels) == 0 }

// searchChanges is the segment of ch: upserts, then removals, as Apply
// writes them.
func searchChanges(ch *core.Changes) (g searchSegment) {
	for i := range ch.Messages {
		m := &ch.Messages[i]
		if core.Searchable(m) {
			g.puts = append(g.puts, [2]string{m.ClientMsgID, searchRecord(m)})
			if m.ContentType == protocol.ContentRevoked || m.EditTime > 0 {
				g.scrub = append(g.scrub, m.ClientMsgID)
			}
		} else {
			g.dels = append(g.dels, m.ClientMsgID)
			g.scrub = append(g.scrub, m.ClientMsgID)
		}
	}
	g.dels = append(g.dels, ch.RemovedMessages...)
	g.scrub = append(g.scrub, ch.RemovedMessages...)
	return g
}

// metaPuts are the meta store puts ([value, key]) that store the segment
// as segment n.
func (g *searchSegment) metaPuts(n int64) [][2]any {
	lines := make([]string, 0, len(g.puts)+len(g.dels))
	for _, p := range g.puts {
		lines = append(lines, p[1])
	}
	lines = append(lines, g.dels...)
	return [][2]any{
		{strings.Join(lines, "\n"), []any{"search", n}},
		{n + 1, metaSearchNext},
	}
}

// searchCache is the live search lines in memory, loaded by the first
// search.
type searchCache struct {
	mu sync.Mutex
	// lines is a JS array of the lines ("" where one was replaced or
	// removed); undefined until loaded. at maps a ClientMsgID to its index.
	lines js.Value
	at    map[string]int
	// joined is lines joined by "\n"; undefined after a write.
	joined js.Value
	// gen counts writes of segments, bumped before each one starts: a
	// load that raced one is not kept, and compacts nothing.
	gen int
	// next is the n of the next segment (read at Open).
	next int64
}

// take bumps gen and returns the n of a new segment.
func (c *searchCache) take() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.next++
	return c.next - 1
}

// noteSearch brings the cache up to date with a committed Apply; after a
// failed one (which may still have committed) it is dropped.
func (s *Store) noteSearch(g searchSegment, ok bool) {
	if g.empty() {
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
	for _, p := range g.puts {
		if i, ok := c.at[p[0]]; ok {
			c.lines.SetIndex(i, p[1])
		} else {
			c.at[p[0]] = c.lines.Length()
			c.lines.Call("push", p[1])
		}
	}
	for _, id := range g.dels {
		if i, ok := c.at[id]; ok {
			c.lines.SetIndex(i, "")
			delete(c.at, id)
		}
	}
}

// strMethod calls a String.prototype method on the JS string str (a
// primitive, which syscall/js cannot call methods on).
func strMethod(str js.Value, name string, args ...any) js.Value {
	return js.Global().Get("String").Get("prototype").Get(name).Call("call", append([]any{str}, args...)...)
}

// readSearchNext reads the n of the next segment, at Open.
func readSearchNext(ctx context.Context, db js.Value) (int64, error) {
	arr, err := getAll(ctx, db, storeMeta, "", js.ValueOf(metaSearchNext), 1)
	if err != nil || arr.Length() == 0 || arr.Index(0).Type() != js.TypeNumber {
		return 0, err
	}
	return int64(arr.Index(0).Float()), nil
}

// loadLines reads the segments into the live lines and their index.
func (s *Store) loadLines(ctx context.Context, gen int) (lines js.Value, at map[string]int, err error) {
	var segs js.Value
	if err := s.all(ctx, "searchMessages", storeMeta, "", segmentRange, func(arr js.Value) error { segs = arr; return nil }); err != nil {
		return js.Undefined(), nil, err
	}
	all := segs.Call("join", "\n")
	lines = strMethod(all, "split", "\n")
	// Each line starts with its ClientMsgID, followed by a separator on a
	// message's line: one string of those heads crosses into Go, not one
	// value per line.
	heads := strMethod(all, "match", js.Global().Get("RegExp").New(`^[^\x00\n]*\x00?`, "gm"))
	at = make(map[string]int)
	dead := 0
	if !heads.IsNull() {
		for i, h := range strings.Split(heads.Call("join", "\n").String(), "\n") {
			id := strings.TrimSuffix(h, searchSep)
			if prev, ok := at[id]; ok {
				lines.SetIndex(prev, "")
				dead++
			}
			if id == "" || id == h {
				// A removal (or an empty line): the line itself says nothing.
				lines.SetIndex(i, "")
				delete(at, id)
				dead++
				continue
			}
			at[id] = i
		}
	}
	if segs.Length() > 1 && (dead > len(at) || segs.Length() > 500) {
		s.compact(lines, gen)
	}
	return lines, at, nil
}

// compact rewrites the segments as one segment of the live lines, so
// that the next load reads no more than it keeps. It runs only when no
// write to the store started since the load began (gen unchanged): a write
// starting later queues behind this transaction, one already started was
// read by the load. Failing costs nothing but the next load's time.
func (s *Store) compact(lines js.Value, gen int) {
	c := &s.srch
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	defer func() { _ = recover() }() // a JS exception: the transaction aborts below
	live := strMethod(strMethod(lines.Call("join", "\n"), "replace", js.Global().Get("RegExp").New(`\n+`, "g"), "\n"), "trim")
	all, err := segmentRange()
	if err != nil {
		return
	}
	tx := s.jsDB.Call("transaction", storeMeta, "readwrite")
	defer func() {
		if r := recover(); r != nil {
			abortQuietly(tx) // nothing half done: the segments stay as they were
		}
	}()
	os := tx.Call("objectStore", storeMeta)
	os.Call("delete", all)
	if !live.Equal(js.ValueOf("")) {
		c.next++
		os.Call("put", live, segmentKey(c.next-1))
		os.Call("put", float64(c.next), metaSearchNext)
	}
}

// joinedLines returns every search line joined by "\n", loading them on
// first use.
func (s *Store) joinedLines(ctx context.Context) (js.Value, error) {
	c := &s.srch
	c.mu.Lock()
	lines, at, joined, gen := c.lines, c.at, c.joined, c.gen
	c.mu.Unlock()
	if !joined.IsUndefined() {
		return joined, nil
	}
	if lines.IsUndefined() {
		var err error
		if lines, at, err = s.loadLines(ctx, gen); err != nil {
			return js.Undefined(), err
		}
	}
	joined = lines.Call("join", "\n")
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
		qs := make([]string, len(xs))
		for i, x := range xs {
			qs[i] = reQuote(x)
		}
		return "(?:" + strings.Join(qs, "|") + ")"
	}
	conv := field
	if q.ConversationID != "" {
		conv = reQuote(q.ConversationID)
	}
	return `^` + field + `\x00` + field + `\x00` + conv + `\x00` + alt(q.SenderUserIDs) + `\x00` + alt(q.ContentTypes) +
		`\x00` + field + reQuote(strings.ToLower(q.Keyword)) + `[^\n]*`
}

// scrubLines removes, within tx, every search line of ids (their lines and
// removal lines) from the segments stored before segment before, so that the text of a
// revoked or deleted message leaves IndexedDB with the message, not at a
// later compaction. Removals are rare, and segments few (compact): a
// cursor over them costs a removal what the lines hold.
func scrubLines(tx js.Value, ids []string, before int64) error {
	// The segments before this Apply's own (n before), which holds the
	// lines that stay.
	r := js.Global().Get("IDBKeyRange").Call("bound", js.ValueOf([]any{"search"}), segmentKey(before), false, true)
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = reQuote(id)
	}
	re := js.Global().Get("RegExp").New(`^(?:`+strings.Join(quoted, "|")+`)(?:\x00[^\n]*)?(?:\n|$)`, "gm")
	req := tx.Call("objectStore", storeMeta).Call("openCursor", r)
	var step, done js.Func
	step = js.FuncOf(func(js.Value, []js.Value) any {
		cur := req.Get("result")
		if cur.IsNull() || cur.IsUndefined() {
			return nil
		}
		if v := cur.Get("value"); v.Type() == js.TypeString {
			if nv := strMethod(v, "replace", re, ""); !nv.Equal(v) {
				cur.Call("update", nv)
			}
		}
		cur.Call("continue")
		return nil
	})
	// Released when the transaction ends, however it ends.
	done = js.FuncOf(func(js.Value, []js.Value) any {
		tx.Call("removeEventListener", "complete", done)
		tx.Call("removeEventListener", "abort", done)
		step.Release()
		done.Release()
		return nil
	})
	tx.Call("addEventListener", "complete", done)
	tx.Call("addEventListener", "abort", done)
	req.Set("onsuccess", step)
	return nil
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
	found := strMethod(joined, "match", js.Global().Get("RegExp").New(searchPattern(&q), "gm"))
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

// indexSearch is schema step 7: the first segment, made of the messages
// already stored, by a cursor inside the upgrade's transaction.
func indexSearch(db, tx js.Value) {
	var lines []string
	eachStored(tx, tx.Call("objectStore", storeMessages), func(cur js.Value) {
		if m := messageOfJS(cur.Get("value")); core.Searchable(&m) {
			lines = append(lines, searchRecord(&m))
		}
	}, func() {
		if len(lines) > 0 {
			meta := tx.Call("objectStore", storeMeta)
			meta.Call("put", strings.Join(lines, "\n"), segmentKey(0))
			meta.Call("put", 1, metaSearchNext)
		}
	})
}
