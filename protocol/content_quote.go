package protocol

import "encoding/json"

// QuoteContent is Message.Content for ContentQuote: a reply that quotes
// an earlier message. It is text-bearing: Text is also the message's
// Message.text in the SDK (see TextOf).
type QuoteContent struct {
	// Text is the reply, held to TextContent's rules.
	Text string `json:"text"`
	// Quote identifies the quoted message and what it showed.
	Quote QuotedMessage `json:"quote"`
}

// QuotedMessage is what a quote keeps of the message it quotes: enough to
// show it above the reply and to find it (conversation and seq) without
// holding its content.
type QuotedMessage struct {
	ClientMsgID string `json:"clientMsgID"`
	// Seq is the quoted message's seq in the conversation (at least 1).
	Seq         int64  `json:"seq"`
	SendID      string `json:"sendID"`
	ContentType string `json:"contentType"`
	// Summary is the quoted message's summary (its text, "[Image]"…),
	// at most MaxLongTextLen bytes.
	Summary string `json:"summary"`
}

var _ Content = (*QuoteContent)(nil)

// ContentType implements Content.
func (*QuoteContent) ContentType() string { return ContentQuote }

// Summary implements Content: the reply's text.
func (c *QuoteContent) Summary() string { return c.Text }

func (c *QuoteContent) check() error {
	if blank(c.Text) {
		return Errorf(CodeInvalidArgument, "quote content needs a \"text\" that is not empty or only white space")
	}
	q := &c.Quote
	if q.ClientMsgID == "" || len(q.ClientMsgID) > MaxClientMsgIDLen {
		return Errorf(CodeInvalidArgument, "quote content: \"quote.clientMsgID\" must be 1 to %d bytes", MaxClientMsgIDLen)
	}
	if q.Seq < 1 {
		return Errorf(CodeInvalidArgument, "quote content: \"quote.seq\" must be at least 1 (a stored message)")
	}
	if _, err := newContent(q.ContentType); err != nil {
		return Errorf(CodeInvalidArgument, "quote content: \"quote.contentType\": %s", err.(*Error).Message)
	}
	return firstErr(
		checkUserID(ContentQuote, "quote.sendID", q.SendID),
		checkLen(ContentQuote, "quote.summary", q.Summary, MaxLongTextLen),
	)
}

func (c *QuoteContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*QuoteContent) placeholder() Content { return &QuoteContent{Text: "\uFFFD"} }
