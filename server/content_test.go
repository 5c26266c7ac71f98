package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
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
