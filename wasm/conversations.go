//go:build js

package main

import (
	"context"
	"syscall/js"

	"parley/core"
	wasmwrapper "parley/wasm_wrapper"
)

// idMethod binds a method that takes {<field>: id} and resolves to
// undefined.
func idMethod(name, field string, f func(ctx context.Context, id string) error) wasmwrapper.Func {
	return func(args []js.Value) (any, error) {
		a := wasmwrapper.Object(name, args, 0)
		id := a.RequiredString(field)
		if err := a.Err(); err != nil {
			return nil, err
		}
		return nil, f(context.Background(), id)
	}
}

// convMethods binds local search and hiding or deleting conversations
// (contract §4.2, §6).
func (h *handle) convMethods() map[string]wasmwrapper.Func {
	c := h.c
	return map[string]wasmwrapper.Func{
		"hideConversation":   idMethod("hideConversation", "conversationID", c.HideConversation),
		"deleteConversation": idMethod("deleteConversation", "conversationID", c.DeleteConversation),
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
