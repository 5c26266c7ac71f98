package protocol

import "encoding/json"

// What the rich content types share beyond the Content interface: the
// text some of them bear, the files they point to, and which types a
// client may send.

// TextOf returns the text of a text-bearing content (text, quote,
// mention) and true; "" and false for any other. It is what the SDK puts
// in Message.text: for these three types Message.text and content.text
// are the same string, and editing a message changes both.
func TextOf(c Content) (string, bool) {
	switch c := c.(type) {
	case *TextContent:
		return c.Text, true
	case *QuoteContent:
		return c.Text, true
	case *MentionContent:
		return c.Text, true
	}
	return "", false
}

// fileContent is a Content that points to uploaded files.
type fileContent interface {
	fileURLs() []string
}

// ContentURLs lists the URLs of the files c points to (an image and its
// thumbnail, a video and its snapshot, the files of a merger's messages),
// for the server to sign downloads of. Not listed: URLs that are not
// uploads (a card's faceURL, a link's page and image).
func ContentURLs(c Content) []string {
	if f, ok := c.(fileContent); ok {
		return f.fileURLs()
	}
	return nil
}

// CheckSendContent is CheckContent for a message a client sends: it also
// refuses the types only the server makes (notification).
func CheckSendContent(typ string, raw []byte) (json.RawMessage, error) {
	if typ == ContentNotification {
		return nil, Errorf(CodeInvalidArgument, "notification messages are made by the server; a client cannot send one")
	}
	return CheckContent(typ, raw)
}
