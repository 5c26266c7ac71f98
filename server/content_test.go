package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server/store"
)

// deepObject nests depth objects: {"a":{"a":…{}…}}.
func deepObject(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
}

// TestSendRefusesUndeliverableContent sends, as raw frames, the contents
// that were stored and then cut their receivers off: each is refused at
// once with its code, the sender's connection stays, and the receiver
// gets nothing.
func TestSendRefusesUndeliverableContent(t *testing.T) {
	e := newEnv(t)
	_, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a, b := e.dial(aTok), e.dial(bTok)
	for i, tc := range []struct {
		name, typ, content string
		code               protocol.Code
	}{
		{"raw invalid UTF-8 in custom", protocol.ContentCustom, "{\"a\":{\"b\":\"bad \xff\"}}", protocol.CodeInvalidArgument},
		{"raw invalid UTF-8 in text", protocol.ContentText, "{\"text\":\"bad \xff\"}", protocol.CodeInvalidArgument},
		{"unpaired surrogate", protocol.ContentCustom, `{"a":"\udc00"}`, protocol.CodeInvalidArgument},
		// Deep enough to pass the frame decoder, far too deep to be
		// encoded again inside a pull answer.
		{"nested 9000 deep", protocol.ContentCustom, deepObject(9000), protocol.CodeInvalidArgument},
		{"one level too deep", protocol.ContentCustom, deepObject(protocol.MaxContentDepth + 1), protocol.CodeInvalidArgument},
		{"whitespace-only text", protocol.ContentText, `{"text":" \n\t\u00a0\u200b"}`, protocol.CodeInvalidArgument},
		// Fits a frame, but each < is stored escaped, six bytes.
		{"content over the limit", protocol.ContentText, `{"text":"` + strings.Repeat("<", protocol.MaxContentBytes/5) + `"}`, protocol.CodeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("bad%d", i)
			frame := `{"id":"` + id + `","type":"send","data":{"clientMsgID":"` + id + `","recvID":"` + bob +
				`","contentType":"` + tc.typ + `","content":` + tc.content + `}}`
			require.Less(t, len(frame), protocol.DefaultMaxFrameBytes, "the frame itself is within the limit")
			f := a.callRaw(id, []byte(frame))
			require.NotNil(t, f.Error, "accepted")
			assert.Equal(t, tc.code, f.Error.Code, f.Error.Message)
		})
	}
	a.ping()
	var sr protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	assert.Empty(t, sr.Conversations)
	b.noPush()
}

// TestStoredUndeliverableContent stores, past the send checks, contents
// that no answer could carry as they are (the rules came later than the
// data): pull, sync and markRead still answer, with every message at its
// seq, the content repaired or replaced by a placeholder of its type, and
// every frame valid UTF-8 (the test client checks each).
func TestStoredUndeliverableContent(t *testing.T) {
	e := newEnv(t)
	alice, aTok := e.register("alice")
	bob, bTok := e.register("bob")
	a := e.dial(aTok)
	a.sendText("fine", bob, "", "before")
	for i, m := range []struct{ typ, content string }{
		{protocol.ContentCustom, "{\"a\":\"bad \xff\"}"},
		{protocol.ContentCustom, deepObject(10000)},
		{protocol.ContentCustom, `{"a":`},
		{protocol.ContentText, "{\"text\":\"x\xfe\"}"},
	} {
		_, err := e.cfg.Store.AppendMessages(context.Background(), []store.NewMessage{{
			ClientMsgID: fmt.Sprintf("stored%d", i), ServerMsgID: fmt.Sprintf("sstored%d", i),
			SendID: alice, RecvID: bob, ContentType: m.typ, Content: []byte(m.content), SendTime: time.Now().UnixMilli(),
		}})
		require.NoError(t, err)
	}
	want := []string{
		`{"text":"before"}`,
		"{\"a\":\"bad \uFFFD\"}",
		`{}`,
		`{}`,
		"{\"text\":\"x\uFFFD\"}",
	}
	b := e.dial(bTok)
	conv := protocol.SingleConversationID(alice, bob)

	var sr protocol.SyncResp
	b.do(protocol.ReqSync, protocol.SyncReq{}, &sr)
	require.Len(t, sr.Conversations, 1)
	require.NotNil(t, sr.Conversations[0].LatestMessage)
	assert.Equal(t, int64(5), sr.Conversations[0].MaxSeq)
	assert.Equal(t, want[4], string(sr.Conversations[0].LatestMessage.Content))

	for _, latest := range []bool{false, true} {
		var pr protocol.PullResp
		b.do(protocol.ReqPull, protocol.PullReq{Ranges: []protocol.SeqRange{{ConversationID: conv, FromSeq: 1, Limit: 10, Latest: latest}}}, &pr)
		require.Len(t, pr.Messages, len(want))
		for i, m := range pr.Messages {
			assert.Equal(t, int64(i+1), m.Seq)
			assert.Equal(t, want[i], string(m.Content), "seq %d", m.Seq)
		}
	}

	st := decodeState(t, b.call(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv}))
	require.NotNil(t, st.LatestMessage)
	assert.Equal(t, want[4], string(st.LatestMessage.Content))
}

func decodeState(t *testing.T, f *protocol.Frame) protocol.ConversationState {
	t.Helper()
	require.Nil(t, f.Error)
	var st protocol.ConversationState
	require.NoError(t, json.Unmarshal(f.Data, &st))
	return st
}
