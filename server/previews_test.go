package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

// pageServer serves test pages on 127.0.0.1 and counts its requests.
type pageServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newPageServer(t *testing.T, mux *http.ServeMux) *pageServer {
	p := &pageServer{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func preview(t *testing.T, e *env, tok, page string) (int, protocol.PreviewResp, []byte) {
	t.Helper()
	st, _, body := e.req("GET", protocol.PreviewsPath+"?url="+url.QueryEscape(page), tok, nil, nil)
	var p protocol.PreviewResp
	if st == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, &p))
	}
	return st, p, body
}

func loopbackOnly(c *server.Config) {
	c.Media.PreviewAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	c.Media.PreviewMaxBytes = 4 << 10
	c.Media.PreviewTimeout = 500 * time.Millisecond
}

func TestPreviews(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	// A second loopback address that the allow-list does not name.
	other, err := net.Listen("tcp", "127.0.0.2:0")
	require.NoError(t, err)
	inside := &httptest.Server{Listener: other, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<title>inside secret</title>")
	})}}
	inside.Start()
	t.Cleanup(inside.Close)

	mux := http.NewServeMux()
	mux.HandleFunc("/article", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Fallback</title>
			<meta property="og:title" content="A &amp; B">
			<meta property="og:description" content="What happened">
			<meta property="og:image" content="/cover.jpg"></head><body>x</body></html>`)
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<title>Plain page</title><meta name="description" content="desc">`)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/plain", http.StatusFound) })
	mux.HandleFunc("/inside", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, inside.URL+"/", http.StatusFound) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG"))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<meta property=\"og:description\" content=\"early\">"+strings.Repeat(" ", 8<<10)+"<title>too far</title>")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/gone", http.NotFound)
	pages := newPageServer(t, mux)

	e := newEnv(t, loopbackOnly)
	_, tok := e.register("alice")

	st, p, body := preview(t, e, tok, pages.URL+"/article")
	require.Equal(t, http.StatusOK, st, "%s", body)
	assert.Equal(t, protocol.PreviewResp{URL: pages.URL + "/article", Title: "A & B", Description: "What happened", ImageURL: pages.URL + "/cover.jpg"}, p)
	// Cached: asked again, the page is not fetched again.
	hits := pages.hits.Load()
	st, p2, _ := preview(t, e, tok, pages.URL+"/article")
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, p, p2)
	assert.Equal(t, hits, pages.hits.Load())

	st, p, _ = preview(t, e, tok, pages.URL+"/moved")
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, "Plain page", p.Title, "redirects are followed")
	assert.Equal(t, pages.URL+"/moved", p.URL)

	st, p, _ = preview(t, e, tok, pages.URL+"/image")
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, protocol.PreviewResp{URL: pages.URL + "/image"}, p, "not a page: the address alone")

	st, p, _ = preview(t, e, tok, pages.URL+"/huge")
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, "early", p.Description)
	assert.Empty(t, p.Title, "read no further than PreviewMaxBytes")

	for _, tc := range []struct {
		name, page string
		status     int
		code       protocol.Code
	}{
		{"a redirect to an address not allowed", pages.URL + "/inside", 403, protocol.CodePermissionDenied},
		{"that address itself", inside.URL + "/", 403, protocol.CodePermissionDenied},
		{"IPv6 loopback", "http://[::1]:1/", 403, protocol.CodePermissionDenied},
		{"link-local metadata address", "http://169.254.169.254/latest/meta-data/", 403, protocol.CodePermissionDenied},
		{"a private address", "http://10.0.0.1/", 403, protocol.CodePermissionDenied},
		{"redirect loop", pages.URL + "/loop", 400, protocol.CodeInvalidArgument},
		{"a slow page", pages.URL + "/slow", 503, protocol.CodeUnavailable},
		{"a missing page", pages.URL + "/gone", 404, protocol.CodeNotFound},
		{"no url", "", 400, protocol.CodeInvalidArgument},
		{"not http", "file:///etc/passwd", 400, protocol.CodeInvalidArgument},
		{"relative", "/article", 400, protocol.CodeInvalidArgument},
		{"credentials", "http://u:p@127.0.0.1/", 400, protocol.CodeInvalidArgument},
	} {
		st, _, body := preview(t, e, tok, tc.page)
		assert.Equal(t, tc.status, st, "%s: %s", tc.name, body)
		assert.Equal(t, tc.code, errCodeOf(t, body), tc.name)
		assert.NotContains(t, string(body), "inside secret", tc.name)
	}

	// Without the allow-list, loopback is refused like any inside address.
	strict := newEnv(t)
	_, stok := strict.register("bob")
	before := pages.hits.Load()
	for _, page := range []string{
		pages.URL + "/article",
		// A name is checked by the address it resolves to.
		strings.Replace(pages.URL, "127.0.0.1", "localhost", 1) + "/article",
	} {
		st, _, body = preview(t, strict, stok, page)
		assert.Equal(t, http.StatusForbidden, st, "%s: %s", page, body)
		assert.Equal(t, protocol.CodePermissionDenied, errCodeOf(t, body))
	}
	assert.Equal(t, before, pages.hits.Load(), "refused before a request reached the page")
}
