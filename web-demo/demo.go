// Package webdemo embeds the demo app that parleyd serves at /.
//
// The app is plain ES modules with no build step: static/index.html loads
// static/app.js, which imports the SDK from /sdk/index.js on the same origin.
package webdemo

import (
	"embed"
	"io/fs"
)

//go:embed all:static
var static embed.FS

// FS returns the demo's files, rooted so that index.html is at the top.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only on an invalid path; "static" is a constant.
		panic(err)
	}
	return sub
}
