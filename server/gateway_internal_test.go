package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"parley/protocol"
)

func TestPeekFrame(t *testing.T) {
	for _, tc := range []struct{ frame, id, typ string }{
		{`{"id":"1","type":"send","data":{"a":1}}`, "1", "send"},
		{`{"type":"send","id":"2"}`, "2", "send"},
		{`{"id":"3","type":"send","data":"` + strings.Repeat("x", 100), "3", "send"}, // cut off
		{`{"id":"4","data":{"deep":[1,2,{"x":"y"}]},"type":"pull"} trailing`, "4", "pull"},
		{`{"ID":"5","Type":"ping"}`, "5", "ping"},             // encoding/json's matching
		{`{"data":"` + strings.Repeat("x", 100), "", "error"}, // the id is past the cut
		{`{"id":5,"type":7}`, "", "error"},
		{`{"id":{"x":"1"},"type":"send"}`, "", "send"},
		{`{"id":"6","id":"7"}`, "6", "error"},
		{`{"id":"8","type":""}`, "8", "error"},
		{`[1]`, "", "error"},
		{`not json`, "", "error"},
		{``, "", "error"},
		{"{\"id\":\"\xff\"", "\ufffd", "error"},
	} {
		id, typ := peekFrame([]byte(tc.frame))
		assert.Equal(t, tc.id, id, "id of %.40q", tc.frame)
		assert.Equal(t, tc.typ, typ, "type of %.40q", tc.frame)
	}
}

// FuzzPeekFrame: whatever the bytes, no panic and a non-empty type; and a
// frame as the SDK writes it (id first) cut anywhere after its id still
// yields the id.
func FuzzPeekFrame(f *testing.F) {
	f.Add([]byte(`{"id":"1","type":"send","data":{"text":"hi"}}`), "r1", 30)
	f.Add([]byte(`{"id":`), "x", 0)
	f.Add([]byte("\xff{"), "\u2028", 5)
	f.Fuzz(func(t *testing.T, data []byte, id string, cut int) {
		if _, typ := peekFrame(data); typ == "" {
			t.Fatalf("empty type for %q", data)
		}
		frame, err := protocol.EncodeFrame(id, protocol.ReqSend, json.RawMessage(`{"content":"`+strings.Repeat("x", 50)+`"}`))
		if err != nil {
			t.Skip()
		}
		idEnd := len(`{"id":`) + len(mustJSON(t, id)) + 1 // through the comma
		if cut < 0 {
			cut = -cut
		}
		cut = idEnd + cut%(len(frame)-idEnd+1)
		got, _ := peekFrame(frame[:cut])
		var want string // the id as encoded: invalid UTF-8 becomes U+FFFD
		if err := json.Unmarshal(mustJSON(t, id), &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("peek of %q cut at %d: id %q, want %q", frame, cut, got, want)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
