package protocol

import (
	"math"
	"strings"
)

// Limits of the fields of the rich content types (docs/limits.md). They
// keep one message far below MaxContentBytes except where a type holds
// many parts (merger).
const (
	// MaxURLLen bounds every URL a content holds.
	MaxURLLen = 2048
	// MaxMIMETypeLen bounds a mimeType.
	MaxMIMETypeLen = 255
	// MaxFileNameLen bounds a file's name, in bytes.
	MaxFileNameLen = 255
	// MaxFileSize bounds a size a content may claim: the largest integer a
	// JS number holds exactly. The server's per-file limit is far lower
	// and is enforced when the file is uploaded.
	MaxFileSize = 1<<53 - 1
	// MaxPixels bounds a width or a height.
	MaxPixels = 1 << 16
	// MaxDurationSeconds bounds a voice or video duration (a week).
	MaxDurationSeconds = 7 * 24 * 3600
	// MaxShortTextLen bounds names and titles (nickname, link title,
	// merger title), in bytes.
	MaxShortTextLen = 512
	// MaxLongTextLen bounds descriptions and summaries, in bytes.
	MaxLongTextLen = 4096
	// MaxMentionUserIDs bounds MentionContent.AtUserIDs.
	MaxMentionUserIDs = 100
	// MaxMergerMessages bounds MergerContent.Messages.
	MaxMergerMessages = 100
)

// checkURL checks that s is an absolute http or https URL with a host, at
// most MaxURLLen bytes, with no user info, spaces, control characters or
// backslashes (which browsers read as slashes). An empty s passes when the
// field is optional. It is written out rather than on net/url, which would
// weigh on every user's download of the SDK.
func checkURL(typ, field, s string, required bool) error {
	if s == "" {
		if required {
			return Errorf(CodeInvalidArgument, "%s content needs a %q", typ, field)
		}
		return nil
	}
	if len(s) > MaxURLLen {
		return Errorf(CodeInvalidArgument, "%s content: %q is over %d bytes", typ, field, MaxURLLen)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return Errorf(CodeInvalidArgument, "%s content: %q holds spaces, control characters or backslashes", typ, field)
	}
	if !validHTTPURL(s) {
		return Errorf(CodeInvalidArgument, "%s content: %q must be an absolute http or https URL", typ, field)
	}
	return nil
}

// validHTTPURL reports whether s (without spaces or control characters)
// starts with http:// or https:// and a host, without user info.
func validHTTPURL(s string) bool {
	lower := strings.ToLower(s[:min(len(s), 8)])
	var rest string
	switch {
	case strings.HasPrefix(lower, "https://"):
		rest = s[8:]
	case strings.HasPrefix(lower, "http://"):
		rest = s[7:]
	default:
		return false
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if strings.Contains(authority, "@") {
		return false
	}
	host := authority
	if strings.HasPrefix(host, "[") {
		// An IPv6 literal, then an optional port.
		end := strings.IndexByte(host, ']')
		if end < 2 {
			return false
		}
		return validPort(host[end+1:])
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		if !validPort(host[i:]) {
			return false
		}
		host = host[:i]
	}
	return host != "" && !strings.ContainsAny(host, "[]")
}

// validPort reports whether s is "" or ":" and up to five digits.
func validPort(s string) bool {
	if s == "" {
		return true
	}
	if s[0] != ':' || len(s) > 6 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkMIME checks a required media type such as "image/png" or
// "audio/webm;codecs=opus": a type and subtype of token characters,
// optionally parameters. Written out rather than on package mime, for the
// same reason as checkURL.
func checkMIME(typ, s string) error {
	if s == "" {
		return Errorf(CodeInvalidArgument, "%s content needs a \"mimeType\"", typ)
	}
	if len(s) > MaxMIMETypeLen {
		return Errorf(CodeInvalidArgument, "%s content: \"mimeType\" is over %d bytes", typ, MaxMIMETypeLen)
	}
	if !ValidMediaType(s) {
		return Errorf(CodeInvalidArgument, "%s content: \"mimeType\" %q is not a media type", typ, s)
	}
	return nil
}

// ValidMediaType reports whether s is type/subtype, both tokens (RFC
// 2045), optionally followed by ";" and printable parameters.
func ValidMediaType(s string) bool {
	base, params, _ := strings.Cut(s, ";")
	base = strings.TrimSpace(base)
	t, sub, ok := strings.Cut(base, "/")
	if !ok || !mediaToken(t) || !mediaToken(sub) {
		return false
	}
	return !strings.ContainsFunc(params, func(r rune) bool { return r < ' ' || r == 0x7f })
}

func mediaToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// checkSize checks a file size in bytes.
func checkSize(typ string, n int64) error {
	if n < 0 || n > MaxFileSize {
		return Errorf(CodeInvalidArgument, "%s content: \"size\" must be between 0 and %d", typ, int64(MaxFileSize))
	}
	return nil
}

// checkPixels checks a width or height; 0 means unknown.
func checkPixels(typ, field string, n int) error {
	if n < 0 || n > MaxPixels {
		return Errorf(CodeInvalidArgument, "%s content: %q must be between 0 and %d", typ, field, MaxPixels)
	}
	return nil
}

// checkDuration checks a duration in seconds.
func checkDuration(typ string, d float64) error {
	if math.IsNaN(d) || d < 0 || d > MaxDurationSeconds {
		return Errorf(CodeInvalidArgument, "%s content: \"duration\" must be between 0 and %d seconds", typ, MaxDurationSeconds)
	}
	return nil
}

// checkLen checks that an optional plain-text field is at most max bytes
// and holds no control characters other than tab and line breaks.
func checkLen(typ, field, s string, max int) error {
	if len(s) > max {
		return Errorf(CodeInvalidArgument, "%s content: %q is over %d bytes", typ, field, max)
	}
	return nil
}

// checkName checks a name shown on one line (a file name, a title): at
// most max bytes, no control characters.
func checkName(typ, field, s string, max int) error {
	if err := checkLen(typ, field, s, max); err != nil {
		return err
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return Errorf(CodeInvalidArgument, "%s content: %q holds control characters", typ, field)
	}
	return nil
}

// checkUserID checks a required user ID.
func checkUserID(typ, field, s string) error {
	if !ValidID(s) {
		return Errorf(CodeInvalidArgument, "%s content: %q must be a valid user ID", typ, field)
	}
	return nil
}
