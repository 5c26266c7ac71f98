package protocol

import "encoding/json"

// MergerContent is Message.Content for ContentMerger: several messages
// forwarded together as one (a chat history).
type MergerContent struct {
	// Title names the history ("Chat history of Alice and Bob"); it may
	// be empty.
	Title string `json:"title"`
	// Messages are the forwarded messages, 1 to MaxMergerMessages, each
	// with its content checked by its own type's rules.
	Messages []MergedMessage `json:"messages"`
}

// MergedMessage is what a merger keeps of one forwarded message: who sent
// it, when, and its content; the SDK shows it as a Message.
type MergedMessage struct {
	ClientMsgID string `json:"clientMsgID"`
	// Seq is the message's seq in the conversation it came from; 0 when
	// unknown.
	Seq    int64  `json:"seq"`
	SendID string `json:"sendID"`
	// SenderNickname is the sender's name as the forwarder saw it.
	SenderNickname string          `json:"senderNickname"`
	ContentType    string          `json:"contentType"`
	Content        json.RawMessage `json:"content"`
	// SendTime is the original's, Unix ms.
	SendTime int64 `json:"sendTime"`
}

var _ Content = (*MergerContent)(nil)

// ContentType implements Content.
func (*MergerContent) ContentType() string { return ContentMerger }

// Summary implements Content: the title, else "[Chat history]".
func (c *MergerContent) Summary() string {
	if !blank(c.Title) {
		return c.Title
	}
	return "[Chat history]"
}

// check validates every forwarded message and puts its content in its
// canonical encoding.
func (c *MergerContent) check() error {
	if err := checkName(ContentMerger, "title", c.Title, MaxShortTextLen); err != nil {
		return err
	}
	if len(c.Messages) == 0 || len(c.Messages) > MaxMergerMessages {
		return Errorf(CodeInvalidArgument, "merger content needs 1 to %d \"messages\"", MaxMergerMessages)
	}
	for i := range c.Messages {
		m := &c.Messages[i]
		if m.ClientMsgID == "" || len(m.ClientMsgID) > MaxClientMsgIDLen {
			return Errorf(CodeInvalidArgument, "merger content: messages[%d].clientMsgID must be 1 to %d bytes", i, MaxClientMsgIDLen)
		}
		if m.Seq < 0 || m.SendTime < 0 {
			return Errorf(CodeInvalidArgument, "merger content: messages[%d] has a negative seq or sendTime", i)
		}
		if !ValidID(m.SendID) {
			return Errorf(CodeInvalidArgument, "merger content: messages[%d].sendID must be a valid user ID", i)
		}
		if err := checkName(ContentMerger, "senderNickname", m.SenderNickname, MaxShortTextLen); err != nil {
			return err
		}
		content, err := CheckContent(m.ContentType, m.Content)
		if err != nil {
			pe := err.(*Error)
			return Errorf(pe.Code, "merger content: messages[%d]: %s", i, pe.Message)
		}
		m.Content = content
	}
	return nil
}

func (c *MergerContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*MergerContent) placeholder() Content { return &MergerContent{Messages: []MergedMessage{}} }

// fileURLs are the files of every forwarded message.
func (c *MergerContent) fileURLs() []string {
	var out []string
	for _, m := range c.Messages {
		if mc, err := DecodeContent(m.ContentType, m.Content); err == nil {
			out = append(out, ContentURLs(mc)...)
		}
	}
	return out
}
