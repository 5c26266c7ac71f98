//go:build js

package indexdb

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"syscall/js"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"

	"parley/core"
)

// DefaultOpTimeout bounds every IndexedDB wait when Config.OpTimeout is 0.
const DefaultOpTimeout = 20 * time.Second

// Config configures Open. The zero value is usable.
type Config struct {
	// OpTimeout bounds every wait for IndexedDB (0: DefaultOpTimeout), on
	// top of the caller's context.
	OpTimeout time.Duration
	// Logger receives warnings; nil is silent.
	Logger *slog.Logger

	// version opens an older schema; tests use it to check upgrades.
	version uint
}

// DBName is the database of one user: prefix (the app's dbName, "parley"
// by default) and the user ID, joined by '_'. User IDs cannot contain '_',
// so different users never share a database.
func DBName(prefix, userID string) string {
	if prefix == "" {
		prefix = "parley"
	}
	return prefix + "_" + userID
}

// Store is core.Store on one IndexedDB database.
type Store struct {
	name    string
	timeout time.Duration
	log     *slog.Logger

	// mu guards closed; operations hold it shared for their whole run so
	// Close waits for them.
	mu     sync.RWMutex
	closed bool
	db     *idb.Database
	// jsDB is the same IDBDatabase as db, for getAll (see getAll).
	jsDB js.Value
	// search: the schema has the search store (a test opens older ones).
	search bool
	srch   searchCache
}

var _ core.Store = (*Store)(nil)

// Open opens (creating or upgrading) the database name.
func Open(ctx context.Context, name string, cfg Config) (_ *Store, err error) {
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = DefaultOpTimeout
	}
	if cfg.version == 0 {
		cfg.version = SchemaVersion
	}
	defer func() {
		// go-indexeddb panics when the global indexedDB is missing.
		if r := recover(); r != nil {
			err = errors.New("indexdb: open " + name + ": " + panicText(r))
		}
	}()
	jsFactory := js.Global().Get("indexedDB")
	if !jsFactory.Truthy() {
		return nil, errors.New("indexdb: no indexedDB in this JS environment")
	}

	// The upgrade steps need the open request's version-change
	// transaction, which go-indexeddb keeps to itself: hand it a factory
	// whose open() remembers the request.
	var openReq js.Value
	openFn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		anyArgs := make([]any, len(args))
		for i, a := range args {
			anyArgs[i] = a
		}
		openReq = jsFactory.Call("open", anyArgs...)
		return openReq
	})
	defer openFn.Release()
	proxy := js.Global().Get("Object").New()
	proxy.Set("open", openFn)
	factory, err := idb.WrapFactory(proxy)
	if err != nil {
		return nil, err
	}

	var upgradeErr error
	upgrader := func(db *idb.Database, oldVersion, newVersion uint) error {
		// Never return an error: go-indexeddb panics on it inside a JS
		// callback, which would end the Go runtime. Abort instead.
		defer func() {
			if r := recover(); r != nil {
				upgradeErr = errors.New("indexdb: upgrade " + name + ": " + panicText(r))
				abortQuietly(openReq.Get("transaction"))
			}
		}()
		jsDB := openReq.Get("result")
		tx := openReq.Get("transaction")
		all := upgradeSteps()
		for v := oldVersion; v < newVersion && int(v) < len(all); v++ {
			all[v](jsDB, tx)
		}
		return nil
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.OpTimeout)
	defer cancel()
	req, err := factory.Open(ctx, name, cfg.version, upgrader)
	if err != nil {
		return nil, errors.New("indexdb: open " + name + ": " + err.Error())
	}
	db, err := req.Await(ctx)
	if upgradeErr != nil {
		return nil, upgradeErr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		// The open may still succeed later (a blocked upgrade): close what
		// it brings so the database is not held open.
		closeWhenOpen(openReq)
		return nil, wrapErr("open "+name, err)
	}
	s := &Store{name: name, timeout: cfg.OpTimeout, log: cfg.Logger, db: db, jsDB: openReq.Get("result"), search: cfg.version >= 7,
		srch: searchCache{lines: js.Undefined(), joined: js.Undefined()}}
	if s.search {
		if s.srch.next, err = readSearchNext(ctx, s.jsDB); err != nil {
			db.Close()
			return nil, wrapErr("open "+name, err)
		}
	}
	return s, nil
}

