package webdemo

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// TestFS checks that the embedded tree is rooted at the app, so parleyd can
// serve FS() at / and the browser finds index.html and its modules there.
func TestFS(t *testing.T) {
	if err := fstest.TestFS(FS(),
		"index.html", "style.css", "sw.js",
		"app.js", "api.js", "dom.js", "format.js", "session.js", "users.js", "sending.js",
		"views/auth.js", "views/banner.js", "views/chat.js",
		"views/conversations.js", "views/dialogs.js", "views/icons.js", "views/members.js",
	); err != nil {
		t.Fatal(err)
	}
}

// TestServiceWorkerShell checks that the service worker precaches every file
// of the app, so a reload without the server finds all modules app.js imports.
func TestServiceWorkerShell(t *testing.T) {
	src, err := fs.ReadFile(FS(), "sw.js")
	if err != nil {
		t.Fatal(err)
	}
	shell := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*'([^']+)',`).FindAllStringSubmatch(string(src), -1) {
		shell[m[1]] = true
	}
	err = fs.WalkDir(FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "sw.js" {
			return err
		}
		if strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".css") || strings.HasSuffix(path, ".html") {
			if !shell[path] {
				t.Errorf("sw.js SHELL does not list %s", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
