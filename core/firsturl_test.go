package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFirstURL(t *testing.T) {
	for text, want := range map[string]string{
		"":                                      "",
		"no link":                               "",
		"see https://a.example/x?y=1.":          "https://a.example/x?y=1",
		"(http://a.example/p) and https://b.ex": "http://a.example/p",
		"https://b.example/q, http://a.example": "https://b.example/q",
		"line\nhttps://c.example/\"quoted\"":    "https://c.example/\"quoted",
		"ftp://x.example only":                  "",
	} {
		assert.Equal(t, want, firstURL(text), "%q", text)
	}
}
