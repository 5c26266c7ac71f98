package core

// The create methods of the content types without files (contract §4.1):
// each builds its content with the protocol package's codec, so what it
// returns the server accepts. Nothing is stored until SendMessage.

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode"

	"parley/protocol"
)

// createContent returns a local message of c's type with c's canonical
// encoding; text-bearing types also fill Text.
func (c *Client) createContent(cont protocol.Content) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	raw, err := protocol.EncodeContent(cont)
	if err != nil {
		return Message{}, err
	}
	m := Message{
		ClientMsgID: newClientMsgID(),
		SendID:      s.userID,
		ContentType: cont.ContentType(),
		Content:     raw,
		CreateTime:  s.createTime(),
		Status:      StatusCreated,
	}
	if text, ok := protocol.TextOf(cont); ok {
		m.Text = text
	}
	return m, nil
}

// summary is the plain text standing for m (a quote's summary).
func (m *Message) summary() string {
	if m.ContentType == protocol.ContentText {
		return m.Text
	}
	return protocol.ContentSummary(m.ContentType, m.Content)
}

// CreateLocationMessage returns a local location message.
func (c *Client) CreateLocationMessage(latitude, longitude float64, description string) (Message, error) {
	return c.createContent(&protocol.LocationContent{Latitude: latitude, Longitude: longitude, Description: description})
}

// CreateCardMessage returns a local card of user userID, with the name
// and face the SDK knows (fetched if it knows none).
func (c *Client) CreateCardMessage(ctx context.Context, userID string) (Message, error) {
	if !protocol.ValidID(userID) {
		return Message{}, errInvalid("invalid userID")
	}
	us, err := c.UsersInfo(ctx, []string{userID})
	if err != nil {
		return Message{}, err
	}
	if len(us) == 0 {
		return Message{}, &Error{Code: protocol.CodeNotFound, Message: "no user " + userID}
	}
	return c.createContent(&protocol.CardContent{UserID: userID, Nickname: us[0].Nickname, FaceURL: us[0].FaceURL})
}

// CreateCustomMessage returns a local custom message: data is any JSON
// value of the app's, description the text that stands for it.
func (c *Client) CreateCustomMessage(data json.RawMessage, description string) (Message, error) {
	return c.createContent(&protocol.CustomContent{Data: data, Description: description})
}

// CreateQuoteMessage returns a local reply to quoted.
func (c *Client) CreateQuoteMessage(text string, quoted Message) (Message, error) {
	if quoted.ClientMsgID == "" || quoted.Seq <= 0 {
		return Message{}, errInvalid("the quoted message must be a sent message")
	}
	return c.createContent(&protocol.QuoteContent{Text: text, Quote: protocol.QuotedMessage{
		ClientMsgID: quoted.ClientMsgID, Seq: quoted.Seq, SendID: quoted.SendID,
		ContentType: quoted.ContentType, Summary: quoted.summary(),
	}})
}

// CreateMentionMessage returns a local message that mentions atUserIDs,
// or everyone with atAll (which the server allows a group's owner and
// admins only).
func (c *Client) CreateMentionMessage(text string, atUserIDs []string, atAll bool) (Message, error) {
	if atUserIDs == nil {
		atUserIDs = []string{}
	}
	return c.createContent(&protocol.MentionContent{Text: text, AtUserIDs: atUserIDs, AtAll: atAll})
}

// CreateFaceMessage returns a local face (sticker) message.
func (c *Client) CreateFaceMessage(index int, data string) (Message, error) {
	return c.createContent(&protocol.FaceContent{Index: index, Data: data})
}

