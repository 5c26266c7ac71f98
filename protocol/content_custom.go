package protocol

import "encoding/json"

// CustomContent is Message.Content for ContentCustom: an application's own
// JSON object. Data and Description are the members createCustomMessage
// fills; an object may hold other members too, which the server keeps as
// they are (a CustomContent decoded from it does not show them).
type CustomContent struct {
	// Data is any JSON value; empty is none.
	Data json.RawMessage `json:"data,omitempty"`
	// Description is plain text standing for the message (its Summary).
	Description string `json:"description,omitempty"`
}

var _ Content = (*CustomContent)(nil)

// ContentType implements Content.
func (*CustomContent) ContentType() string { return ContentCustom }

// Summary implements Content: the description.
func (c *CustomContent) Summary() string { return c.Description }

// check has nothing left to check: decoding already refused a
// description that is not a string, and data may be any value.
func (*CustomContent) check() error { return nil }

// canonical keeps the whole object, members in their order, since its
// shape is the application's.
func (*CustomContent) canonical(raw []byte) ([]byte, error) { return canonicalJSON(raw) }

func (*CustomContent) placeholder() Content { return &CustomContent{} }
