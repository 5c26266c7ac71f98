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
	type put struct {
		store string
		vals  js.Value
	}
	var puts []put
	add := func(store string, n int, v any) error {
		if n == 0 {
			return nil
		}
		jv, err := toJS(v)
		if err != nil {
			return err
		}
		puts = append(puts, put{store, jv})
		return nil
	}
	// Messages and conversations (nearly all of a catch-up) are written
	// by hand-made appenders (encode.go), without json's reflection.
	if len(ch.Conversations) > 0 {
		b := appendArray(nil, ch.Conversations, appendConversationRecord)
		puts = append(puts, put{storeConversations, parseJSON(b)})
	}
	if len(ch.Messages) > 0 {
		b := appendArray(make([]byte, 0, 400*len(ch.Messages)), ch.Messages, func(b []byte, m *core.Message) []byte {
			return appendMessageRecord(b, m, true)
		})
		puts = append(puts, put{storeMessages, parseJSON(b)})
	}
	outbox := make([]*outboxRecord, len(ch.Outbox))
	for i := range ch.Outbox {
		outbox[i] = newOutboxRecord(&ch.Outbox[i])
	}
	for _, p := range []struct {
		store string
		n     int
		v     any
	}{
		{storeUsers, len(ch.Users), ch.Users},
		{storeFriends, len(ch.Friends), ch.Friends},
		{storeGroups, len(ch.Groups), ch.Groups},
		{storeFriendRequests, len(ch.FriendRequests), ch.FriendRequests},
		{storeBlack, len(ch.Black), ch.Black},
		{storeOutbox, len(outbox), outbox},
	} {
		if err := add(p.store, p.n, p.v); err != nil {
			return wrapErr(op, err)
		}
	}
	type del struct {
		store string
		keys  []any
	}
	strs := func(ks []string) []any {
		out := make([]any, len(ks))
		for i, k := range ks {
			out[i] = k
		}
		return out
	}
	var requestKeys []any
	for _, r := range ch.RemovedFriendRequests {
		requestKeys = append(requestKeys, []any{r.FromUserID, r.ToUserID})
	}
	dels := []del{
		{storeFriendRequests, requestKeys},
		{storeBlack, strs(ch.RemovedBlack)},
		{storeFriends, strs(ch.RemovedFriends)},
		{storeGroups, strs(ch.RemovedGroups)},
		{storeOutbox, strs(ch.RemovedOutbox)},
		{storeMessages, strs(ch.RemovedMessages)},
	}
	if len(ch.Chunks) > 0 {
		vals, err := chunkRecords(ctx, ch.Chunks)
		if err != nil {
			return wrapErr(op, err)
		}
		puts = append(puts, put{storeChunks, vals})
	}

	// The stores of schemas 4 and 5 join the transaction only when the
	// batch writes them, so that a batch without them also runs on an
	// older schema.
	stores := allStores[1:]
	if len(ch.Chunks) > 0 || len(ch.RemovedChunks) > 0 {
		stores = append(slices.Clone(stores), storeChunks)
	}
	if len(ch.FriendRequests) > 0 || len(ch.RemovedFriendRequests) > 0 {
		stores = append(slices.Clone(stores), storeFriendRequests)
	}
	if len(ch.Black) > 0 || len(ch.RemovedBlack) > 0 {
		stores = append(slices.Clone(stores), storeBlack)
	}
	tx, err := s.db.Transaction(idb.TransactionReadWrite, storeUsers, stores...)
	if err != nil {
		return wrapErr(op, err)
	}
	issue := func() error {
		for _, p := range puts {
			os, err := tx.ObjectStore(p.store)
			if err != nil {
				return err
			}
			n := p.vals.Length()
			for i := 0; i < n; i++ {
				if _, err := os.Put(p.vals.Index(i)); err != nil {
					return err
				}
			}
		}
		for _, d := range dels {
			if len(d.keys) == 0 {
				continue
			}
			os, err := tx.ObjectStore(d.store)
			if err != nil {
				return err
			}
			for _, k := range d.keys {
				if _, err := os.Delete(js.ValueOf(k)); err != nil {
					return err
				}
			}
		}
		if len(ch.RemovedChunks) > 0 {
			os, err := tx.ObjectStore(storeChunks)
			if err != nil {
				return err
			}
			for _, id := range ch.RemovedChunks {
				r, err := chunkRange(id)
				if err != nil {
					return err
				}
				if _, err := os.Delete(r); err != nil {
					return err
				}
			}
		}
		if ch.Cursor != nil {
			os, err := tx.ObjectStore(storeMeta)
			if err != nil {
				return err
			}
			if _, err := os.PutKey(js.ValueOf(metaSyncCursor), js.ValueOf(float64(*ch.Cursor))); err != nil {
				return err
			}
		}
		if ch.ProfileCursor != nil {
			os, err := tx.ObjectStore(storeMeta)
			if err != nil {
				return err
			}
			if _, err := os.PutKey(js.ValueOf(metaProfileCursor), js.ValueOf(float64(*ch.ProfileCursor))); err != nil {
				return err
			}
		}
		if ch.SocialVersion != nil {
			os, err := tx.ObjectStore(storeMeta)
			if err != nil {
				return err
			}
			if _, err := os.PutKey(js.ValueOf(metaSocialVersion), js.ValueOf(float64(*ch.SocialVersion))); err != nil {
				return err
			}
		}
		return nil
	}
	if err := issue(); err != nil {
		_ = tx.Abort()
		return wrapErr(op, err)
	}
	// Let the browser commit without waiting for the last success event.
	_ = tx.Commit()
	return wrapErr(op, s.awaitTx(ctx, op, tx, true))
}

