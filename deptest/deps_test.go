package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

// goList returns the transitive dependencies of pkgs for goos/goarch. A
// dependency that is not in the standard library maps to its direct imports
// too, marked with a "->" prefix, so that syscall/js (which the standard
// library itself uses on js/wasm) can be forbidden to our own packages only.
func goList(t *testing.T, goos, goarch string, pkgs ...string) map[string]bool {
	t.Helper()
	args := []string{"list", "-deps", "-f", `{{.ImportPath}}{{if not .Standard}}{{range .Imports}} ->{{.}}{{end}}{{end}}`}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = ".."
	cmd.Env = append(cmd.Environ(), "GOOS="+goos, "GOARCH="+goarch)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %v (%s/%s): %v\n%s", pkgs, goos, goarch, err, stderr)
	}
	deps := make(map[string]bool)
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	return deps
}

// forbidden reports the dependencies matching any of the prefixes. The
// prefix "->syscall/js" matches a direct import by a non-standard package.
func forbidden(deps map[string]bool, prefixes ...string) []string {
	var bad []string
	for d := range deps {
		for _, p := range prefixes {
			if d == p || strings.HasPrefix(d, p+"/") {
				bad = append(bad, d)
			}
		}
	}
	return bad
}

func TestLayers(t *testing.T) {
	cases := []struct {
		name      string
		goos      string
		goarch    string
		pkgs      []string
		forbidden []string
	}{
		{
			// protocol is shared by both sides and lands in the wasm.
			name: "protocol", goos: "linux", goarch: "amd64", pkgs: []string{"./protocol"},
			forbidden: []string{"parley/core", "parley/server", "net/http", "github.com"},
		},
		{
			name: "core native", goos: "linux", goarch: "amd64", pkgs: []string{"./core/..."},
			forbidden: []string{"parley/server", "->syscall/js", "database/sql", "github.com/gorilla",
				"github.com/nats-io", "github.com/jackc", "modernc.org"},
		},
		{
			// In the browser the transport is the browser's WebSocket: no
			// net/http, no coder/websocket (they would cost 640 KB gzip).
			name: "core wasm", goos: "js", goarch: "wasm", pkgs: []string{"./core/..."},
			forbidden: []string{"parley/server", "->syscall/js", "database/sql", "net/http",
				"github.com/coder/websocket", "github.com/gorilla", "github.com/nats-io", "github.com/jackc", "modernc.org"},
		},
		{
			name: "server", goos: "linux", goarch: "amd64", pkgs: []string{"./server/...", "./cmd/parleyd"},
			forbidden: []string{"parley/core", "->syscall/js"},
		},
		{
			// The server is handed its store and bus (server.Config); which
			// ones is cmd/parleyd's choice, so that an embedder or a test can
			// pass any store.Store and none of the drivers is linked in
			// unasked.
			name: "server without backends", goos: "linux", goarch: "amd64",
			pkgs: []string{"./server", "./server/bus", "./server/store"},
			forbidden: []string{"parley/server/store/sqlite", "parley/server/store/postgres", "parley/server/natsbus",
				"github.com/nats-io", "github.com/jackc", "modernc.org"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			deps := goList(t, tc.goos, tc.goarch, tc.pkgs...)
			if bad := forbidden(deps, tc.forbidden...); len(bad) > 0 {
				t.Errorf("%s depends on forbidden packages: %v", tc.name, bad)
			}
		})
	}
}
