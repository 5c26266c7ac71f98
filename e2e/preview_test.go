package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
	"parley/server"
)

// A text message with a URL in it carries the page's preview card, which
// parleyd fetched for the sender: the receiver gets {text, preview}; a
// text without a URL (or whose page has nothing to show) stays text alone.
func TestTextMessageGetsLinkPreview(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/bare" {
			w.Write([]byte(`<html><body>nothing to show</body></html>`))
			return
		}
		w.Write([]byte(`<html><head><meta property="og:title" content="The Page"><meta property="og:description" content="What it says"><meta property="og:image" content="/pic.png"></head></html>`))
	}))
	defer page.Close()
	e := newEnv(t, func(c *server.Config) {
		c.Media.PreviewAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	e.user("alice")
	e.user("bob")
	a := e.device("alice", deviceOpt{})
	b := e.device("bob", deviceOpt{})
	ctx := context.Background()

	send := func(text string) core.Message {
		m, err := a.c.CreateTextMessage(text)
		require.NoError(t, err)
		m = a.c.AddLinkPreview(ctx, m)
		sent, err := a.c.SendMessage(ctx, m, "bob", "")
		require.NoError(t, err)
		b.waitFor("the message", func() bool { return hasMsg(b.newMsgs, sent.ClientMsgID) })
		for _, got := range b.newMessages() {
			if got.ClientMsgID == sent.ClientMsgID {
				return got
			}
		}
		panic("unreachable")
	}

	got := send("look at " + page.URL + "/article?id=1, it is good")
	assert.Equal(t, protocol.ContentText, got.ContentType)
	assert.Equal(t, "look at "+page.URL+"/article?id=1, it is good", got.Text)
	var c protocol.TextContent
	require.NoError(t, json.Unmarshal(got.Content, &c))
	require.NotNil(t, c.Preview, "%s", got.Content)
	assert.Equal(t, protocol.LinkContent{URL: page.URL + "/article?id=1", Title: "The Page", Description: "What it says", ImageURL: page.URL + "/pic.png"}, *c.Preview)
	h := a.history(got.ConversationID)
	assert.JSONEq(t, string(got.Content), string(h[len(h)-1].Content), "the sender keeps the card too")

	assert.Empty(t, send("no link here").Content)
	assert.Empty(t, send("a page with nothing: "+page.URL+"/bare").Content)
}