// Users returns the cached profiles among userIDs, in the order asked.
func (s *Store) Users(ctx context.Context, userIDs []string) ([]core.User, error) {
	var out []core.User
	err := s.getByKeys(ctx, "users", storeUsers, userIDs, func(arr js.Value) (err error) {
		out, err = usersOfJS(arr)
		return err
	})
	return out, err
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
// order of keys, to decode as one JS array (one crossing per record cost a
// list of 1,000 conversations a quarter of a second for its peers'
// profiles).
func (s *Store) getByKeys(ctx context.Context, op, store string, keys []string, decode func(js.Value) error) error {
	if len(keys) == 0 {
		_, done, err := s.begin(ctx)
		if err != nil {
			return err
		}
		done()
		return nil
	}
	return s.read(ctx, op, []string{store}, func(_ context.Context, tx *idb.Transaction) (func() error, error) {
		os, err := tx.ObjectStore(store)
		if err != nil {
			return nil, err
		}
		reqs := make([]*idb.Request, len(keys))
		for i, k := range keys {
			if reqs[i], err = os.Get(js.ValueOf(k)); err != nil {
				return nil, err
			}
		}
		return func() error {
			found := js.Global().Get("Array").New()
			for _, r := range reqs {
				v, err := r.Result()
				if err != nil {
					return err
				}
				if !v.IsUndefined() {
					found.Call("push", v)
				}
			}
			return decode(found)
		}, nil
	})
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
	// Listeners go on before this goroutine yields, so no event is missed.
	result := make(chan error, 1)
	send := func(err error) {
		select {
		case result <- err:
		default:
		}
	}
	onSuccess := js.FuncOf(func(js.Value, []js.Value) any { send(nil); return nil })
	onError := js.FuncOf(func(js.Value, []js.Value) any {
		msg := "request failed"
		if e := req.Get("error"); e.Truthy() {
			msg = e.Get("name").String() + ": " + e.Get("message").String()
		} else if e := tx.Get("error"); e.Truthy() {
			msg = e.Get("name").String() + ": " + e.Get("message").String()
		}
		send(errors.New(msg))
		return nil
	})
	req.Call("addEventListener", "success", onSuccess)
	req.Call("addEventListener", "error", onError)
	tx.Call("addEventListener", "abort", onError)
	defer func() {
		// Remove before releasing, so a late event never calls a released
		// function.
		req.Call("removeEventListener", "success", onSuccess)
		req.Call("removeEventListener", "error", onError)
		tx.Call("removeEventListener", "abort", onError)
		onSuccess.Release()
		onError.Release()
	}()
	select {
	case err := <-result:
		if err != nil {
			return js.Undefined(), err
		}
		return req.Get("result"), nil
	case <-ctx.Done():
		abortQuietly(tx)
		return js.Undefined(), ctx.Err()
	}
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
