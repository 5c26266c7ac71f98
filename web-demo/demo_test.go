package webdemo

import (
	"testing"
	"testing/fstest"
)

// TestFS checks that the embedded tree is rooted at the app, so parleyd can
// serve FS() at / and the browser finds index.html and its modules there.
func TestFS(t *testing.T) {
	if err := fstest.TestFS(FS(), "index.html", "app.js", "style.css"); err != nil {
		t.Fatal(err)
	}
}
