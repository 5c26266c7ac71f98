package protocol

import "encoding/json"

// LinkContent is Message.Content for ContentLink: a URL with the preview
// the server fetched for it (GET /api/v1/previews).
type LinkContent struct {
	// URL is the page: an absolute http or https URL.
	URL string `json:"url"`
	// Title, Description and ImageURL are the preview; each may be empty.
	Title       string `json:"title"`
	Description string `json:"description"`
	ImageURL    string `json:"imageURL"`
	// Text is the sender's words around the link, "" when none
	// (createLinkMessage's text).
	Text string `json:"text,omitempty"`
}

var _ Content = (*LinkContent)(nil)

// ContentType implements Content.
func (*LinkContent) ContentType() string { return ContentLink }

// Summary implements Content: the sender's text, else the title, else
// the URL.
func (c *LinkContent) Summary() string {
	switch {
	case !blank(c.Text):
		return c.Text
	case !blank(c.Title):
		return c.Title
	}
	return c.URL
}

func (c *LinkContent) check() error {
	return firstErr(
		checkURL(ContentLink, "url", c.URL, true),
		checkName(ContentLink, "title", c.Title, MaxShortTextLen),
		checkLen(ContentLink, "description", c.Description, MaxLongTextLen),
		checkURL(ContentLink, "imageURL", c.ImageURL, false),
		checkLen(ContentLink, "text", c.Text, MaxLongTextLen),
	)
}

func (c *LinkContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*LinkContent) placeholder() Content { return &LinkContent{} }
