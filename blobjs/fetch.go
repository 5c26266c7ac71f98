//go:build js

package blobjs

import (
	"context"
	"fmt"
	"syscall/js"

	"parley/core"
)

// Fetch is core.HTTPDoer over the browser's fetch.
type Fetch struct{}

var _ core.HTTPDoer = Fetch{}

// Do implements core.HTTPDoer. A body of several parts is sent as one
// Blob of them: the browser joins them without reading them into Go. ctx
// ending aborts the request.
func (Fetch) Do(ctx context.Context, r *core.HTTPRequest) (*core.HTTPResponse, error) {
	headers := js.Global().Get("Headers").New()
	if r.Token != "" {
		headers.Call("set", "Authorization", "Bearer "+r.Token)
	}
	if r.ContentType != "" {
		headers.Call("set", "Content-Type", r.ContentType)
	}
	init := map[string]any{"method": r.Method, "headers": headers, "credentials": "omit"}
	if r.Body != nil {
		parts := make([]any, len(r.Body))
		for i, p := range r.Body {
			v, err := ToJS(ctx, p)
			if err != nil {
				return nil, fmt.Errorf("fetch: %w", err)
			}
			parts[i] = v
		}
		init["body"] = js.Global().Get("Blob").New(parts)
	}
	abort := js.Global().Get("AbortController").New()
	init["signal"] = abort.Get("signal")
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()
	resp, err := Await(ctx, js.Global().Call("fetch", r.URL, init))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", r.Method, err)
	}
	text, err := Await(ctx, resp.Call("text"))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: reading the answer: %w", r.Method, err)
	}
	return &core.HTTPResponse{Status: resp.Get("status").Int(), Body: []byte(text.String())}, nil
}
