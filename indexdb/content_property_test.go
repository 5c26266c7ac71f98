//go:build js

package indexdb

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/protocol"
	"parley/protocol/contenttest"
	wasmwrapper "parley/wasm_wrapper"
)

// Whatever the server accepts is stored in IndexedDB and comes back out of
// the JS API as the same JSON value: random contents through CheckContent,
// a write, a read and the conversion every SDK result goes through.
func TestAcceptedContentRoundTripsThroughIndexedDB(t *testing.T) {
	ctx := context.Background()
	s := open(t, DBName(prefix(t), "prop"), Config{})
	r := rand.New(rand.NewPCG(3, 4))
	var msgs []core.Message
	var canons [][]byte
	for i := range 600 {
		typ, raw := contenttest.Content(r)
		canon, err := protocol.CheckContent(typ, raw)
		if err != nil {
			continue
		}
		m := core.Message{ClientMsgID: "m" + strconv.Itoa(i), ConversationID: "si_a_b", Seq: int64(i + 1), SendID: "a",
			SessionType: protocol.SessionSingle, ContentType: typ, Status: core.StatusSent}
		if typ == protocol.ContentText {
			var tc protocol.TextContent
			require.NoError(t, json.Unmarshal(canon, &tc))
			m.Text = tc.Text
		} else {
			m.Content = canon
		}
		msgs = append(msgs, m)
		canons = append(canons, canon)
	}
	require.Greater(t, len(msgs), 200)
	require.NoError(t, s.Apply(ctx, &core.Changes{Messages: msgs}))
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ClientMsgID
	}
	got, err := s.Messages(ctx, ids)
	require.NoError(t, err)
	require.Len(t, got, len(msgs))
	stringify := js.Global().Get("JSON").Get("stringify")
	for i, m := range got {
		v, err := wasmwrapper.ToJS(m)
		require.NoError(t, err)
		var out struct {
			Text    string          `json:"text"`
			Content json.RawMessage `json:"content"`
		}
		require.NoError(t, json.Unmarshal([]byte(stringify.Invoke(v).String()), &out))
		if m.ContentType == protocol.ContentText {
			assert.Equal(t, msgs[i].Text, out.Text)
			continue
		}
		var want, have any
		require.NoError(t, json.Unmarshal(canons[i], &want))
		require.NoError(t, json.Unmarshal(out.Content, &have), "%s", out.Content)
		assert.Equal(t, want, have, "content %s", canons[i])
	}
}
