package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneWriter keeps writer.go the only place in core that writes to the
// Store: a call of a method named Apply anywhere else fails it. convCache
// is a Store itself (it passes its own Apply on to the store it wraps).
func TestOneWriter(t *testing.T) {
	allowed := map[string]int{"writer.go": 1, "convcache.go": 2}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	found := map[string]int{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		f, err := parser.ParseFile(fset, name, src, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Apply" {
				found[name]++
				if _, ok := allowed[name]; !ok {
					t.Errorf("%s: Store.Apply called outside the writer", fset.Position(call.Pos()))
				}
			}
			return true
		})
	}
	assert.Equal(t, allowed, found, "Apply calls per file")
}
