package core_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
	"parley/protocol/contenttest"
)

// sameJSON reports whether a and b hold the same JSON value as a browser
// reads it (numbers as IEEE doubles, members in any order).
func sameJSONValue(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	require.NoError(t, json.Unmarshal(a, &x), "%s", a)
	require.NoError(t, json.Unmarshal(b, &y), "%s", b)
	return assert.Equal(t, x, y)
}

// Whatever the server accepts, the SDK receives, stores and gives back
// unchanged: random contents through CheckContent, a push frame, the
// conversion to the SDK's message, a store and the JSON the JS API is
// made of.
func TestAcceptedContentRoundTrips(t *testing.T) {
	ctx := context.Background()
	st := mem.New()
	r := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for i := range 3000 {
		typ, raw := contenttest.Content(r)
		canon, err := protocol.CheckContent(typ, raw)
		if err != nil {
			c := protocol.CodeOf(err)
			require.True(t, c == protocol.CodeInvalidArgument || c == protocol.CodeTooLarge, "%q: %v", raw, err)
			continue
		}
		accepted++
		id := "m" + strconv.Itoa(i)
		frame, err := protocol.EncodeFrame("", protocol.PushMessage, protocol.Message{ClientMsgID: id, ServerMsgID: id,
			ConversationID: "si_a_b", Seq: int64(i + 1), SendID: "a", RecvID: "b", SessionType: protocol.SessionSingle,
			ContentType: typ, Content: canon, SendTime: 1})
		require.NoError(t, err)
		f, err := protocol.DecodeFrame(frame)
		require.NoError(t, err)
		var pm protocol.Message
		require.NoError(t, protocol.DecodeData(f.Data, &pm))
		m := core.MessageFromProto(&pm)
		require.NoError(t, st.Apply(ctx, &core.Changes{Messages: []core.Message{m}}))
		got, err := st.Messages(ctx, []string{m.ClientMsgID})
		require.NoError(t, err)
		require.Len(t, got, 1)
		out, err := json.Marshal(got[0])
		require.NoError(t, err)
		var js struct {
			Text    string          `json:"text"`
			Content json.RawMessage `json:"content"`
		}
		require.NoError(t, json.Unmarshal(out, &js))
		if typ == protocol.ContentText {
			var tc protocol.TextContent
			require.NoError(t, json.Unmarshal(canon, &tc))
			assert.Equal(t, tc.Text, js.Text)
		} else {
			sameJSONValue(t, canon, js.Content)
		}
		// And the SDK can send it back as it came.
		back, err := core.WireContent(&got[0])
		require.NoError(t, err)
		sameJSONValue(t, canon, back)
	}
	assert.Greater(t, accepted, 1000, "most random contents are acceptable")
}
