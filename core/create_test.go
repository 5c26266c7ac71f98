package core_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// Every create method without files builds content its codec accepts,
// and text-bearing types fill Text.
func TestCreateMessages(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestClient(t, &fakeServer{}, mem.New(), nil)
	require.NoError(t, c.Login(ctx, "me", "tok"))
	sent := core.Message{ClientMsgID: "q1", Seq: 3, SendID: "bob", ContentType: protocol.ContentText, Text: "original words", SendTime: 9}

	loc, err := c.CreateLocationMessage(48.85, 2.35, "Paris")
	require.NoError(t, err)
	face, err := c.CreateFaceMessage(3, "wave")
	require.NoError(t, err)
	custom, err := c.CreateCustomMessage(json.RawMessage(`{"k":[1,2]}`), "a poll")
	require.NoError(t, err)
	quote, err := c.CreateQuoteMessage("agreed", sent)
	require.NoError(t, err)
	mention, err := c.CreateMentionMessage("@bob look", []string{"bob"}, false)
	require.NoError(t, err)
	merger, err := c.CreateMergerMessage(ctx, []core.Message{sent}, "Our chat")
	require.NoError(t, err)
	fwd, err := c.CreateForwardMessage(quote2sent(quote))
	require.NoError(t, err)

	for _, tc := range []struct {
		m    core.Message
		typ  string
		text string
		want string // a JSON fragment the content holds
	}{
		{loc, protocol.ContentLocation, "", `"latitude":48.85`},
		{face, protocol.ContentFace, "", `"index":3`},
		{custom, protocol.ContentCustom, "", `"description":"a poll"`},
		{quote, protocol.ContentQuote, "agreed", `"summary":"original words"`},
		{mention, protocol.ContentMention, "@bob look", `"atUserIDs":["bob"]`},
		{merger, protocol.ContentMerger, "", `"title":"Our chat"`},
		{fwd, protocol.ContentQuote, "agreed", `"clientMsgID":"q1"`},
	} {
		assert.Equal(t, tc.typ, tc.m.ContentType)
		assert.Equal(t, tc.text, tc.m.Text, tc.typ)
		assert.Contains(t, string(tc.m.Content), tc.want, tc.typ)
		assert.Equal(t, core.StatusCreated, tc.m.Status)
		_, err := protocol.CheckSendContent(tc.m.ContentType, tc.m.Content)
		assert.NoError(t, err, tc.typ)
	}
	assert.NotEqual(t, quote.ClientMsgID, fwd.ClientMsgID, "a forward is a new message")

	_, err = c.CreateLocationMessage(91, 0, "")
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "a latitude out of range is refused by the codec")
	_, err = c.CreateQuoteMessage("x", core.Message{ClientMsgID: "unsent"})
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
	_, err = c.CreateForwardMessage(core.Message{ClientMsgID: "unsent", ContentType: protocol.ContentText, Text: "x"})
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))
	_, err = c.CreateFileMessage(core.File{Name: "empty"}, "")
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "a file without bytes is refused")

	file, err := c.CreateFileMessage(core.File{Name: "a.pdf", Type: "application/pdf", Data: core.ByteSlice("%PDF")}, "")
	require.NoError(t, err)
	assert.Equal(t, protocol.ContentFile, file.ContentType)
	require.Len(t, file.Uploads, 1)
	assert.Equal(t, core.Upload{FileName: "a.pdf", MimeType: "application/pdf", Size: 4}, file.Uploads[0])
	img, err := c.CreateImageMessage(core.ImageFile{File: core.File{Type: "image/png", Data: core.ByteSlice("big")}, Width: 4000, Height: 3000},
		core.ImageFile{File: core.File{Type: "image/jpeg", Data: core.ByteSlice("t")}, Width: 200, Height: 150})
	require.NoError(t, err)
	require.Len(t, img.Uploads, 2)
	assert.Equal(t, "thumbnail", img.Uploads[1].Field)
	assert.Contains(t, string(img.Content), `"width":4000`)
}

// quote2sent is m as the server stored it.
func quote2sent(m core.Message) core.Message {
	m.Seq, m.Status, m.SendID = 4, core.StatusSent, "me"
	return m
}

// A message that mentions the user marks its conversation until it is
// read; one that mentions someone else does not.
func TestMentionedMe(t *testing.T) {
	ctx := context.Background()
	fs := &fakeServer{}
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		if f.Type == protocol.ReqMarkRead {
			return struct{}{}, nil, true
		}
		resp, perr := defaultAnswer(fs, f)
		return resp, perr, true
	}
	c, rec := newTestClient(t, fs, mem.New(), nil)
	require.NoError(t, c.Login(ctx, "me", "tok"))
	rec.waitFor(t, "first sync", func(evs []core.Event) bool {
		for _, ev := range evs {
			if sp, ok := ev.(core.SyncProgressed); ok && sp.Phase == core.SyncFinish {
				return true
			}
		}
		return false
	})
	conv := protocol.SingleConversationID("bob", "me")
	push := func(seq int64, ids []string) {
		content, err := protocol.EncodeContent(&protocol.MentionContent{Text: "hey", AtUserIDs: ids})
		require.NoError(t, err)
		fs.push(protocol.PushMessage, protocol.Message{ClientMsgID: "m" + string(rune('0'+seq)), ServerMsgID: "s" + string(rune('0'+seq)),
			ConversationID: conv, Seq: seq, SendID: "bob", RecvID: "me", SessionType: protocol.SessionSingle,
			ContentType: protocol.ContentMention, Content: content, SendTime: 100 + seq, CreateTime: 100})
	}
	newCount := func(n int) func([]core.Event) bool {
		return func(evs []core.Event) bool {
			got := 0
			for _, ev := range evs {
				if nm, ok := ev.(core.NewMessages); ok {
					got += len(nm.Messages)
				}
			}
			return got >= n
		}
	}
	push(1, []string{"carol"})
	rec.waitFor(t, "message 1", newCount(1))
	c.WaitEvents()
	cv, err := c.Conversation(ctx, conv)
	require.NoError(t, err)
	assert.False(t, cv.MentionedMe, "someone else was mentioned")

	push(2, []string{"me"})
	rec.waitFor(t, "message 2", newCount(2))
	c.WaitEvents()
	cv, err = c.Conversation(ctx, conv)
	require.NoError(t, err)
	assert.True(t, cv.MentionedMe)
	h, err := c.HistoryMessages(ctx, conv, 0, 10)
	require.NoError(t, err)
	require.Len(t, h.Messages, 2)
	assert.Equal(t, "hey", h.Messages[1].Text, "a mention's text is the message's text")

	require.NoError(t, c.MarkConversationAsRead(ctx, conv))
	cv, err = c.Conversation(ctx, conv)
	require.NoError(t, err)
	assert.False(t, cv.MentionedMe, "read: the mention was seen")
}
