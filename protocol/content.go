package protocol

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// A message's content is a typed envelope: Message.ContentType names the
// type, Message.Content holds a JSON object whose shape the type defines.
// Each accepted type is one Content implementation in a file of its own
// (content_text.go, content_custom.go): its Go shape, its validation, its
// canonical encoding and its summary. newContent below is the one place
// that lists them. The server checks every send with CheckContent; the
// SDK builds content with EncodeContent and reads it with DecodeContent,
// so both apply the same rules.

// Content types (contract §4.1), one codec file each.
const (
	ContentText   = "text"
	ContentImage  = "image"
	ContentFile   = "file"
	ContentVoice  = "voice"
	ContentVideo  = "video"
	ContentCustom = "custom"
)

// Content types of rich messages (issue 12).
const (
	ContentLocation     = "location"
	ContentCard         = "card"
	ContentQuote        = "quote"
	ContentMention      = "mention"
	ContentMerger       = "merger"
	ContentFace         = "face"
	ContentLink         = "link"
	ContentNotification = "notification"
)

// Limits every content is held to, whatever its type (docs/limits.md).
const (
	// MaxContentBytes bounds a content's canonical encoding. A pull answer
	// carries at most a few MB of content, so one message must stay far
	// below that; and it leaves room in a frame of
	// DefaultMaxFrameBytes for the message around it.
	MaxContentBytes = 60 << 10
	// MaxContentDepth bounds the nesting of objects and arrays, the
	// content object itself counting as one. Far deeper content could be
	// stored but then not encoded inside a pull or sync answer (the JSON
	// encoder has a depth limit of its own), cutting its receivers off
	// from their catch-up.
	MaxContentDepth = 32
)

// Content is the decoded body of a message of one content type: one of
// the *…Content types of this package. The set is closed: a new type is a
// new implementation in this package.
type Content interface {
	// ContentType is the Message.ContentType this content goes with.
	ContentType() string
	// Summary is the plain text that stands for the message in a
	// conversation list or a notification, and that a search matches;
	// "" when the content has none.
	Summary() string

	// check validates the decoded content, with an invalid_argument *Error.
	check() error
	// canonical returns the canonical encoding of raw, from which the
	// receiver was decoded and which passed check: the bytes that are
	// stored and sent to every receiver.
	canonical(raw []byte) ([]byte, error)
	// placeholder stands for a stored content of this type that cannot
	// be delivered (see DeliverableContent).
	placeholder() Content
}

// newContent returns an empty Content of type typ to decode into, or an
// invalid_argument *Error for a type that is not accepted.
func newContent(typ string) (Content, error) {
	switch typ {
	case ContentText:
		return new(TextContent), nil
	case ContentCustom:
		return new(CustomContent), nil
	case ContentImage:
		return new(ImageContent), nil
	case ContentFile:
		return new(FileContent), nil
	case ContentVoice:
		return new(VoiceContent), nil
	case ContentVideo:
		return new(VideoContent), nil
	case ContentLocation:
		return new(LocationContent), nil
	case ContentCard:
		return new(CardContent), nil
	case ContentQuote:
		return new(QuoteContent), nil
	case ContentMention:
		return new(MentionContent), nil
	case ContentMerger:
		return new(MergerContent), nil
	case ContentFace:
		return new(FaceContent), nil
	case ContentLink:
		return new(LinkContent), nil
	case ContentNotification:
		return new(NotificationContent), nil
	case ContentRevoked:
		return new(RevokedContent), nil
	case "":
		return nil, Errorf(CodeInvalidArgument, "contentType is required")
	default:
		return nil, Errorf(CodeInvalidArgument, "unknown content type %q", typ)
	}
}

// CheckContent applies every content rule to raw, the content of a
// message of type typ, and returns its canonical encoding. The rules: typ
// is accepted; raw is one JSON object, valid UTF-8 throughout (also inside
// strings, escapes included: no unpaired surrogate), nested at most
// MaxContentDepth deep; it has the type's shape; its canonical encoding
// is at most MaxContentBytes. A failure is an *Error: too_large for the
// size, invalid_argument for the rest.
//
// The canonical encoding is compact JSON with <, >, &, U+2028 and U+2029
// escaped, as encoding/json writes it: EncodeFrame then carries it
// unchanged.
func CheckContent(typ string, raw []byte) (json.RawMessage, error) {
	if !Sendable(typ) {
		return nil, Errorf(CodeInvalidArgument, "a %q message cannot be sent: revokeMessage makes it", typ)
	}
	c, err := newContent(typ)
	if err != nil {
		return nil, err
	}
	raw = trimJSONSpace(raw)
	if err := checkContentBytes(raw, true); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, Errorf(CodeInvalidArgument, "%s content: %v", typ, err)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	out, err := c.canonical(raw)
	if err != nil {
		if CodeOf(err) == CodeInvalidArgument {
			return nil, err
		}
		return nil, Errorf(CodeInvalidArgument, "%s content: %v", typ, err)
	}
	if len(out) > MaxContentBytes {
		return nil, Errorf(CodeTooLarge, "content is %d bytes, over the limit of %d", len(out), MaxContentBytes)
	}
	return out, nil
}

// EncodeContent checks c as CheckContent does and returns its canonical
// encoding: what SendReq.Content carries for c.ContentType(). What it
// returns, the server accepts.
func EncodeContent(c Content) (json.RawMessage, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, Errorf(CodeInvalidArgument, "%s content: %v", c.ContentType(), err)
	}
	return CheckContent(c.ContentType(), raw)
}

