package protocol

import "encoding/json"

// ImageContent is Message.Content for ContentImage.
type ImageContent struct {
	// URL is the uploaded image, as the upload's complete answered it.
	URL string `json:"url"`
	// MIMEType is the stored type the server sniffed from the bytes.
	MIMEType string `json:"mimeType"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// Width and Height are the image's, in pixels; 0 when unknown.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Thumbnail is a small copy made by the sender; its URL is "" when
	// there is none.
	Thumbnail Picture `json:"thumbnail"`
}

// Picture is an image standing beside a file: an image's thumbnail, a
// video's snapshot.
type Picture struct {
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

var _ Content = (*ImageContent)(nil)

// ContentType implements Content.
func (*ImageContent) ContentType() string { return ContentImage }

// Summary implements Content: images have no text.
func (*ImageContent) Summary() string { return "[Image]" }

func (c *ImageContent) check() error {
	return firstErr(
		checkURL(ContentImage, "url", c.URL, true),
		checkMIME(ContentImage, c.MIMEType),
		checkSize(ContentImage, c.Size),
		checkPixels(ContentImage, "width", c.Width),
		checkPixels(ContentImage, "height", c.Height),
		c.Thumbnail.check(ContentImage, "thumbnail"),
	)
}

// check validates a picture; its URL may be empty (no picture).
func (p *Picture) check(typ, field string) error {
	return firstErr(
		checkURL(typ, field+".url", p.URL, false),
		checkPixels(typ, field+".width", p.Width),
		checkPixels(typ, field+".height", p.Height),
	)
}

// canonical re-encodes the struct: members not in the shape are dropped.
func (c *ImageContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*ImageContent) placeholder() Content { return &ImageContent{} }

func (c *ImageContent) fileURLs() []string { return nonEmpty(c.URL, c.Thumbnail.URL) }

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// nonEmpty returns the non-empty strings of ss.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
