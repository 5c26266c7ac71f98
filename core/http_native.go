//go:build !js

package core

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// NativeHTTP does the HTTP API's requests with net/http. It is the default
// Config.HTTP outside the browser.
type NativeHTTP struct {
	// Client is used for the requests; nil means http.DefaultClient.
	Client *http.Client
}

var _ HTTPDoer = NativeHTTP{}

func defaultHTTP() HTTPDoer { return NativeHTTP{} }

// maxAnswerBytes bounds an API answer read into memory: the upload routes
// answer small JSON objects.
const maxAnswerBytes = 1 << 20

// Do implements HTTPDoer. The body is streamed from its parts, never
// joined in memory.
func (h NativeHTTP) Do(ctx context.Context, r *HTTPRequest) (*HTTPResponse, error) {
	var body io.Reader
	var n int64
	if r.Body != nil {
		readers := make([]io.Reader, 0, len(r.Body))
		for _, p := range r.Body {
			b, err := p.ReadBytes(ctx)
			if err != nil {
				return nil, fmt.Errorf("http: reading the body: %w", err)
			}
			readers = append(readers, bytes.NewReader(b))
			n += p.Len()
		}
		body = io.MultiReader(readers...)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	if body != nil {
		req.ContentLength = n
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("http: reading the answer: %w", err)
	}
	return &HTTPResponse{Status: resp.StatusCode, Body: b}, nil
}
