package protocol

import (
	"encoding/json"
	"unicode"
)

// TextContent is Message.Content for ContentText: {"text": "…"}.
type TextContent struct {
	// Text is the message: not empty, and not only white space or
	// invisible format characters.
	Text string `json:"text"`
	// Preview is the card of a link in Text (url, title, description,
	// imageURL), as the server's previews route gave it to the sender;
	// nil for none. An edit drops it.
	Preview *LinkContent `json:"preview,omitempty"`
}

var _ Content = (*TextContent)(nil)

// ContentType implements Content.
func (*TextContent) ContentType() string { return ContentText }

// Summary implements Content: the text itself.
func (t *TextContent) Summary() string { return t.Text }

func (t *TextContent) check() error {
	if blank(t.Text) {
		return Errorf(CodeInvalidArgument, "text content needs a \"text\" that is not empty or only white space")
	}
	if t.Preview != nil {
		return t.Preview.check()
	}
	return nil
}

// canonical re-encodes the text and its preview alone: other members,
// and the preview's own text, are not kept.
func (t *TextContent) canonical([]byte) ([]byte, error) {
	if t.Preview != nil {
		p := *t.Preview
		p.Text = ""
		t.Preview = &p
	}
	return json.Marshal(t)
}

func (*TextContent) placeholder() Content { return &TextContent{Text: "\uFFFD"} }

// blank reports whether s shows nothing: every rune is white space or an
// invisible format character (zero-width space, word joiner, byte order
// mark, direction marks…).
func blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}
