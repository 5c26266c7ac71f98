package protocol

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// Benchmarks of the frame codec, the per-frame cost paid by the server
// for every request and push and by the SDK for everything it receives.

func benchMessage(i int) Message {
	return Message{
		ClientMsgID:    "c-" + strconv.Itoa(i) + "-0123456789abcdef",
		ServerMsgID:    "s-" + strconv.Itoa(i) + "-0123456789abcdef",
		ConversationID: SingleConversationID("alice", "bob"),
		Seq:            int64(i + 1),
		SendID:         "alice",
		RecvID:         "bob",
		SessionType:    SessionSingle,
		ContentType:    ContentText,
		Content:        json.RawMessage(`{"text":"` + strings.Repeat("x", 100) + `"}`),
		SendTime:       1_790_000_000_000,
		CreateTime:     1_790_000_000_000,
	}
}

func BenchmarkEncodeFrameSend(b *testing.B) {
	req := SendReq{ClientMsgID: "c-1-0123456789abcdef", RecvID: "bob", ContentType: ContentText,
		Content: json.RawMessage(`{"text":"` + strings.Repeat("x", 100) + `"}`)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeFrame("42", ReqSend, &req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeFramePushMessage(b *testing.B) {
	m := benchMessage(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeFrame("", PushMessage, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFramePushMessage(b *testing.B) {
	m := benchMessage(1)
	frame, err := EncodeFrame("", PushMessage, &m)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := DecodeFrame(frame)
		if err != nil {
			b.Fatal(err)
		}
		var got Message
		if err := DecodeData(f.Data, &got); err != nil {
			b.Fatal(err)
		}
	}
}

// A full pull answer: 500 messages, the largest range a client asks for.
func BenchmarkDecodeFramePullResp500(b *testing.B) {
	var resp PullResp
	for i := range 500 {
		resp.Messages = append(resp.Messages, benchMessage(i))
	}
	frame, err := EncodeFrame("7", ReqPull, &resp)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := DecodeFrame(frame)
		if err != nil {
			b.Fatal(err)
		}
		var got PullResp
		if err := DecodeData(f.Data, &got); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkEncodeFramePullResp500(b *testing.B) {
	var resp PullResp
	for i := range 500 {
		resp.Messages = append(resp.Messages, benchMessage(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeFrame("7", ReqPull, &resp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "msgs/s")
}

// EncodeFrame writes its envelope by hand: the bytes must be json.Marshal's.
func TestEncodeFrameMatchesMarshal(t *testing.T) {
	m := benchMessage(3)
	for _, c := range []struct {
		id, typ string
		v       any
	}{
		{"", PushMessage, &m},
		{"42", ReqSend, SendReq{ClientMsgID: "c1", RecvID: "bob", ContentType: ContentText, Content: json.RawMessage(`{"text":"<b>&\"é\u2028"}`)}},
		{"a\"b\\c<d>&e\x01é\u2028", "type\twith\nodd <bytes>", map[string]int{"n": 1}},
		{"7", ReqPing, nil},
		{"", "", nil},
		{"8", ReqPull, (*PullResp)(nil)},
	} {
		got, err := EncodeFrame(c.id, c.typ, c.v)
		if err != nil {
			t.Fatalf("EncodeFrame(%q, %q): %v", c.id, c.typ, err)
		}
		f := Frame{ID: c.id, Type: c.typ}
		if c.v != nil {
			f.Data, _ = json.Marshal(c.v)
		}
		want, err := json.Marshal(&f)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("EncodeFrame(%q, %q) = %s, json.Marshal makes %s", c.id, c.typ, got, want)
		}
	}
	if _, err := EncodeFrame("1", PushMessage, &Message{Content: json.RawMessage(`{bad`)}); err == nil {
		t.Error("invalid content encoded")
	}
}
