//go:build js

package indexdb

import (
	"syscall/js"
)

// Object store and index names.
const (
	storeUsers         = "users"
	storeFriends       = "friends"
	storeGroups        = "groups"
	storeConversations = "conversations"
	storeMessages      = "messages"
	storeOutbox        = "outbox"
	storeMeta          = "meta"

	indexConvSeq   = "convSeq"
	indexUnsent    = "unsent"
	indexOrder     = "order"
	metaSyncCursor = "syncCursor"
)

var allStores = []string{storeUsers, storeFriends, storeGroups, storeConversations, storeMessages, storeOutbox, storeMeta}

// upgradeStep moves the schema from version i to i+1 (steps[i]). It runs
// inside "upgradeneeded" with the IDBDatabase and the version-change
// IDBTransaction (raw JS values: go-indexeddb does not expose that
// transaction, and a step needs it to reach existing stores). A step must
// not wait for anything: it runs in a JS event callback. Steps are
// append-only: a released step never changes; a new schema is a new step.
type upgradeStep func(db, tx js.Value)

// SchemaVersion is the IndexedDB version this package opens: the number of
// upgrade steps.
const SchemaVersion = 2

// upgradeSteps is the schema history, len SchemaVersion. A step reports
// failure by panicking (syscall/js does so on a JS exception); the upgrade
// is then aborted and Open fails.
func upgradeSteps() []upgradeStep {
	return []upgradeStep{
		// 1: the stores, and the index every history read needs.
		func(db, tx js.Value) {
			for _, s := range []struct{ name, key string }{
				{storeUsers, "userID"},
				{storeFriends, "userID"},
				{storeGroups, "groupID"},
				{storeConversations, "conversationID"},
				{storeMessages, "clientMsgID"},
				{storeOutbox, "clientMsgID"},
			} {
				db.Call("createObjectStore", s.name, map[string]any{"keyPath": s.key})
			}
			db.Call("createObjectStore", storeMeta)
			tx.Call("objectStore", storeMessages).Call("createIndex", indexConvSeq, "_cs", map[string]any{"unique": true})
		},
		// 2: unsent messages per conversation, the outbox's send order and the
		// conversation list order. Creating an index indexes the records that
		// are already there.
		func(db, tx js.Value) {
			tx.Call("objectStore", storeMessages).Call("createIndex", indexUnsent, "_us")
			tx.Call("objectStore", storeOutbox).Call("createIndex", indexOrder, "_order")
			tx.Call("objectStore", storeConversations).Call("createIndex", indexOrder, "_order")
		},
	}
}
