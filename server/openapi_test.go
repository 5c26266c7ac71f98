package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server"
)

// TestOpenAPIMatchesRouter checks the served OpenAPI document against the
// real router: every route is described (with a summary and a
// description), and every description is of a route. A route added
// without one fails here by name: describe it in a fragment of
// server/openapi/ (one file per area).
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t)
	st, body := e.get(server.OpenAPIPath, nil)
	require.Equal(t, http.StatusOK, st)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)

	routes := e.srv.Routes()
	require.Contains(t, routes, "POST /api/v1/auth/login", "Routes lists the router's patterns")
	for _, p := range e.srv.APIRoutes() {
		assert.Contains(t, routes, p)
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			route := strings.ToUpper(method) + " " + path
			described[route] = true
			var op struct{ Summary, Description string }
			require.NoError(t, json.Unmarshal(raw, &op), route)
			assert.NotEmpty(t, op.Summary, "%s: no summary in server/openapi/", route)
			assert.NotEmpty(t, op.Description, "%s: no description in server/openapi/", route)
			if !slices.Contains(routes, route) {
				t.Errorf("server/openapi/ describes %s, which the router does not serve", route)
			}
		}
	}
	for _, r := range routes {
		if !described[r] {
			t.Errorf("route %s has no OpenAPI description: add it to a fragment in server/openapi/", r)
		}
	}
}
