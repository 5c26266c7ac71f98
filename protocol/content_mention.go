package protocol

import "encoding/json"

// MentionContent is Message.Content for ContentMention: a text that
// mentions users. It is text-bearing: Text is also the message's
// Message.text in the SDK (see TextOf). Who may mention everyone (AtAll)
// is the server's check: in a group, its owner and admins only; in a
// one-to-one conversation, AtAll is refused.
type MentionContent struct {
	// Text is the message, held to TextContent's rules.
	Text string `json:"text"`
	// AtUserIDs are the mentioned users: valid, distinct, at most
	// MaxMentionUserIDs.
	AtUserIDs []string `json:"atUserIDs"`
	// AtAll mentions every member of the group.
	AtAll bool `json:"atAll"`
}

var _ Content = (*MentionContent)(nil)

// ContentType implements Content.
func (*MentionContent) ContentType() string { return ContentMention }

// Summary implements Content: the text.
func (c *MentionContent) Summary() string { return c.Text }

func (c *MentionContent) check() error {
	if blank(c.Text) {
		return Errorf(CodeInvalidArgument, "mention content needs a \"text\" that is not empty or only white space")
	}
	if len(c.AtUserIDs) > MaxMentionUserIDs {
		return Errorf(CodeInvalidArgument, "mention content: at most %d \"atUserIDs\"", MaxMentionUserIDs)
	}
	if len(c.AtUserIDs) == 0 && !c.AtAll {
		return Errorf(CodeInvalidArgument, "mention content needs \"atUserIDs\" or \"atAll\"")
	}
	seen := make(map[string]bool, len(c.AtUserIDs))
	for _, id := range c.AtUserIDs {
		if !ValidID(id) {
			return Errorf(CodeInvalidArgument, "mention content: %q in \"atUserIDs\" is not a valid user ID", id)
		}
		if seen[id] {
			return Errorf(CodeInvalidArgument, "mention content: %q is twice in \"atUserIDs\"", id)
		}
		seen[id] = true
	}
	return nil
}

// canonical re-encodes the struct, "atUserIDs" always an array.
func (c *MentionContent) canonical([]byte) ([]byte, error) {
	out := *c
	if out.AtUserIDs == nil {
		out.AtUserIDs = []string{}
	}
	return json.Marshal(&out)
}

func (*MentionContent) placeholder() Content {
	return &MentionContent{Text: "\uFFFD", AtUserIDs: []string{}}
}

// Mentions reports whether the content mentions userID, by ID or by AtAll.
func (c *MentionContent) Mentions(userID string) bool {
	if c.AtAll {
		return true
	}
	for _, id := range c.AtUserIDs {
		if id == userID {
			return true
		}
	}
	return false
}
