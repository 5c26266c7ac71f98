package httpapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"parley/protocol"
)

func TestNamesRefuseControlAndBidiCharacters(t *testing.T) {
	for _, n := range []string{"Alice", "Zoë", "李雷", "👩‍💻 dev", "O'Brien-Smith", "עברית"} {
		assert.NoError(t, CheckNickname(n), "%q", n)
		_, err := NewGroup(n, "", nil, 1)
		assert.NoError(t, err, "group %q", n)
	}
	for _, n := range []string{"nul\x00", "bell\a", "tab\tname", "line\nbreak", "del\x7f", "c1\u0085x", "\u202Eecila", "lre\u202A", "pdf\u202C", "lri\u2066x\u2069", "rlm\u200F", "alm\u061C", "ls\u2028x"} {
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(CheckNickname(n)), "%q accepted", n)
		_, err := NewGroup(n, "", nil, 1)
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "group %q accepted", n)
		_, _, err = Register(&protocol.RegisterReq{Username: "user", Password: "long enough", Nickname: n})
		assert.Error(t, err, "register with %q", n)
	}
	assert.True(t, Displayable("two\nlines\tand a tab", true))
	assert.False(t, Displayable("two\nlines", false))
	assert.False(t, Displayable("cr\r", true))
	assert.False(t, Displayable("\u202E", true))
}

func TestCheckFaceURL(t *testing.T) {
	for _, u := range []string{
		"",
		"https://cdn.example.com/a.png",
		"http://127.0.0.1:8080/x.jpg?size=64",
		"HTTPS://Example.com/a%20b.png",
		"/api/v1/files/u1/face.png",
		"/api/v1/files/abc?sig=xyz&exp=1",
	} {
		assert.NoError(t, CheckFaceURL(u), "%q", u)
	}
	for _, u := range []string{
		"javascript:alert(1)",
		"JavaScript:alert(1)",
		" javascript:alert(1)",
		"data:image/png;base64,AAAA",
		"vbscript:x",
		"file:///etc/passwd",
		"ftp://example.com/a.png",
		"//evil.example/a.png",
		"/etc/passwd",
		"relative.png",
		"https://",
		"https://user:pass@evil.example/a.png",
		"https://example.com/a b.png",
		"https://example.com/\x00",
		"https:\\\\evil.example",
		"/api/v1/files/",
		"/api/v1/files/../../admin",
		"/api/v1/files//evil.example",
		"https://" + strings.Repeat("a", MaxFaceURLLen),
		"\xff",
	} {
		assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(CheckFaceURL(u)), "%q accepted", u)
	}
}
