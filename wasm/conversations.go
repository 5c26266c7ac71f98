//go:build js

package main

import (
	"context"
	"syscall/js"

	"parley/core"
	wasmwrapper "parley/wasm_wrapper"
)

// convMethods binds local search and hiding or deleting conversations
// (contract §4.2, §6).
func (h *handle) convMethods() map[string]wasmwrapper.Func {
	c := h.c
	return map[string]wasmwrapper.Func{
		"searchLocalMessages": func(args []js.Value) (any, error) {
			a := wasmwrapper.Object("searchLocalMessages", args, 0)
			q := core.SearchQuery{
				Keyword: a.String("keyword"), ConversationID: a.String("conversationID"),
				SenderUserIDs: a.Strings("senderUserIDs", false, 1000), ContentTypes: a.Strings("contentTypes", false, 100),
				StartTime: a.Int("startTime", 0, 0, 1<<53), EndTime: a.Int("endTime", 0, 0, 1<<53),
				Offset: int(a.Int("offset", 0, 0, 1<<31)), Count: int(a.Int("count", core.DefaultSearchCount, 1, core.MaxSearchCount)),
			}
			if err := a.Err(); err != nil {
				return nil, err
			}
			r, err := c.SearchLocalMessages(context.Background(), q)
			r.Messages = h.c.SignFileURLs(context.Background(), r.Messages)
			return r, err
		},
	}
}
