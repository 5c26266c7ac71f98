//go:build js

package indexdb

import (
	"context"
	"errors"
	"slices"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"

	"parley/core"
)

// Apply writes ch in one readwrite transaction: upserts first, then
// removals, then the cursor.
//
// The requests are made in JavaScript, one crossing per store: the
// records (or keys) of a store cross as one array of argument lists
// [[r0],[r1],…], and lists.forEach(Reflect.apply.bind(null, store.put,
// store)) calls store.put(r0), store.put(r1)… (Reflect.apply takes the
// list as the arguments and ignores forEach's index and array). Making
// each request from Go cost three crossings and two finalized js.Values
// per record, most of a catch-up's time in the SDK (docs/benchmarks.md).
func (s *Store) Apply(ctx context.Context, ch *core.Changes) (err error) {
	const op = "apply"
	if ch.Empty() {
		_, done, err := s.begin(ctx)
		if err != nil {
			return err
		}
		done()
		return nil
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer recoverJS(op, &err)
	if err := ctx.Err(); err != nil {
		return wrapErr(op, err)
	}

	// Encode everything before the transaction starts: a transaction
	// commits as soon as it has no pending request at the end of a task,
	// so nothing slow may run between its requests.
	type call struct {
		store, method string
		lists         js.Value // the argument lists, a JS array of arrays
	}
	var calls []call
	// Messages and conversations (nearly all of a catch-up) are written
	// by hand-made appenders (encode.go), without json's reflection.
	if len(ch.Conversations) > 0 {
		b := appendArgLists(nil, ch.Conversations, appendConversationRecord)
		calls = append(calls, call{storeConversations, "put", parseJSON(b)})
	}
	if len(ch.Messages) > 0 {
		b := appendArgLists(make([]byte, 0, 400*len(ch.Messages)), ch.Messages, func(b []byte, m *core.Message) []byte {
			return appendMessageRecord(b, m, true)
		})
		calls = append(calls, call{storeMessages, "put", parseJSON(b)})
	}
	// add queues a call whose argument lists are n one-argument lists,
	// arg(i) in JSON.
	add := func(store, method string, n int, arg func(i int) any) error {
		if n == 0 {
			return nil
		}
		lists := make([][1]any, n)
		for i := range lists {
			lists[i][0] = arg(i)
		}
		jv, err := toJS(lists)
		if err != nil {
			return err
		}
		calls = append(calls, call{store, method, jv})
		return nil
	}
	keys := func(ks []string) func(int) any { return func(i int) any { return ks[i] } }
	for _, c := range []struct {
		store, method string
		n             int
		arg           func(int) any
	}{
		{storeUsers, "put", len(ch.Users), func(i int) any { return &ch.Users[i] }},
		{storeFriends, "put", len(ch.Friends), func(i int) any { return &ch.Friends[i] }},
		{storeGroups, "put", len(ch.Groups), func(i int) any { return &ch.Groups[i] }},
		{storeFriendRequests, "put", len(ch.FriendRequests), func(i int) any { return &ch.FriendRequests[i] }},
		{storeBlack, "put", len(ch.Black), func(i int) any { return &ch.Black[i] }},
		{storeGroupMembers, "put", len(ch.GroupMembers), func(i int) any { return &ch.GroupMembers[i] }},
		{storeGroupApplications, "put", len(ch.GroupApplications), func(i int) any { return &ch.GroupApplications[i] }},
		{storeOutbox, "put", len(ch.Outbox), func(i int) any { return newOutboxRecord(&ch.Outbox[i]) }},
		{storeFriendRequests, "delete", len(ch.RemovedFriendRequests), func(i int) any {
			return []string{ch.RemovedFriendRequests[i].FromUserID, ch.RemovedFriendRequests[i].ToUserID}
		}},
		{storeGroupMembers, "delete", len(ch.RemovedGroupMembers), func(i int) any {
			return []string{ch.RemovedGroupMembers[i].GroupID, ch.RemovedGroupMembers[i].UserID}
		}},
		{storeGroupApplications, "delete", len(ch.RemovedGroupApplications), func(i int) any {
			return []string{ch.RemovedGroupApplications[i].GroupID, ch.RemovedGroupApplications[i].UserID}
		}},
		{storeBlack, "delete", len(ch.RemovedBlack), keys(ch.RemovedBlack)},
		{storeFriends, "delete", len(ch.RemovedFriends), keys(ch.RemovedFriends)},
		{storeGroups, "delete", len(ch.RemovedGroups), keys(ch.RemovedGroups)},
		{storeOutbox, "delete", len(ch.RemovedOutbox), keys(ch.RemovedOutbox)},
		{storeMessages, "delete", len(ch.RemovedMessages), keys(ch.RemovedMessages)},
	} {
		if err := add(c.store, c.method, c.n, c.arg); err != nil {
			return wrapErr(op, err)
		}
	}
	if len(ch.Chunks) > 0 {
		lists, err := chunkRecords(ctx, ch.Chunks)
		if err != nil {
			return wrapErr(op, err)
		}
		calls = append(calls, call{storeChunks, "put", lists})
	}
	if len(ch.RemovedChunks) > 0 {
		lists := js.Global().Get("Array").New(len(ch.RemovedChunks))
		for i, id := range ch.RemovedChunks {
			r, err := chunkRange(id)
			if err != nil {
				return wrapErr(op, err)
			}
			lists.SetIndex(i, js.ValueOf([]any{r}))
		}
		calls = append(calls, call{storeChunks, "delete", lists})
	}
	if len(ch.RemovedGroups) > 0 {
		// A group gone takes its stored members with it.
		lists := js.Global().Get("Array").New(len(ch.RemovedGroups))
		for i, id := range ch.RemovedGroups {
			r, err := bound([]any{id}, []any{id, []any{}})
			if err != nil {
				return wrapErr(op, err)
			}
			lists.SetIndex(i, js.ValueOf([]any{r}))
		}
		calls = append(calls, call{storeGroupMembers, "delete", lists})
	}
	var meta [][2]any // put(value, key)
	var seg searchSegment
	if s.search {
		seg = searchChanges(ch)
	}
	var segN int64
	if !seg.empty() {
		segN = s.srch.take() // before the transaction: see compact
		meta = append(meta, seg.metaPuts(segN)...)
	}
	for _, m := range []struct {
		key string
		v   *int64
	}{{metaSyncCursor, ch.Cursor}, {metaProfileCursor, ch.ProfileCursor}, {metaSocialVersion, ch.SocialVersion}} {
		if m.v != nil {
			meta = append(meta, [2]any{*m.v, m.key})
		}
	}
	if len(meta) > 0 {
		jv, err := toJS(meta)
		if err != nil {
			return wrapErr(op, err)
		}
		calls = append(calls, call{storeMeta, "put", jv})
	}

	// The stores of schemas 4, 5, 6 and 8 join the transaction only when
	// the batch writes them, so that a batch without them also runs on an
	// older schema.
	stores := []any{storeUsers}
	for _, st := range allStores[1:] {
		stores = append(stores, st)
	}
	if len(ch.Chunks) > 0 || len(ch.RemovedChunks) > 0 {
		stores = append(stores, storeChunks)
	}
	if len(ch.FriendRequests) > 0 || len(ch.RemovedFriendRequests) > 0 {
		stores = append(stores, storeFriendRequests)
	}
	if len(ch.Black) > 0 || len(ch.RemovedBlack) > 0 {
		stores = append(stores, storeBlack)
	}
	if len(ch.GroupMembers) > 0 || len(ch.RemovedGroupMembers) > 0 || len(ch.RemovedGroups) > 0 {
		stores = append(stores, storeGroupMembers)
	}
	if len(ch.GroupApplications) > 0 || len(ch.RemovedGroupApplications) > 0 {
		stores = append(stores, storeGroupApplications)
	}
	tx := s.jsDB.Call("transaction", stores, "readwrite")
	w := watch(tx, tx, "complete")
	defer w.release()
	issue := func() (err error) {
		defer recoverJS(op, &err)
		for _, c := range calls {
			c.lists.Call("forEach", storeCalls(tx.Call("objectStore", c.store), c.method))
		}
		if len(seg.scrub) > 0 {
			if err := scrubLines(tx, seg.scrub, segN); err != nil {
				return err
			}
		}
		return nil
	}
	if err := issue(); err != nil {
		abortTx(tx)
		s.noteSearch(seg, false)
		return err
	}
	// Let the browser commit without waiting for the last success event;
	// a scrub's cursor still makes requests from its events.
	if len(seg.scrub) == 0 && tx.Get("commit").Type() == js.TypeFunction {
		tx.Call("commit")
	}
	err = w.wait(ctx)
	s.noteSearch(seg, err == nil)
	if err != nil {
		if ctx.Err() != nil && !abortTx(tx) && s.log != nil {
			// tx finished as the deadline passed: it may have committed.
			// The caller sees an error and applies the batch again, which
			// the Store contract makes harmless.
			s.log.Warn("indexdb: transaction outcome unknown after deadline", "db", s.name, "op", op, "err", err)
		}
		return wrapErr(op, err)
	}
	return nil
}

// Users returns the cached profiles among userIDs, in the order asked.
func (s *Store) Users(ctx context.Context, userIDs []string) ([]core.User, error) {
	if len(userIDs) >= usersRangeRead {
		if out, ok, err := s.usersInRange(ctx, userIDs); ok || err != nil {
			return out, err
		}
	}
	var out []core.User
	err := s.getByKeys(ctx, "users", storeUsers, userIDs, func(arr js.Value) (err error) {
		out, err = usersOfJS(arr)
		return err
	})
	return out, err
}

// usersRangeRead is the number of IDs from which Users reads the profiles
// between the smallest and the largest ID asked with one getAll, instead
// of one get per ID: the 1,000 peers of the whole conversation list took
// ~100 ms of gets in a busy worker, most of it the browser's.
const usersRangeRead = 100

// usersInRange is Users by one getAll of the key range the IDs span, of
// at most 4 records per ID asked; ok is false when the range holds more
// than that (other profiles between the asked: friends, group members),
// and Users then gets them by key.
func (s *Store) usersInRange(ctx context.Context, userIDs []string) (out []core.User, ok bool, err error) {
	lo, hi := slices.Min(userIDs), slices.Max(userIDs)
	limit := 4 * len(userIDs)
	var got []core.User
	err = s.allN(ctx, "users", storeUsers, "", func() (js.Value, error) {
		return js.Global().Get("IDBKeyRange").Call("bound", lo, hi), nil
	}, limit, func(arr js.Value) (err error) {
		got, err = usersOfJS(arr)
		return err
	})
	if err != nil || len(got) >= limit {
		return nil, false, err
	}
	byID := make(map[string]int, len(got))
	for i := range got {
		byID[got[i].UserID] = i
	}
	for _, id := range userIDs {
		if i, found := byID[id]; found {
			out = append(out, got[i])
		}
	}
	return out, true, nil
}

// Messages returns the stored messages among clientMsgIDs, in the order
// asked.
func (s *Store) Messages(ctx context.Context, clientMsgIDs []string) ([]core.Message, error) {
	var out []core.Message
	err := s.getByKeys(ctx, "messages", storeMessages, clientMsgIDs, func(arr js.Value) (err error) {
		out, err = messagesOfJS(arr)
		return err
	})
	return out, err
}

// getByKeys gets records by primary key and hands those found, in the
// order of keys, to decode as one JS array. The gets are made in
// JavaScript like Apply's requests (lists.map(Reflect.apply.bind(null,
// store.get, store)) gives the requests; mapping them through the
// IDBRequest result getter gives the records): one crossing per record
// cost the whole list of 1,000 conversations a quarter of a second for
// its peers' profiles.
func (s *Store) getByKeys(ctx context.Context, op, store string, keys []string, decode func(js.Value) error) (err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if len(keys) == 0 {
		return nil
	}
	defer recoverJS(op, &err)
	if err := ctx.Err(); err != nil {
		return wrapErr(op, err)
	}
	lists := make([][1]string, len(keys))
	for i, k := range keys {
		lists[i][0] = k
	}
	jl, err := toJS(lists)
	if err != nil {
		return wrapErr(op, err)
	}
	tx := s.jsDB.Call("transaction", store, "readonly")
	w := watch(tx, tx, "complete")
	defer w.release()
	reqs := jl.Call("map", storeCalls(tx.Call("objectStore", store), "get"))
	if err := w.wait(ctx); err != nil {
		if ctx.Err() != nil {
			abortTx(tx)
		}
		return wrapErr(op, err)
	}
	g := js.Global()
	result := g.Get("Object").Call("getOwnPropertyDescriptor", g.Get("IDBRequest").Get("prototype"), "result").Get("get")
	found := reqs.Call("map", g.Get("Function").Get("prototype").Get("call").Call("bind", result)).Call("filter", g.Get("Boolean"))
	return wrapErr(op, decode(found))
}

// storeCalls is the JS function that calls the object store os's method
// with the argument list it is given first: a callback for
// lists.forEach or lists.map (Reflect.apply ignores their index and
// array arguments).
func storeCalls(os js.Value, method string) js.Value {
	return js.Global().Get("Reflect").Get("apply").Call("bind", js.Null(), os.Get(method), os)
}

// all reads the records of a store in primary key order, or of an index
// in index order (optionally within the key range made by query), with one
// getAll in one readonly transaction, and hands the JS array to decode.
//
// go-indexeddb offers getAllKeys but not getAll; reading the keys and then
// each record measured three times slower for a list of 200 conversations
// (docs/benchmarks.md), so this one request goes to IndexedDB directly, on
// the same connection.
func (s *Store) all(ctx context.Context, op, store, index string, query func() (js.Value, error), decode func(js.Value) error) (err error) {
	return s.allN(ctx, op, store, index, query, 0, decode)
}

// allN is all of at most limit records (limit <= 0: every record).
func (s *Store) allN(ctx context.Context, op, store, index string, query func() (js.Value, error), limit int, decode func(js.Value) error) (err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer recoverJS(op, &err)
	if err := ctx.Err(); err != nil {
		return wrapErr(op, err)
	}
	q := js.Undefined()
	if query != nil {
		if q, err = query(); err != nil {
			return wrapErr(op, err)
		}
	}
	res, err := getAll(ctx, s.jsDB, store, index, q, limit)
	if err != nil {
		return wrapErr(op, err)
	}
	return wrapErr(op, decode(res))
}

// getAll runs IDBObjectStore.getAll (or IDBIndex.getAll) of at most limit
// records (limit <= 0: all) in a new readonly transaction and waits for its
// result, at most until ctx ends.
func getAll(ctx context.Context, db js.Value, store, index string, query js.Value, limit int) (js.Value, error) {
	tx := db.Call("transaction", store, "readonly")
	src := tx.Call("objectStore", store)
	if index != "" {
		src = src.Call("index", index)
	}
	if query.IsUndefined() {
		query = js.Null() // every record
	}
	var req js.Value
	if limit > 0 {
		req = src.Call("getAll", query, limit)
	} else {
		req = src.Call("getAll", query)
	}
	w := watch(req, tx, "success")
	defer w.release()
	if err := w.wait(ctx); err != nil {
		if ctx.Err() != nil {
			abortTx(tx)
		}
		return js.Undefined(), err
	}
	return req.Get("result"), nil
}

// txWatch waits for one event of a request or transaction, or its
// failure: an error event of it or an abort of its transaction.
type txWatch struct {
	result       chan error
	target, tx   js.Value
	okEvent      string
	onOK, onFail js.Func
}

// watch starts listening at once: the listeners must be on before the
// goroutine yields, so that no event is missed.
func watch(target, tx js.Value, okEvent string) *txWatch {
	w := &txWatch{result: make(chan error, 1), target: target, tx: tx, okEvent: okEvent}
	send := func(err error) {
		select {
		case w.result <- err:
		default:
		}
	}
	w.onOK = js.FuncOf(func(js.Value, []js.Value) any { send(nil); return nil })
	w.onFail = js.FuncOf(func(_ js.Value, args []js.Value) any {
		// The event's target is the failed request (an error event
		// bubbles up to the transaction) or the aborted transaction.
		msg := "request failed"
		e := js.Undefined()
		if len(args) > 0 {
			e = args[0].Get("target").Get("error")
		}
		if !e.Truthy() {
			e = tx.Get("error")
		}
		if e.Truthy() {
			msg = e.Get("name").String() + ": " + e.Get("message").String()
		}
		send(errors.New(msg))
		return nil
	})
	target.Call("addEventListener", okEvent, w.onOK)
	target.Call("addEventListener", "error", w.onFail)
	tx.Call("addEventListener", "abort", w.onFail)
	return w
}

// wait returns nil once the event came, the failure otherwise, or ctx's
// error when it ends first.
func (w *txWatch) wait(ctx context.Context) error {
	select {
	case err := <-w.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release removes the listeners before releasing them, so that a late
// event never calls a released function.
func (w *txWatch) release() {
	w.target.Call("removeEventListener", w.okEvent, w.onOK)
	w.target.Call("removeEventListener", "error", w.onFail)
	w.tx.Call("removeEventListener", "abort", w.onFail)
	w.onOK.Release()
	w.onFail.Release()
}

// abortTx aborts tx and reports whether it could (not when it had
// finished already).
func abortTx(tx js.Value) (aborted bool) {
	defer func() {
		if recover() != nil {
			aborted = false
		}
	}()
	tx.Call("abort")
	return true
}

// Friends returns the friend list ordered by UserID.
func (s *Store) Friends(ctx context.Context) ([]core.User, error) {
	var out []core.User
	err := s.all(ctx, "friends", storeFriends, "", nil, func(arr js.Value) (err error) {
		out, err = usersOfJS(arr)
		return err
	})
	return out, err
}

// BlackList returns the blocked users ordered by UserID.
func (s *Store) BlackList(ctx context.Context) ([]core.User, error) {
	var out []core.User
	err := s.all(ctx, "blacklist", storeBlack, "", nil, func(arr js.Value) (err error) {
		out, err = usersOfJS(arr)
		return err
	})
	return out, err
}

// FriendRequests returns the stored friend requests, newest activity
// first.
func (s *Store) FriendRequests(ctx context.Context) ([]core.FriendRequest, error) {
	var out []core.FriendRequest
	err := s.all(ctx, "friendRequests", storeFriendRequests, "", nil, func(arr js.Value) error {
		return readAll(arr, 0, func(r *jsonReader) { out = append(out, readFriendRequest(r)) })
	})
	core.SortFriendRequests(out)
	return out, err
}

// GroupMembers returns a group's stored members, owner first then by join
// time.
func (s *Store) GroupMembers(ctx context.Context, groupID string) ([]core.GroupMember, error) {
	var out []core.GroupMember
	err := s.all(ctx, "groupMembers", storeGroupMembers, "", func() (js.Value, error) {
		return bound([]any{groupID}, []any{groupID, []any{}})
	}, func(arr js.Value) (err error) {
		return readAll(arr, 0, func(r *jsonReader) { out = append(out, readGroupMember(r)) })
	})
	core.SortGroupMembers(out)
	return out, err
}

// GroupApplications returns the stored group applications, newest
// activity first.
func (s *Store) GroupApplications(ctx context.Context) ([]core.GroupApplication, error) {
	var out []core.GroupApplication
	err := s.all(ctx, "groupApplications", storeGroupApplications, "", nil, func(arr js.Value) error {
		return readAll(arr, 0, func(r *jsonReader) { out = append(out, readGroupApplication(r)) })
	})
	core.SortGroupApplications(out)
	return out, err
}

// Groups returns the joined groups ordered by GroupID.
func (s *Store) Groups(ctx context.Context) ([]core.Group, error) {
	var out []core.Group
	err := s.all(ctx, "groups", storeGroups, "", nil, func(arr js.Value) error {
		return readAll(arr, 0, func(r *jsonReader) { out = append(out, readGroup(r)) })
	})
	return out, err
}

// Conversation returns one conversation or an error wrapping
// core.ErrNotFound.
func (s *Store) Conversation(ctx context.Context, conversationID string) (core.Conversation, error) {
	var found []core.Conversation
	err := s.getByKeys(ctx, "conversation", storeConversations, []string{conversationID}, func(arr js.Value) (err error) {
		found, err = conversationsOfJS(arr, 0)
		return err
	})
	if err != nil {
		return core.Conversation{}, err
	}
	if len(found) == 0 {
		return core.Conversation{}, wrapErr("conversation "+conversationID, core.ErrNotFound)
	}
	return found[0], nil
}

// Conversations returns every conversation ordered by ConversationID.
func (s *Store) Conversations(ctx context.Context) ([]core.Conversation, error) {
	var out []core.Conversation
	err := s.all(ctx, "conversations", storeConversations, "", nil, func(arr js.Value) (err error) {
		out, err = conversationsOfJS(arr, 0)
		return err
	})
	return out, err
}

// ConversationPage returns up to count conversations from offset in the
// list's order: the first offset+count records of the "list" index, one
// getAll, so the first page of 1,000 conversations reads 50 records.
func (s *Store) ConversationPage(ctx context.Context, offset, count int) ([]core.Conversation, error) {
	offset = max(offset, 0)
	limit := 0
	if count > 0 {
		limit = offset + count
	}
	var out []core.Conversation
	err := s.allN(ctx, "conversationPage", storeConversations, indexList, nil, limit, func(arr js.Value) (err error) {
		out, err = conversationsOfJS(arr, offset)
		return err
	})
	return out, err
}

// MessagesBySeq returns a conversation's messages with fromSeq <= seq <=
// toSeq, ascending, through the convSeq index.
func (s *Store) MessagesBySeq(ctx context.Context, conversationID string, fromSeq, toSeq int64) ([]core.Message, error) {
	if fromSeq < 1 {
		fromSeq = 1 // unsent messages are not in the index anyway
	}
	if fromSeq > toSeq {
		_, done, err := s.begin(ctx)
		if err != nil {
			return nil, err
		}
		done()
		return nil, nil
	}
	var out []core.Message
	err := s.all(ctx, "messagesBySeq", storeMessages, indexConvSeq, func() (js.Value, error) {
		return bound([]any{conversationID, fromSeq}, []any{conversationID, toSeq})
	}, func(arr js.Value) (err error) {
		out, err = messagesOfJS(arr)
		return err
	})
	return out, err
}

// UnsentMessages returns a conversation's messages without a seq, by
// CreateTime then ClientMsgID, through the unsent index.
func (s *Store) UnsentMessages(ctx context.Context, conversationID string) ([]core.Message, error) {
	var out []core.Message
	err := s.all(ctx, "unsentMessages", storeMessages, indexUnsent, func() (js.Value, error) {
		// [id] sorts before every [id, …]; [id, []] after every
		// [id, number, …], since arrays sort after numbers.
		return bound([]any{conversationID}, []any{conversationID, []any{}})
	}, func(arr js.Value) (err error) {
		out, err = messagesOfJS(arr)
		return err
	})
	return out, err
}

// bound builds IDBKeyRange.bound(lower, upper) from Go values.
func bound(lower, upper []any) (js.Value, error) {
	l, err := toJS(lower)
	if err != nil {
		return js.Undefined(), err
	}
	u, err := toJS(upper)
	if err != nil {
		return js.Undefined(), err
	}
	return js.Global().Get("IDBKeyRange").Call("bound", l, u), nil
}

// Outbox returns the entries by Order, then ClientMsgID.
func (s *Store) Outbox(ctx context.Context) ([]core.OutboxEntry, error) {
	var out []core.OutboxEntry
	err := s.all(ctx, "outbox", storeOutbox, indexOrder, nil, func(arr js.Value) error {
		return readAll(arr, 0, func(r *jsonReader) { out = append(out, readOutboxEntry(r)) })
	})
	return out, err
}

// SocialVersion returns the stored social version.
func (s *Store) SocialVersion(ctx context.Context) (version int64, ok bool, err error) {
	err = s.read(ctx, "socialVersion", []string{storeMeta}, func(_ context.Context, tx *idb.Transaction) (func() error, error) {
		os, err := tx.ObjectStore(storeMeta)
		if err != nil {
			return nil, err
		}
		req, err := os.Get(js.ValueOf(metaSocialVersion))
		if err != nil {
			return nil, err
		}
		return func() error {
			v, err := req.Result()
			if err != nil {
				return err
			}
			if v.Type() == js.TypeNumber {
				version, ok = int64(v.Float()), true
			}
			return nil
		}, nil
	})
	return version, ok, err
}

// ProfileCursor returns the stored profile cursor, 0 when none.
func (s *Store) ProfileCursor(ctx context.Context) (cursor int64, err error) {
	err = s.read(ctx, "profileCursor", []string{storeMeta}, func(_ context.Context, tx *idb.Transaction) (func() error, error) {
		os, err := tx.ObjectStore(storeMeta)
		if err != nil {
			return nil, err
		}
		req, err := os.Get(js.ValueOf(metaProfileCursor))
		if err != nil {
			return nil, err
		}
		return func() error {
			v, err := req.Result()
			if err != nil {
				return err
			}
			if v.Type() == js.TypeNumber {
				cursor = int64(v.Float())
			}
			return nil
		}, nil
	})
	return cursor, err
}

// SyncCursor returns the stored sync cursor.
func (s *Store) SyncCursor(ctx context.Context) (cursor int64, ok bool, err error) {
	err = s.read(ctx, "syncCursor", []string{storeMeta}, func(_ context.Context, tx *idb.Transaction) (func() error, error) {
		os, err := tx.ObjectStore(storeMeta)
		if err != nil {
			return nil, err
		}
		req, err := os.Get(js.ValueOf(metaSyncCursor))
		if err != nil {
			return nil, err
		}
		return func() error {
			v, err := req.Result()
			if err != nil {
				return err
			}
			if v.Type() == js.TypeNumber {
				cursor, ok = int64(v.Float()), true
			}
			return nil
		}, nil
	})
	return cursor, ok, err
}
