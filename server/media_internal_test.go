package server

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

func TestSniffMIME(t *testing.T) {
	for _, tc := range []struct {
		name, head, claimed, want string
	}{
		{"png", "\x89PNG\r\n\x1a\n", "text/html", "image/png"},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", "", "image/jpeg"},
		{"gif", "GIF89a", "image/png", "image/gif"},
		{"webp", "RIFF\x00\x00\x00\x00WEBPVP8 ", "", "image/webp"},
		{"html claimed image", "<!DOCTYPE html><p>", "image/png", "text/html; charset=utf-8"},
		{"mp4", "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "", "video/mp4"},
		{"m4a", "\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "", "audio/mp4"},
		{"mp4 container claimed audio", "\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", "audio/mp4", "audio/mp4"},
		{"mp4 claimed html", "\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", "text/html", "video/mp4"},
		{"quicktime", "\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "", "video/quicktime"},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "", "image/heic"},
		{"avif", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "", "image/avif"},
		{"webm video", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", "", "video/webm"},
		{"webm audio", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", "audio/webm;codecs=opus", "audio/webm"},
		{"ogg opus", "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead", "", "audio/ogg"},
		{"ogg theora", "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x80theora", "", "video/ogg"},
		{"flac", "fLaC\x00\x00\x00\x22", "", "audio/flac"},
		{"mp3 with tag", "ID3\x03\x00\x00\x00", "", "audio/mpeg"},
		{"mp3 frame", "\xff\xfb\x90\x00", "", "audio/mpeg"},
		{"aac", "\xff\xf1\x50\x80", "", "audio/aac"},
		{"wav", "RIFF\x00\x00\x00\x00WAVEfmt ", "", "audio/wave"},
		{"pdf", "%PDF-1.7", "", "application/pdf"},
		{"text", "hello", "", "text/plain; charset=utf-8"},
		{"csv claimed", "a,b\n1,2\n", "text/csv", "text/csv; charset=utf-8"},
		{"text claimed html", "hello", "text/html", "text/plain; charset=utf-8"},
		{"binary", "\x00\x01\x02\x03", "image/png", "application/octet-stream"},
		{"empty", "", "image/png", "text/plain; charset=utf-8"},
	} {
		assert.Equal(t, tc.want, sniffMIME([]byte(tc.head), tc.claimed), tc.name)
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		hdr    string
		off, n int64
		ok     bool
	}{
		{"", 0, 100, true},
		{"bytes=0-0", 0, 1, true},
		{"bytes=10-", 10, 90, true},
		{"bytes=10-19", 10, 10, true},
		{"bytes=90-200", 90, 10, true},
		{"bytes=-10", 90, 10, true},
		{"bytes=-200", 0, 100, true},
		{"bytes=0-1,5-6", 0, 100, true},
		{"items=0-1", 0, 100, true},
		{"bytes=100-", 0, 0, false},
		{"bytes=20-10", 0, 0, false},
		{"bytes=-0", 0, 0, false},
		{"bytes=x-", 0, 0, false},
		{"bytes=-x", 0, 0, false},
	} {
		off, n, ok := parseRange(tc.hdr, 100)
		assert.Equal(t, tc.ok, ok, tc.hdr)
		if tc.ok {
			assert.Equal(t, [2]int64{tc.off, tc.n}, [2]int64{off, n}, tc.hdr)
		}
	}
}

func TestParsePreview(t *testing.T) {
	page, _ := url.Parse("https://news.example/a/b.html")
	var out protocol.PreviewResp
	parsePreview([]byte(`<html><head><title>Plain &amp; simple</title>
		<meta name="description" content="The plain one">
		<meta property="og:title" content="OG &quot;title&quot;
		  on two lines">
		<meta content='OG description' property='og:description'>
		<meta property="og:image" content="/img/x.png">
		</head><body>…`), page, &out)
	assert.Equal(t, `OG "title" on two lines`, out.Title)
	assert.Equal(t, "OG description", out.Description)
	assert.Equal(t, "https://news.example/img/x.png", out.ImageURL)

	out = protocol.PreviewResp{}
	parsePreview([]byte(`<title>Only a title</title><meta name=description content=short><meta property="og:image" content="javascript:alert(1)">`), page, &out)
	assert.Equal(t, "Only a title", out.Title)
	assert.Equal(t, "short", out.Description)
	assert.Empty(t, out.ImageURL, "only http(s) images")

	out = protocol.PreviewResp{}
	parsePreview([]byte("<title>"+strings.Repeat("é", 600)+"</title>"), page, &out)
	assert.LessOrEqual(t, len(out.Title), protocol.MaxShortTextLen)
	assert.True(t, utf8.ValidString(out.Title))
}

// FuzzMediaParsers feeds arbitrary input to what reads untrusted bytes on
// the file and preview routes: none panics, and what they return stays
// within what the rest of the server assumes.
func FuzzMediaParsers(f *testing.F) {
	f.Add("bytes=0-10", []byte("\x89PNG\r\n\x1a\n"), "image/png", []byte(`<title>x</title><meta property="og:image" content="/i.png">`))
	f.Add("bytes=-5", []byte("\x00\x00\x00\x18ftypM4A "), "audio/webm", []byte(`<meta content='a' property='og:title'>`))
	f.Add("bytes=5-", []byte("OggS"), "text/csv", []byte("<title>\xff\xfe</title>"))
	f.Add("bytes=1-0,", []byte{}, "", []byte("<meta"))
	page, _ := url.Parse("https://h.example/p")
	f.Fuzz(func(t *testing.T, rng string, head []byte, claimed string, html []byte) {
		const size = 1000
		if off, n, ok := parseRange(rng, size); ok {
			require.True(t, off >= 0 && n >= 0 && off+n <= size, "range %q gave %d+%d", rng, off, n)
		}
		mt := sniffMIME(head, claimed)
		require.NotEmpty(t, mt)
		var out protocol.PreviewResp
		parsePreview(html, page, &out)
		lc := protocol.LinkContent{URL: page.String(), Title: out.Title, Description: out.Description, ImageURL: out.ImageURL}
		_, err := protocol.EncodeContent(&lc)
		require.NoError(t, err, "a preview makes a valid link content: %+v", out)
	})
}