// DecodeContent decodes the content of a message of type typ. It takes
// any content CheckContent accepts and does not check it again: a client
// decodes what the server already checked.
func DecodeContent(typ string, raw []byte) (Content, error) {
	c, err := newContent(typ)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, Errorf(CodeInvalidArgument, "%s content: %v", typ, err)
	}
	return c, nil
}

// ContentSummary is the Summary of a message's content, "" when it cannot
// be decoded.
func ContentSummary(typ string, raw []byte) string {
	c, err := DecodeContent(typ, raw)
	if err != nil {
		return ""
	}
	return c.Summary()
}

// PlaceholderContent is the content that stands for a stored message of
// type typ whose own content cannot be delivered: a text of one U+FFFD
// (the replacement character), an empty object for other types.
func PlaceholderContent(typ string) json.RawMessage {
	c, err := newContent(typ)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	out, err := json.Marshal(c.placeholder())
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return out
}

// DeliverableContent returns a stored content as it can be sent to a
// client: raw itself when it is one JSON object of valid UTF-8 nested at
// most MaxContentDepth deep (ok is then true); raw with its invalid UTF-8
// replaced by U+FFFD when that was all that was wrong; otherwise
// PlaceholderContent(typ). It is for content stored before CheckContent
// held it to these rules: without it, one such message would fail every
// pull or sync answer that carries it, or close the receiver's connection
// (a browser drops a text frame that is not UTF-8).
func DeliverableContent(typ string, raw []byte) (content json.RawMessage, ok bool) {
	if checkContentBytes(raw, false) == nil {
		return raw, true
	}
	// Outside strings JSON is ASCII, so invalid bytes are inside strings,
	// where U+FFFD may stand instead.
	if fixed := bytes.ToValidUTF8(raw, []byte("\uFFFD")); checkContentBytes(fixed, false) == nil {
		return fixed, false
	}
	return PlaceholderContent(typ), false
}

// checkContentBytes checks the rules of every content that do not depend
// on its type: one JSON object, valid UTF-8, at most MaxContentDepth deep
// and, when strict, no unpaired surrogate escape (which encoding/json
// would silently turn into U+FFFD, and a browser's JSON.parse into a
// string that is not Unicode).
func checkContentBytes(raw []byte, strict bool) error {
	raw = trimJSONSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return Errorf(CodeInvalidArgument, "content must be a JSON object")
	}
	if !utf8.Valid(raw) {
		return Errorf(CodeInvalidArgument, "content is not valid UTF-8")
	}
	if err := scanContent(raw, strict); err != nil {
		return err
	}
	// After the depth check: json.Valid has a far larger depth limit of
	// its own, and is then only asked about shallow input.
	if !json.Valid(raw) {
		return Errorf(CodeInvalidArgument, "content is not valid JSON")
	}
	return nil
}

// scanContent walks raw once, outside and inside strings, checking the
// nesting depth and (when strict) the surrogate escapes. It does not check
// the JSON syntax (json.Valid does); it only has to be right for valid
// JSON and safe for anything.
func scanContent(raw []byte, strict bool) error {
	depth := 0
	inString := false
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		if !inString {
			switch b {
			case '{', '[':
				depth++
				if depth > MaxContentDepth {
					return Errorf(CodeInvalidArgument, "content nests deeper than %d levels", MaxContentDepth)
				}
			case '}', ']':
				depth--
			case '"':
				inString = true
			}
			continue
		}
		switch b {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(raw) && raw[i+1] == 'u' && strict {
				r, ok := hex4(raw[i+2:])
				switch {
				case !ok:
					// Malformed; json.Valid reports it.
				case r >= 0xD800 && r < 0xDC00:
					// A high surrogate must be followed by a low one.
					lo, ok := -1, false
					if len(raw) >= i+12 && raw[i+6] == '\\' && raw[i+7] == 'u' {
						lo, ok = hex4(raw[i+8:])
					}
					if !ok || lo < 0xDC00 || lo >= 0xE000 {
						return Errorf(CodeInvalidArgument, "content holds an unpaired UTF-16 surrogate escape")
					}
					i += 6 // the low surrogate's escape, skipped whole
				case r >= 0xDC00 && r < 0xE000:
					return Errorf(CodeInvalidArgument, "content holds an unpaired UTF-16 surrogate escape")
				}
			}
			i++ // the escaped byte ('"' or '\\' included)
		}
	}
	return nil
}

// hex4 decodes the four hex digits at the start of b.
func hex4(b []byte) (int, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n := 0
	for _, c := range b[:4] {
		n <<= 4
		switch {
		case '0' <= c && c <= '9':
			n |= int(c - '0')
		case 'a' <= c && c <= 'f':
			n |= int(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			n |= int(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return n, true
}

// canonicalJSON returns valid JSON raw compacted and with <, >, &, U+2028
// and U+2029 escaped: the bytes encoding/json writes for raw as a
// json.RawMessage, so that a frame carries them unchanged.
func canonicalJSON(raw []byte) ([]byte, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(compact.Len())
	json.HTMLEscape(&out, compact.Bytes())
	return out.Bytes(), nil
}

// trimJSONSpace trims the white space JSON allows around a value: space,
// tab, line feed and carriage return. bytes.TrimSpace also trims \v, \f
// and Unicode spaces, which a JSON decoder refuses, so content passed as
// an object would then fail to encode.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\n\r")
}
