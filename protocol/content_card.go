package protocol

import "encoding/json"

// CardContent is Message.Content for ContentCard: a user's contact card,
// with the profile as the sender saw it.
type CardContent struct {
	UserID   string `json:"userID"`
	Nickname string `json:"nickname"`
	// FaceURL is the user's avatar, "" when none.
	FaceURL string `json:"faceURL"`
}

var _ Content = (*CardContent)(nil)

// ContentType implements Content.
func (*CardContent) ContentType() string { return ContentCard }

// Summary implements Content: "[Card]" and the nickname, which a search
// matches.
func (c *CardContent) Summary() string {
	if blank(c.Nickname) {
		return "[Card] " + c.UserID
	}
	return "[Card] " + c.Nickname
}

func (c *CardContent) check() error {
	return firstErr(
		checkUserID(ContentCard, "userID", c.UserID),
		checkName(ContentCard, "nickname", c.Nickname, MaxShortTextLen),
		checkURL(ContentCard, "faceURL", c.FaceURL, false),
	)
}

func (c *CardContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*CardContent) placeholder() Content { return &CardContent{} }
