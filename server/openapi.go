package server

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
)

// The OpenAPI 3.1 description of the HTTP API is kept in server/openapi/,
// one fragment per area (paths and schemas), so that each area's routes
// are described beside each other and fragments merge without conflicts;
// 00_base.json holds the document's frame. TestOpenAPIMatchesRouter checks
// it against the router.
//
//go:embed openapi/*.json
var openapiFS embed.FS

// OpenAPIPath serves the merged document.
const OpenAPIPath = "/api/v1/openapi.json"

// openapiDoc merges the fragments: their paths (a method of a path
// described twice is an error) and their components.
func openapiDoc() ([]byte, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var doc map[string]any
	for _, name := range names {
		b, err := openapiFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var frag map[string]any
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("openapi %s: %w", name, err)
		}
		if doc == nil {
			doc = frag
			continue
		}
		if err := mergeInto(doc, frag, name, 0); err != nil {
			return nil, err
		}
	}
	if doc == nil {
		return nil, fmt.Errorf("openapi: no fragments")
	}
	return json.Marshal(doc)
}

// mergeInto copies src's keys into dst, recursing into objects down to
// the methods of a path (depth 2 under "paths") or a component's name;
// the same leaf in two fragments is an error.
func mergeInto(dst, src map[string]any, file string, depth int) error {
	for k, v := range src {
		have, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		hm, ok1 := have.(map[string]any)
		vm, ok2 := v.(map[string]any)
		if !ok1 || !ok2 || depth >= 2 {
			return fmt.Errorf("openapi %s: %q is described twice", file, k)
		}
		if err := mergeInto(hm, vm, file, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// routeMux is an http.ServeMux that remembers its patterns, so that the
// OpenAPI description can be checked against what is really served.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// Routes lists the routes the server serves, as "METHOD /path" patterns,
// sorted. Subtree patterns (ending in "/": the demo, /sdk/ and the API's
// not-found answer) are file trees and fallbacks, not routes, and are left
// out.
func (s *Server) Routes() []string {
	var out []string
	for _, p := range s.patterns {
		if method, path, ok := strings.Cut(p, " "); ok && method != "" && !strings.HasSuffix(path, "/") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(s.openapi)
}