// closeWhenOpen closes the database an abandoned open request yields.
func closeWhenOpen(req js.Value) {
	if req.IsUndefined() {
		return
	}
	if req.Get("readyState").String() == "done" {
		if r := req.Get("result"); r.Truthy() {
			r.Call("close")
		}
		return
	}
	var onSuccess js.Func
	onSuccess = js.FuncOf(func(js.Value, []js.Value) any {
		if r := req.Get("result"); r.Truthy() {
			r.Call("close")
		}
		onSuccess.Release()
		return nil
	})
	req.Call("addEventListener", "success", onSuccess, map[string]any{"once": true})
}

func abortQuietly(tx js.Value) {
	defer func() { _ = recover() }()
	if tx.Truthy() {
		tx.Call("abort")
	}
}

// Delete removes the database name. It fails while a connection to it is
// open.
func Delete(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultOpTimeout)
	defer cancel()
	f, err := factory()
	if err != nil {
		return err
	}
	req, err := f.DeleteDatabase(name)
	if err != nil {
		return wrapErr("delete "+name, err)
	}
	if err := req.Await(ctx); err != nil {
		return wrapErr("delete "+name, err)
	}
	return wrapErr("delete "+name, ctx.Err())
}

func factory() (f *idb.Factory, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("indexdb: " + panicText(r))
		}
	}()
	return idb.Global(), nil
}

// Name returns the database name.
func (s *Store) Name() string { return s.name }

// Close closes the database after the operations in flight finished.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return wrapErr("close", s.db.Close())
}

// begin starts an operation: it takes the shared lock and bounds ctx. The
// caller must call the returned done.
func (s *Store) begin(ctx context.Context) (context.Context, func(), error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, nil, core.ErrStoreClosed
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	return ctx, func() { cancel(); s.mu.RUnlock() }, nil
}

// read runs fn in one readonly transaction over stores; fn issues requests
// and returns a function that collects their results once the transaction
// completed.
func (s *Store) read(ctx context.Context, op string, stores []string, fn func(ctx context.Context, tx *idb.Transaction) (collect func() error, err error)) (err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer recoverJS(op, &err)
	if err := ctx.Err(); err != nil {
		return wrapErr(op, err)
	}
	tx, err := s.db.Transaction(idb.TransactionReadOnly, stores[0], stores[1:]...)
	if err != nil {
		return wrapErr(op, err)
	}
	collect, err := fn(ctx, tx)
	if err != nil {
		_ = tx.Abort()
		return wrapErr(op, err)
	}
	if err := s.awaitTx(ctx, op, tx, false); err != nil {
		return wrapErr(op, err)
	}
	return wrapErr(op, collect())
}

// awaitTx waits for tx to finish; when ctx ends first it aborts tx. write
// says tx is a readwrite transaction, whose outcome matters.
func (s *Store) awaitTx(ctx context.Context, op string, tx *idb.Transaction, write bool) error {
	err := tx.Await(ctx)
	if err == nil {
		// go-indexeddb returns nil when its context ends without an event.
		err = ctx.Err()
	}
	if err != nil && ctx.Err() != nil {
		if abortErr := tx.Abort(); abortErr != nil && write && s.log != nil {
			// tx finished as the deadline passed: it may have committed.
			// The caller sees an error and applies the batch again, which
			// the Store contract makes harmless.
			s.log.Warn("indexdb: transaction outcome unknown after deadline", "db", s.name, "op", op, "err", err)
		}
	}
	return err
}

// recoverJS turns a JS exception (a syscall/js panic) into an error.
func recoverJS(op string, err *error) {
	if r := recover(); r != nil {
		*err = errors.New("indexdb: " + op + ": " + panicText(r))
	}
}

func panicText(r any) string {
	switch v := r.(type) {
	case js.Error:
		return v.Error()
	case error:
		return v.Error()
	case string:
		return v
	}
	return "unexpected panic"
}

func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{op: op, err: err}
}

type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "indexdb: " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// toJS turns records into a JS array of plain objects with one JSON.parse.
func toJS(v any) (js.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return js.Undefined(), err
	}
	return js.Global().Get("JSON").Call("parse", string(b)), nil
}

// parseJSON turns JSON text into a JS value with one JSON.parse.
func parseJSON(b []byte) js.Value {
	return js.Global().Get("JSON").Call("parse", string(b))
}

func strKeys(ids []string) []js.Value {
	out := make([]js.Value, len(ids))
	for i, id := range ids {
		out[i] = js.ValueOf(id)
	}
	return out
}
