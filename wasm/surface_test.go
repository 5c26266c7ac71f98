//go:build !js

package main

// These tests hold the JS surface's other places to the table in
// surface.go. They read files, so they run natively; the bindings'
// check (TestBindingsFollowTheSurface) runs in the browser.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSurfaceGenFileIsCurrent(t *testing.T) {
	got, err := os.ReadFile("surface.gen.js")
	require.NoError(t, err)
	assert.Equal(t, string(surfaceJS()), string(got), "surface.gen.js is stale: run go generate ./wasm")
}

func TestSurfaceTableHasNoDuplicates(t *testing.T) {
	seen := map[string]bool{"on": true} // on is the surface's own, never a table entry
	for _, m := range jsMethods {
		assert.False(t, seen[m.Name], "method %s listed twice (or named on)", m.Name)
		seen[m.Name] = true
	}
	events := map[string]bool{}
	for _, e := range jsEvents {
		assert.False(t, events[e], "event %s listed twice", e)
		events[e] = true
	}
}

// section returns the block of src that starts with the line start and
// ends at the first "}" in column 0 after it.
func section(t *testing.T, src, start string) string {
	t.Helper()
	i := strings.Index(src, "\n"+start+"\n")
	require.GreaterOrEqual(t, i, 0, "index.d.ts has no line %q", start)
	rest := src[i+len(start)+2:]
	j := strings.Index(rest, "\n}")
	require.GreaterOrEqual(t, j, 0, "%q is not closed", start)
	return rest[:j+1]
}

func readDTS(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("index.d.ts")
	require.NoError(t, err)
	return string(src)
}

// A method declaration in the class: two spaces, the name, type parameters
// perhaps, then its parameters and return type.
var dtsMethod = regexp.MustCompile(`(?m)^  (\w+)(?:<[^>]*>)?\((.*)$`)

func TestDTSDeclaresTheTableMethods(t *testing.T) {
	class := section(t, readDTS(t), "export declare class ParleyClient {")
	declared := map[string]string{} // name -> the rest of its line after "("
	for _, m := range dtsMethod.FindAllStringSubmatch(class, -1) {
		_, twice := declared[m[1]]
		assert.False(t, twice, "index.d.ts declares %s twice", m[1])
		declared[m[1]] = m[2]
	}
	require.Contains(t, declared, "on")
	delete(declared, "on")

	for _, m := range jsMethods {
		rest, ok := declared[m.Name]
		if !assert.True(t, ok, "index.d.ts does not declare %s, which surface.go lists", m.Name) {
			continue
		}
		delete(declared, m.Name)
		assert.True(t, strings.HasPrefix(rest, m.Arg.dtsParams()),
			"index.d.ts declares %s(%s; surface.go says it takes %q", m.Name, rest, m.Arg.dtsParams())
		assert.Contains(t, rest, "): Promise<", "index.d.ts: %s must return a Promise", m.Name)
	}
	for name := range declared {
		assert.Fail(t, "index.d.ts declares a method surface.go does not list", name)
	}
}

// A documented event in the EventMap: its comment ends the line before it.
var dtsEvent = regexp.MustCompile(`(?m)^  (\w+): `)

func TestDTSDocumentsTheTableEvents(t *testing.T) {
	eventMap := section(t, readDTS(t), "export interface EventMap {")
	var documented []string
	for _, loc := range dtsEvent.FindAllStringSubmatchIndex(eventMap, -1) {
		name := eventMap[loc[2]:loc[3]]
		before := strings.TrimRight(eventMap[:loc[0]], "\n")
		assert.True(t, strings.HasSuffix(before, "*/"), "index.d.ts: event %s has no doc comment", name)
		documented = append(documented, name)
	}
	assert.ElementsMatch(t, jsEvents, documented, "index.d.ts's EventMap and surface.go's events differ")
}

// TestTableHasCoreEvents reads core's source for the names its events give
// themselves (EventName methods), so an event core starts emitting cannot
// be left out of the JS surface, where no handler could ever get it.
func TestTableHasCoreEvents(t *testing.T) {
	var emitted []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(filepath.Join("..", "core"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "EventName" || fn.Body == nil || len(fn.Body.List) != 1 {
				continue
			}
			ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
			if !ok || len(ret.Results) != 1 {
				continue
			}
			lit, ok := ret.Results[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			name, err := strconv.Unquote(lit.Value)
			require.NoError(t, err)
			emitted = append(emitted, name)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, emitted, "found no EventName methods under core/: has the way events are named changed?")
	assert.ElementsMatch(t, emitted, jsEvents, "core's events and surface.go's events differ")
}
