//go:build ignore

// Gensurface writes surface.gen.js from the table in surface.go. go generate
// runs it in this folder as "go run gensurface.go surface.go".
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := os.WriteFile("surface.gen.js", surfaceJS(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gensurface:", err)
		os.Exit(1)
	}
}
