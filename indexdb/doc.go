// Package indexdb is core.Store on the browser's IndexedDB, through
// github.com/hack-pad/go-indexeddb. One database holds one user's data; it
// is named DBName(prefix, userID), e.g. "parley_alice".
//
// Layout (schema version 6):
//
//	users          key userID
//	friends        key userID
//	groups         key groupID
//	conversations  key conversationID; index "list" on
//	               [0 if pinned else 1, -activity, conversationID]: the
//	               list's order ascending, so a page is a bounded getAll
//	messages       key clientMsgID (the clientMsgID lookup);
//	               index "convSeq" on [conversationID, seq], only for
//	               messages that have a seq; index "unsent" on
//	               [conversationID, createTime, clientMsgID], only for those
//	               that do not
//	outbox         key clientMsgID; index "order" on [order, clientMsgID]
//	meta           out-of-line keys: "syncCursor"
//	friendRequests key [fromUserID, toUserID]
//	blacklist      key userID
//	groupMembers   key [groupID, userID] (a group's members: one key range)
//
// Records are the core types' JSON, parsed into JS objects, plus the
// derived index fields (prefixed "_"). A message's custom content is kept
// as a string so its bytes survive exactly.
//
// # Wasm
//
//   - Only builds for GOOS=js. It needs a global indexedDB, so it works in a
//     page and in a Worker.
//   - Every write batch is one readwrite transaction; every read is one
//     readonly transaction. Open, the schema upgrade, writes and point reads
//     go through go-indexeddb; list reads use getAll directly on the same
//     connection, which go-indexeddb lacks. Every wait has a deadline (Config.OpTimeout,
//     default 20 s): an IndexedDB event that never comes (a transaction that
//     finished before anyone listened, a database blocked by another tab)
//     turns into an error instead of a hang.
//   - When another tab opens the same database with a newer schema, this
//     connection is closed for it (go-indexeddb does this on
//     "versionchange"); later calls fail and the app should reload.
//   - Numbers are JS doubles: seqs and times are exact up to 2^53.
package indexdb
