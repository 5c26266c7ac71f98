package server_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// Every rich type goes through a real send and reaches the receiver in
// its canonical encoding; only the server makes notifications; only a
// group's owner (or admins) mention everyone.
func TestRichContentSends(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	carol, cTok := e.register("carol")
	a, b, c := e.dial(aTok), e.dial(bTok), e.dial(cTok)

	for i, tc := range []struct{ typ, raw string }{
		{protocol.ContentImage, `{"url":"https://h/f","mimeType":"image/png","size":3,"width":1,"height":1,"thumbnail":{"url":"https://h/t","width":1,"height":1}}`},
		{protocol.ContentVoice, `{"url":"https://h/f","mimeType":"audio/ogg","size":3,"duration":2.5}`},
		{protocol.ContentVideo, `{"url":"https://h/f","mimeType":"video/mp4","size":3,"duration":2,"snapshot":null}`},
		{protocol.ContentFile, `{"url":"https://h/f","mimeType":"application/pdf","size":3,"fileName":"a.pdf"}`},
		{protocol.ContentLocation, `{"latitude":48.85,"longitude":2.35,"description":"Paris"}`},
		{protocol.ContentCard, `{"userID":"carol","nickname":"Carol","faceURL":""}`},
		{protocol.ContentQuote, `{"text":"yes","quote":{"clientMsgID":"c1","seq":1,"sendID":"bob","contentType":"text","summary":"hi"}}`},
		{protocol.ContentMention, `{"text":"@bob","atUserIDs":["bob"],"atAll":false}`},
		{protocol.ContentMerger, `{"title":"t","messages":[{"clientMsgID":"c","seq":1,"sendID":"bob","senderNickname":"","contentType":"text","content":{"text":"x"},"sendTime":1}]}`},
		{protocol.ContentFace, `{"index":1,"data":""}`},
		{protocol.ContentLink, `{"url":"https://h/p","title":"T","description":"","imageURL":""}`},
	} {
		f := a.call(protocol.ReqSend, protocol.SendReq{ClientMsgID: "r" + string(rune('a'+i)), RecvID: bob, ContentType: tc.typ, Content: json.RawMessage(tc.raw)})
		require.Nil(t, f.Error, tc.typ)
		m := decode[protocol.Message](t, b.push(protocol.PushMessage))
		assert.Equal(t, tc.typ, m.ContentType)
		assert.JSONEq(t, tc.raw, string(m.Content), tc.typ)
	}

	a.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "n1", RecvID: bob, ContentType: protocol.ContentNotification,
		Content: json.RawMessage(`{"kind":"memberAdded","operatorUserID":"alice"}`)}, protocol.CodeInvalidArgument)
	a.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "m1", RecvID: bob, ContentType: protocol.ContentMention,
		Content: json.RawMessage(`{"text":"@all","atAll":true}`)}, protocol.CodeInvalidArgument)

	var g protocol.Group
	a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "g", MemberUserIDs: []string{bob}}, &g)
	all := json.RawMessage(`{"text":"@all hi","atAll":true}`)
	b.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "m2", GroupID: g.GroupID, ContentType: protocol.ContentMention, Content: all}, protocol.CodePermissionDenied)
	c.wantError(protocol.ReqSend, protocol.SendReq{ClientMsgID: "m3", GroupID: g.GroupID, ContentType: protocol.ContentMention, Content: all}, protocol.CodePermissionDenied)
	f := a.call(protocol.ReqSend, protocol.SendReq{ClientMsgID: "m4", GroupID: g.GroupID, ContentType: protocol.ContentMention, Content: all})
	require.Nil(t, f.Error, "the owner mentions everyone")
	// A member mentions other members by ID.
	f = b.call(protocol.ReqSend, protocol.SendReq{ClientMsgID: "m5", GroupID: g.GroupID, ContentType: protocol.ContentMention,
		Content: json.RawMessage(`{"text":"@alice","atUserIDs":["alice","` + carol + `"]}`)})
	require.Nil(t, f.Error)
}
