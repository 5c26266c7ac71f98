package protocol

import (
	"math"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"
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
// most MaxURLLen bytes. An empty s passes when the field is optional.
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
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Errorf(CodeInvalidArgument, "%s content: %q must be an absolute http or https URL", typ, field)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return Errorf(CodeInvalidArgument, "%s content: %q holds spaces or control characters", typ, field)
	}
	return nil
}

// checkMIME checks a required media type such as "image/png".
func checkMIME(typ, s string) error {
	if s == "" {
		return Errorf(CodeInvalidArgument, "%s content needs a \"mimeType\"", typ)
	}
	if len(s) > MaxMIMETypeLen {
		return Errorf(CodeInvalidArgument, "%s content: \"mimeType\" is over %d bytes", typ, MaxMIMETypeLen)
	}
	if mt, _, err := mime.ParseMediaType(s); err != nil || !strings.Contains(mt, "/") {
		return Errorf(CodeInvalidArgument, "%s content: \"mimeType\" %q is not a media type", typ, s)
	}
	return nil
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
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == utf8.RuneError }) {
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