// CreateMergerMessage returns a local message carrying messages (a chat
// history forwarded as one, at most protocol's limit) under title.
func (c *Client) CreateMergerMessage(ctx context.Context, messages []Message, title string) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	ids := make([]string, 0, len(messages))
	for _, m := range messages {
		ids = append(ids, m.SendID)
	}
	names := map[string]string{}
	if us, err := s.store.Users(ctx, dedupSorted(ids)); err == nil {
		for _, u := range us {
			names[u.UserID] = u.Nickname
		}
	}
	out := make([]protocol.MergedMessage, 0, len(messages))
	for _, m := range messages {
		if m.Seq <= 0 {
			return Message{}, errInvalid("only sent messages can be merged")
		}
		m.Content = s.unsignContent(m.Content)
		content, err := m.wireContent()
		if err != nil {
			return Message{}, err
		}
		out = append(out, protocol.MergedMessage{ClientMsgID: m.ClientMsgID, Seq: m.Seq, SendID: m.SendID,
			SenderNickname: names[m.SendID], ContentType: m.ContentType, Content: content, SendTime: m.SendTime})
	}
	return c.createContent(&protocol.MergerContent{Title: title, Messages: out})
}

// CreateForwardMessage returns a local copy of m's content, to send to
// another conversation. Files are not uploaded again: their urls are
// kept (the server lets the new conversation's members read them).
func (c *Client) CreateForwardMessage(m Message) (Message, error) {
	if m.Seq <= 0 {
		return Message{}, errInvalid("only sent messages can be forwarded")
	}
	if s, err := c.session(); err == nil {
		m.Content = s.unsignContent(m.Content)
	}
	raw, err := m.wireContent()
	if err != nil {
		return Message{}, err
	}
	cont, err := protocol.DecodeContent(m.ContentType, raw)
	if err != nil {
		return Message{}, err
	}
	return c.createContent(cont)
}

// previewPath is the server's link preview route.
const previewPath = "/api/v1/previews?url="

// CreateLinkMessage returns a local link message with the preview the
// server fetched for url (title, description, image). Without a preview
// (the server could not fetch the page) the message carries the url alone.
func (c *Client) CreateLinkMessage(ctx context.Context, url, text string) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	link, err := s.linkPreview(ctx, url, s.cfg.RequestTimeout)
	switch code := protocol.CodeOf(err); {
	case err == nil:
	case code == protocol.CodeInvalidArgument, code == protocol.CodeUnauthenticated:
		return Message{}, err
	default:
		s.cfg.Logger.Debug("no link preview", "err", err)
	}
	link.Text = text
	return c.createContent(&link)
}

// linkPreview asks the server for the preview of url, waiting at most
// wait; on an error it is the url alone.
func (s *session) linkPreview(ctx context.Context, url string, wait time.Duration) (protocol.LinkContent, error) {
	p := protocol.LinkContent{URL: url}
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	err := s.uploadAPI().call(pctx, "GET", previewPath+queryEscape(url), "", nil, &p)
	p.URL, p.Text = url, ""
	return p, err
}

// AddLinkPreview returns text message m with the preview card of the
// first http or https URL in its text (Content {text, preview}), as the
// server fetched it; m as it is when it has none, or no card came within
// a few seconds (offline, a page that does not answer).
func (c *Client) AddLinkPreview(ctx context.Context, m Message) Message {
	url := firstURL(m.Text)
	s, err := c.session()
	if url == "" || m.ContentType != protocol.ContentText || err != nil {
		return m
	}
	p, err := s.linkPreview(ctx, url, 3*time.Second)
	if err != nil || p.Title == "" && p.Description == "" && p.ImageURL == "" {
		return m
	}
	if raw, err := protocol.EncodeContent(&protocol.TextContent{Text: m.Text, Preview: &p}); err == nil {
		m.Content = raw
	}
	return m
}

// firstURL is the first http or https URL in text, without the
// punctuation that ends a sentence or closes a parenthesis after it.
func firstURL(text string) string {
	i := strings.Index(text, "https://")
	if j := strings.Index(text, "http://"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return ""
	}
	u := text[i:]
	if end := strings.IndexFunc(u, unicode.IsSpace); end >= 0 {
		u = u[:end]
	}
	return strings.TrimRight(u, ".,;:!?)]}>'\"")
}
