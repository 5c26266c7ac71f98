package server

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
)

// sniffMIME decides a file's stored type from its first bytes: what
// net/http.DetectContentType finds, refined where it knows only the
// container (ISO media's brands, Ogg's codecs, WebM audio) or nothing
// (FLAC, MP3 without a tag, AAC, HEIC, AVIF). The client's claim is taken
// only where the bytes cannot tell it apart and it names the same
// container (audio/webm for a WebM file); it never turns bytes into a
// type they are not.
func sniffMIME(head []byte, claimed string) string {
	claim, _, _ := mime.ParseMediaType(claimed)
	if t := sniffMedia(head); t != "" {
		return refineContainer(t, claim)
	}
	t := http.DetectContentType(head)
	switch base, _, _ := mime.ParseMediaType(t); base {
	case "video/webm", "application/ogg", "video/mp4":
		return refineContainer(base, claim)
	case "text/plain":
		// Text of some kind: the claim may say which, as long as it is a
		// text type that renders nothing (downloads are attachments).
		if c, ok := textClaim(claim); ok {
			return c + "; charset=utf-8"
		}
	}
	return t
}

// refineContainer takes the claim when it names the same container as
// the sniffed type with another kind of content (audio in a video
// container, for example).
func refineContainer(sniffed, claim string) string {
	same := map[string][]string{
		"video/webm":      {"audio/webm"},
		"application/ogg": {"audio/ogg", "video/ogg", "audio/opus"},
		"audio/ogg":       {"audio/opus"},
		"video/mp4":       {"audio/mp4", "audio/x-m4a", "audio/aac"},
		"video/quicktime": {"video/mp4"},
	}
	for _, alt := range same[sniffed] {
		if claim == alt {
			return claim
		}
	}
	if sniffed == "application/ogg" {
		return "audio/ogg"
	}
	return sniffed
}

func textClaim(claim string) (string, bool) {
	switch claim {
	case "text/csv", "text/markdown", "text/calendar", "text/vcard", "text/tab-separated-values":
		return claim, true
	}
	return "", false
}

// sniffMedia recognises the formats DetectContentType does not, or knows
// only as their container.
func sniffMedia(b []byte) string {
	switch {
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return isoBrand(string(b[8:12]))
	case bytes.HasPrefix(b, []byte("fLaC")):
		return "audio/flac"
	case bytes.HasPrefix(b, []byte("OggS")):
		switch {
		case bytes.Contains(b, []byte("OpusHead")), bytes.Contains(b, []byte("\x01vorbis")):
			return "audio/ogg"
		case bytes.Contains(b, []byte("\x80theora")):
			return "video/ogg"
		}
		return "application/ogg"
	case len(b) >= 2 && b[0] == 0xFF && (b[1]&0xF6) == 0xF0:
		// An ADTS frame header: sync word, layer 0.
		return "audio/aac"
	case len(b) >= 3 && b[0] == 0xFF && (b[1]&0xE0) == 0xE0 && (b[1]&0x06) != 0 && (b[2]&0xF0) != 0xF0:
		// An MPEG audio frame header (MP3 without an ID3 tag).
		return "audio/mpeg"
	case bytes.HasPrefix(b, []byte("#!AMR")):
		return "audio/amr"
	}
	return ""
}

// isoBrand maps an ISO base media file's major brand to its type.
func isoBrand(brand string) string {
	switch strings.TrimSpace(brand) {
	case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1":
		return "image/heic"
	case "avif", "avis":
		return "image/avif"
	case "M4A", "M4B", "F4A":
		return "audio/mp4"
	case "qt":
		return "video/quicktime"
	case "3gp4", "3gp5", "3gp6", "3g2a":
		return "video/3gpp"
	}
	return "video/mp4"
}
