//go:build !js

package main

import (
	"fmt"
	"os"
)

// main exists so that native builds of ./... succeed; the SDK itself is
// built with GOOS=js GOARCH=wasm (see ../build.sh).
func main() {
	fmt.Fprintln(os.Stderr, "parley.wasm is built with GOOS=js GOARCH=wasm: run ./build.sh")
	os.Exit(2)
}
