//go:build js

package indexdb

import (
	"syscall/js"

	"parley/core"
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
	// storeChunks holds the bytes of unsent messages' files (chunks.go).
	storeChunks = "chunks"
	// storeFriendRequests is keyed by [fromUserID, toUserID].
	storeFriendRequests = "friendRequests"
	storeBlack          = "blacklist"
	// storeGroupMembers is keyed by [groupID, userID]: a group's members
	// are one key range.
	storeGroupMembers = "groupMembers"
	// storeGroupApplications is keyed by [groupID, userID].
	storeGroupApplications = "groupApplications"

	indexConvSeq   = "convSeq"
	indexUnsent    = "unsent"
	indexOrder     = "order"
	indexList      = "list"
	metaSyncCursor = "syncCursor"
	// metaProfileCursor is the profile cursor (core.ProfileCursorReader).
	metaProfileCursor = "profileCursor"
	// metaSocialVersion is the social version (core.SocialVersionReader).
	metaSocialVersion = "socialVersion"
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
const SchemaVersion = 8

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
		// 3: the conversation list's own order ("list" on _list, see
		// listKey), replacing "order", which sorted by updatedAt (a read or
		// a draft moved a conversation). Stored records get the new key.
		func(db, tx js.Value) {
			os := tx.Call("objectStore", storeConversations)
			os.Call("deleteIndex", indexOrder)
			os.Call("createIndex", indexList, "_list")
			rewriteListKeys(tx, os)
		},
		// 4: the chunks of unsent messages' files, keyed [clientMsgID,
		// slot, index], so that a message's chunks are one key range.
		func(db, tx js.Value) {
			db.Call("createObjectStore", storeChunks, map[string]any{"keyPath": []any{"clientMsgID", "slot", "index"}})
		},
		// 5: friend requests to and from the user, in every state, and the
		// users the user blocks.
		func(db, tx js.Value) {
			db.Call("createObjectStore", storeFriendRequests, map[string]any{"keyPath": []any{"fromUserID", "toUserID"}})
			db.Call("createObjectStore", storeBlack, map[string]any{"keyPath": "userID"})
		},
		// 6: the members of the joined groups.
		func(db, tx js.Value) {
			db.Call("createObjectStore", storeGroupMembers, map[string]any{"keyPath": []any{"groupID", "userID"}})
		},
		// 7: the search records of the stored messages (search.go).
		indexSearch,
		// 8: the applications to join groups the user may decide or made.
		func(db, tx js.Value) {
			db.Call("createObjectStore", storeGroupApplications, map[string]any{"keyPath": []any{"groupID", "userID"}})
		},
	}
}

// rewriteListKeys gives every stored conversation its _list key and drops
// _order.
func rewriteListKeys(tx, os js.Value) {
	eachStored(tx, os, func(cur js.Value) {
		rec := cur.Get("value")
		rec.Set("_list", listKeyOfJS(rec))
		rec.Delete("_order")
		cur.Call("update", rec)
	}, nil)
}

// eachStored calls fn with a cursor at every record of os, then end (when
// not nil), walking it inside the upgrade's transaction (which stays open
// while the cursor has requests pending).
func eachStored(tx, os js.Value, fn func(cur js.Value), end func()) {
	req := os.Call("openCursor")
	var next, stop js.Func
	release := func() {
		req.Call("removeEventListener", "success", next)
		req.Call("removeEventListener", "error", stop)
		next.Release()
		stop.Release()
	}
	next = js.FuncOf(func(js.Value, []js.Value) any {
		defer func() {
			// A JS exception here must not end the Go runtime: abort the
			// upgrade instead, so Open fails.
			if r := recover(); r != nil {
				release()
				abortQuietly(tx)
			}
		}()
		cur := req.Get("result")
		if cur.IsNull() || cur.IsUndefined() {
			release()
			if end != nil {
				end()
			}
			return nil
		}
		fn(cur)
		cur.Call("continue")
		return nil
	})
	stop = js.FuncOf(func(js.Value, []js.Value) any { release(); return nil })
	req.Call("addEventListener", "success", next)
	req.Call("addEventListener", "error", stop)
}

// listKeyOfJS is listKey of a stored conversation record.
func listKeyOfJS(rec js.Value) js.Value {
	num := func(v js.Value) int64 {
		if v.Type() == js.TypeNumber {
			return int64(v.Float())
		}
		return 0
	}
	c := core.Conversation{
		ConversationID: rec.Get("conversationID").String(),
		IsPinned:       rec.Get("isPinned").Truthy(),
		UpdatedAt:      num(rec.Get("updatedAt")),
	}
	if lm := rec.Get("latestMessage"); lm.Type() == js.TypeObject {
		c.LatestMessage = &core.Message{SendTime: num(lm.Get("sendTime"))}
	}
	k := listKey(&c)
	return js.ValueOf([]any{k[0], k[1], k[2]})
}
