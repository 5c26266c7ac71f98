package protocol

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckContent checks arbitrary content of every type: CheckContent
// never panics and fails only with invalid_argument or too_large; what it
// accepts is within the limits, canonical (checking it again changes
// nothing), decodes, and crosses a frame byte for byte, as the receivers
// get it. DeliverableContent turns anything into content a frame carries.
func FuzzCheckContent(f *testing.F) {
	for _, seed := range []struct{ typ, raw string }{
		{ContentText, `{"text":"hi"}`},
		{ContentText, `{"text":"  "}`},
		{ContentText, `{"text":"a\u00e9<&>\u2028\ud83d\ude00","x":1}`},
		{ContentText, "{\"text\":\"bad \xff\"}"},
		{ContentText, `{"text":"\ud800"}`},
		{ContentCustom, `{"kind":"poll","options":["a","b"],"n":1.5e3,"ok":true,"none":null}`},
		{ContentCustom, `{"data":{"a":[{"b":{}}]},"description":"d"}`},
		{ContentCustom, "{\"a\":{\"b\":\"\xc3\"}}"},
		{ContentCustom, `{"s":"{[\"\\"}`},
		{ContentCustom, nested(MaxContentDepth + 1)},
		{ContentCustom, `[1]`},
		{ContentCustom, "\v{}"}, // white space JSON does not allow
		{ContentImage, `{"url":"x"}`},
		{ContentImage, okImage},
		{ContentVoice, `{"url":"https://h/f","mimeType":"audio/ogg","size":5,"duration":1.5}`},
		{ContentVideo, `{"url":"https://h/f","mimeType":"video/mp4","size":5,"duration":3,"snapshot":{"url":"https://h/s","width":1,"height":1}}`},
		{ContentFile, `{"url":"https://h/f","mimeType":"application/pdf","size":99,"fileName":"r.pdf"}`},
		{ContentLocation, `{"latitude":-90,"longitude":180,"description":"x"}`},
		{ContentCard, `{"userID":"bob","nickname":"Bob","faceURL":"https://h/a.png"}`},
		{ContentQuote, `{"text":"yes","quote":{"clientMsgID":"c1","seq":4,"sendID":"bob","contentType":"image","summary":"[Image]"}}`},
		{ContentMention, `{"text":"@bob","atUserIDs":["bob"],"atAll":true}`},
		{ContentMerger, merged(2)},
		{ContentFace, `{"index":3,"data":"x"}`},
		{ContentLink, `{"url":"https://h/p","title":"T","description":"D","imageURL":"https://h/i","text":"t"}`},
		{ContentNotification, `{"kind":"memberAdded","operatorUserID":"a","userIDs":["b"],"x":{}}`},
		{"", `{}`},
	} {
		f.Add(seed.typ, []byte(seed.raw))
	}
	f.Fuzz(func(t *testing.T, typ string, raw []byte) {
		got, _ := DeliverableContent(typ, raw)
		frame, err := EncodeFrame("", PushMessage, &Message{ContentType: typ, Content: got})
		if err != nil {
			t.Fatalf("deliverable content %q does not encode: %v", got, err)
		}
		if !utf8.Valid(frame) {
			t.Fatalf("deliverable content makes a frame that is not UTF-8: %q", frame)
		}

		out, err := CheckContent(typ, raw)
		if err != nil {
			if c := CodeOf(err); c != CodeInvalidArgument && c != CodeTooLarge {
				t.Fatalf("CheckContent error %v is neither invalid_argument nor too_large", err)
			}
			return
		}
		if len(out) > MaxContentBytes || !utf8.Valid(out) {
			t.Fatalf("accepted content breaks the limits: %d bytes, %q", len(out), out)
		}
		again, err := CheckContent(typ, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("canonical content %q checks to %q, %v", out, again, err)
		}
		if d, ok := DeliverableContent(typ, out); !ok || !bytes.Equal(d, out) {
			t.Fatalf("accepted content %q is not deliverable as is: %q", out, d)
		}
		c, err := DecodeContent(typ, out)
		if err != nil {
			t.Fatalf("accepted content %q does not decode: %v", out, err)
		}
		if typ == ContentText {
			// Text has no members of its own beyond its struct: encoding
			// the decoded value gives the same bytes back.
			enc, err := EncodeContent(c)
			if err != nil || !bytes.Equal(enc, out) {
				t.Fatalf("text %q re-encodes to %q, %v", out, enc, err)
			}
			if strings.TrimSpace(c.Summary()) == "" {
				t.Fatalf("accepted blank text %q", out)
			}
		}
		frame, err = EncodeFrame("", PushMessage, &Message{ContentType: typ, Content: out})
		if err != nil {
			t.Fatalf("EncodeFrame: %v", err)
		}
		fr, err := DecodeFrame(frame)
		if err != nil {
			t.Fatalf("DecodeFrame(%q): %v", frame, err)
		}
		var m Message
		if err := DecodeData(fr.Data, &m); err != nil {
			t.Fatalf("DecodeData: %v", err)
		}
		if !bytes.Equal(m.Content, out) {
			t.Fatalf("a frame changed the content: %q -> %q", out, m.Content)
		}
	})
}
