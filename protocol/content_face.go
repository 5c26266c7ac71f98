package protocol

import "encoding/json"

// FaceContent is Message.Content for ContentFace: a sticker or emoji
// from an application's set, by index.
type FaceContent struct {
	// Index is the face's position in the application's set (≥ 0).
	Index int `json:"index"`
	// Data is the application's own string (a set name, a URL…), at most
	// MaxLongTextLen bytes; "" is none.
	Data string `json:"data"`
}

var _ Content = (*FaceContent)(nil)

// ContentType implements Content.
func (*FaceContent) ContentType() string { return ContentFace }

// Summary implements Content.
func (*FaceContent) Summary() string { return "[Face]" }

func (c *FaceContent) check() error {
	if c.Index < 0 || c.Index > 1<<31-1 {
		return Errorf(CodeInvalidArgument, "face content: \"index\" must be between 0 and %d", 1<<31-1)
	}
	return checkLen(ContentFace, "data", c.Data, MaxLongTextLen)
}

func (c *FaceContent) canonical(raw []byte) ([]byte, error) {
	if err := requireMembers(ContentFace, raw, "index"); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

func (*FaceContent) placeholder() Content { return &FaceContent{} }
