package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	okImage = `{"url":"https://h.example/api/v1/files/f1","mimeType":"image/png","size":10,"width":4,"height":3,"thumbnail":{"url":"https://h.example/api/v1/files/f2","width":2,"height":1}}`
	okText  = `{"text":"hi"}`
)

// merged returns a merger content of n copies of one text message.
func merged(n int) string {
	msgs := make([]string, n)
	for i := range msgs {
		msgs[i] = fmt.Sprintf(`{"clientMsgID":"c%d","seq":%d,"sendID":"alice","senderNickname":"Alice","contentType":"text","content":{"text":"m%d"},"sendTime":1}`, i, i+1, i)
	}
	return `{"title":"History","messages":[` + strings.Join(msgs, ",") + `]}`
}

func TestRichContentAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, typ, raw, want, summary string
	}{
		{"image", ContentImage, okImage, okImage, "[Image]"},
		{"image, no thumbnail, extra members dropped", ContentImage,
			`{"url":"http://h:8080/f","mimeType":"image/jpeg","size":0,"x":1}`,
			`{"url":"http://h:8080/f","mimeType":"image/jpeg","size":0,"width":0,"height":0,"thumbnail":{"url":"","width":0,"height":0}}`, "[Image]"},
		{"image, IPv6 host and port, upper-case scheme", ContentImage,
			`{"url":"HTTPS://[::1]:8443/api/v1/files/f?x=1#y","mimeType":"image/png; q=1","size":1}`,
			`{"url":"HTTPS://[::1]:8443/api/v1/files/f?x=1#y","mimeType":"image/png; q=1","size":1,"width":0,"height":0,"thumbnail":{"url":"","width":0,"height":0}}`, "[Image]"},
		{"voice", ContentVoice, `{"url":"https://h/f","mimeType":"audio/webm;codecs=opus","size":5,"duration":1.5}`,
			`{"url":"https://h/f","mimeType":"audio/webm;codecs=opus","size":5,"duration":1.5}`, "[Voice]"},
		{"video, no snapshot", ContentVideo, `{"url":"https://h/f","mimeType":"video/mp4","size":5,"duration":3}`,
			`{"url":"https://h/f","mimeType":"video/mp4","size":5,"duration":3,"snapshot":null}`, "[Video]"},
		{"video, snapshot", ContentVideo, `{"url":"https://h/f","mimeType":"video/mp4","size":5,"duration":0,"snapshot":{"url":"https://h/s","width":640,"height":360}}`,
			`{"url":"https://h/f","mimeType":"video/mp4","size":5,"duration":0,"snapshot":{"url":"https://h/s","width":640,"height":360}}`, "[Video]"},
		{"file", ContentFile, `{"url":"https://h/f","mimeType":"application/pdf","size":99,"fileName":"report <1>.pdf"}`,
			`{"url":"https://h/f","mimeType":"application/pdf","size":99,"fileName":"report \u003c1\u003e.pdf"}`, "report <1>.pdf"},
		{"location", ContentLocation, `{"latitude":-90,"longitude":180,"description":"South Pole"}`,
			`{"latitude":-90,"longitude":180,"description":"South Pole"}`, "South Pole"},
		{"location at 0,0", ContentLocation, `{"latitude":0,"longitude":0}`,
			`{"latitude":0,"longitude":0,"description":""}`, "[Location]"},
		{"card", ContentCard, `{"userID":"bob","nickname":"Bob","faceURL":"https://h/a.png"}`,
			`{"userID":"bob","nickname":"Bob","faceURL":"https://h/a.png"}`, "[Card] Bob"},
		{"card, no nickname", ContentCard, `{"userID":"bob"}`, `{"userID":"bob","nickname":"","faceURL":""}`, "[Card] bob"},
		{"quote", ContentQuote, `{"text":"yes","quote":{"clientMsgID":"c1","seq":4,"sendID":"bob","contentType":"image","summary":"[Image]"}}`,
			`{"text":"yes","quote":{"clientMsgID":"c1","seq":4,"sendID":"bob","contentType":"image","summary":"[Image]"}}`, "yes"},
		{"mention", ContentMention, `{"text":"@bob hi","atUserIDs":["bob","carol"]}`,
			`{"text":"@bob hi","atUserIDs":["bob","carol"],"atAll":false}`, "@bob hi"},
		{"mention all", ContentMention, `{"text":"@all hi","atAll":true}`,
			`{"text":"@all hi","atUserIDs":[],"atAll":true}`, "@all hi"},
		{"merger", ContentMerger, merged(2), merged(2), "History"},
		{"merger of the most", ContentMerger, merged(MaxMergerMessages), merged(MaxMergerMessages), "History"},
		{"merger, nested content made canonical", ContentMerger,
			`{"title":"","messages":[{"clientMsgID":"c","seq":1,"sendID":"a","contentType":"text","content":{ "text" : "<x>", "y":1 },"sendTime":2}]}`,
			`{"title":"","messages":[{"clientMsgID":"c","seq":1,"sendID":"a","senderNickname":"","contentType":"text","content":{"text":"\u003cx\u003e"},"sendTime":2}]}`, "[Chat history]"},
		{"face", ContentFace, `{"index":0}`, `{"index":0,"data":""}`, "[Face]"},
		{"link", ContentLink, `{"url":"https://h/p?q=1","title":"T","description":"D","imageURL":"https://h/i.png"}`,
			`{"url":"https://h/p?q=1","title":"T","description":"D","imageURL":"https://h/i.png"}`, "T"},
		{"link with text", ContentLink, `{"url":"https://h/p","text":"look"}`,
			`{"url":"https://h/p","title":"","description":"","imageURL":"","text":"look"}`, "look"},
		{"link, bare", ContentLink, `{"url":"https://h/p"}`, `{"url":"https://h/p","title":"","description":"","imageURL":""}`, "https://h/p"},
		{"notification keeps its members", ContentNotification, `{"kind":"memberAdded","operatorUserID":"alice","userIDs":["bob"],"groupID":"g"}`,
			`{"kind":"memberAdded","operatorUserID":"alice","userIDs":["bob"],"groupID":"g"}`, "[Members added]"},
		{"call notification", ContentNotification, `{"kind":"call","callID":"c","media":"audio","result":"missed","durationMs":0}`,
			`{"kind":"call","callID":"c","media":"audio","result":"missed","durationMs":0}`, "[Call]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckContent(tc.typ, []byte(tc.raw))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			again, err := CheckContent(tc.typ, got)
			require.NoError(t, err)
			assert.Equal(t, string(got), string(again), "canonical is stable")
			assert.Equal(t, tc.summary, ContentSummary(tc.typ, got))
			c, err := DecodeContent(tc.typ, got)
			require.NoError(t, err)
			assert.Equal(t, tc.typ, c.ContentType())
			if tc.typ != ContentNotification && tc.typ != ContentMerger {
				// The codec's struct is the whole shape: encoding the
				// decoded value gives the same bytes.
				enc, err := EncodeContent(c)
				require.NoError(t, err)
				assert.Equal(t, string(got), string(enc))
			}
		})
	}
}

func TestRichContentRefuses(t *testing.T) {
	long := strings.Repeat("x", MaxURLLen)
	ids := make([]string, MaxMentionUserIDs+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprintf("u%d", i))
	}
	for _, tc := range []struct {
		name, typ, raw string
		code           Code
		msg            string
	}{
		{"image without url", ContentImage, `{"mimeType":"image/png","size":1}`, CodeInvalidArgument, `needs a "url"`},
		{"image relative url", ContentImage, `{"url":"/api/v1/files/f","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image javascript url", ContentImage, `{"url":"javascript:alert(1)","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image data url", ContentImage, `{"url":"data:image/png;base64,AA==","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image url with user", ContentImage, `{"url":"https://u:p@h/f","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image url with a space", ContentImage, `{"url":"https://h/a b","mimeType":"image/png"}`, CodeInvalidArgument, "spaces"},
		{"image url too long", ContentImage, `{"url":"https://h/` + long + `","mimeType":"image/png"}`, CodeInvalidArgument, "over 2048"},
		{"image url, no host", ContentImage, `{"url":"https:///f","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image url, bare scheme", ContentImage, `{"url":"http://","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image url, bad port", ContentImage, `{"url":"http://h:80x/f","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image url, bad IPv6", ContentImage, `{"url":"http://[::1/f","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image url, backslash", ContentImage, `{"url":"https://good.example\\@evil.example/","mimeType":"image/png"}`, CodeInvalidArgument, "backslash"},
		{"image url, scheme-relative", ContentImage, `{"url":"//h/f","mimeType":"image/png"}`, CodeInvalidArgument, "absolute http"},
		{"image mimeType without subtype", ContentImage, `{"url":"https://h/f","mimeType":"image/"}`, CodeInvalidArgument, "not a media type"},
		{"image mimeType with a space", ContentImage, `{"url":"https://h/f","mimeType":"image /png"}`, CodeInvalidArgument, "not a media type"},
		{"image without mimeType", ContentImage, `{"url":"https://h/f"}`, CodeInvalidArgument, "mimeType"},
		{"image bad mimeType", ContentImage, `{"url":"https://h/f","mimeType":"png"}`, CodeInvalidArgument, "not a media type"},
		{"image negative size", ContentImage, `{"url":"https://h/f","mimeType":"image/png","size":-1}`, CodeInvalidArgument, "size"},
		{"image huge size", ContentImage, `{"url":"https://h/f","mimeType":"image/png","size":9007199254740992}`, CodeInvalidArgument, "size"},
		{"image fractional size", ContentImage, `{"url":"https://h/f","mimeType":"image/png","size":1.5}`, CodeInvalidArgument, "image content"},
		{"image negative width", ContentImage, `{"url":"https://h/f","mimeType":"image/png","width":-1}`, CodeInvalidArgument, "width"},
		{"image huge height", ContentImage, `{"url":"https://h/f","mimeType":"image/png","height":100000}`, CodeInvalidArgument, "height"},
		{"image bad thumbnail", ContentImage, `{"url":"https://h/f","mimeType":"image/png","thumbnail":{"url":"ftp://h/t"}}`, CodeInvalidArgument, "thumbnail.url"},
		{"voice negative duration", ContentVoice, `{"url":"https://h/f","mimeType":"audio/ogg","duration":-0.1}`, CodeInvalidArgument, "duration"},
		{"voice endless", ContentVoice, `{"url":"https://h/f","mimeType":"audio/ogg","duration":1e300}`, CodeInvalidArgument, "duration"},
		{"video snapshot without url", ContentVideo, `{"url":"https://h/f","mimeType":"video/mp4","snapshot":{"width":1}}`, CodeInvalidArgument, "snapshot"},
		{"file without name", ContentFile, `{"url":"https://h/f","mimeType":"text/plain","size":1}`, CodeInvalidArgument, "fileName"},
		{"file blank name", ContentFile, `{"url":"https://h/f","mimeType":"text/plain","fileName":" "}`, CodeInvalidArgument, "fileName"},
		{"file path name", ContentFile, `{"url":"https://h/f","mimeType":"text/plain","fileName":"../etc/passwd"}`, CodeInvalidArgument, "path"},
		{"file dotdot", ContentFile, `{"url":"https://h/f","mimeType":"text/plain","fileName":".."}`, CodeInvalidArgument, "path"},
		{"file control name", ContentFile, `{"url":"https://h/f","mimeType":"text/plain","fileName":"a\nb"}`, CodeInvalidArgument, "control"},
		{"file long name", ContentFile, `{"url":"https://h/f","mimeType":"text/plain","fileName":"` + strings.Repeat("a", MaxFileNameLen+1) + `"}`, CodeInvalidArgument, "over 255"},
		{"location without latitude", ContentLocation, `{"longitude":1}`, CodeInvalidArgument, `needs a "latitude"`},
		{"location null longitude", ContentLocation, `{"latitude":1,"longitude":null}`, CodeInvalidArgument, `needs a "longitude"`},
		{"location latitude out of range", ContentLocation, `{"latitude":90.01,"longitude":0}`, CodeInvalidArgument, "latitude"},
		{"location longitude out of range", ContentLocation, `{"latitude":0,"longitude":-180.5}`, CodeInvalidArgument, "longitude"},
		{"location latitude a string", ContentLocation, `{"latitude":"1","longitude":0}`, CodeInvalidArgument, "location content"},
		{"card without user", ContentCard, `{"nickname":"x"}`, CodeInvalidArgument, "userID"},
		{"card bad user", ContentCard, `{"userID":"a b"}`, CodeInvalidArgument, "userID"},
		{"card bad face", ContentCard, `{"userID":"a","faceURL":"file:///etc/passwd"}`, CodeInvalidArgument, "faceURL"},
		{"quote without text", ContentQuote, `{"quote":{"clientMsgID":"c","seq":1,"sendID":"b","contentType":"text"}}`, CodeInvalidArgument, "text"},
		{"quote without quote", ContentQuote, `{"text":"x"}`, CodeInvalidArgument, "quote.clientMsgID"},
		{"quote seq 0", ContentQuote, `{"text":"x","quote":{"clientMsgID":"c","seq":0,"sendID":"b","contentType":"text"}}`, CodeInvalidArgument, "quote.seq"},
		{"quote unknown type", ContentQuote, `{"text":"x","quote":{"clientMsgID":"c","seq":1,"sendID":"b","contentType":"hologram"}}`, CodeInvalidArgument, "quote.contentType"},
		{"quote bad sender", ContentQuote, `{"text":"x","quote":{"clientMsgID":"c","seq":1,"sendID":"","contentType":"text"}}`, CodeInvalidArgument, "quote.sendID"},
		{"quote long summary", ContentQuote, `{"text":"x","quote":{"clientMsgID":"c","seq":1,"sendID":"b","contentType":"text","summary":"` + strings.Repeat("s", MaxLongTextLen+1) + `"}}`, CodeInvalidArgument, "quote.summary"},
		{"mention nobody", ContentMention, `{"text":"hi"}`, CodeInvalidArgument, "atUserIDs"},
		{"mention blank", ContentMention, `{"text":"  ","atAll":true}`, CodeInvalidArgument, "text"},
		{"mention twice", ContentMention, `{"text":"hi","atUserIDs":["b","b"]}`, CodeInvalidArgument, "twice"},
		{"mention bad id", ContentMention, `{"text":"hi","atUserIDs":[""]}`, CodeInvalidArgument, "valid user ID"},
		{"mention too many", ContentMention, `{"text":"hi","atUserIDs":[` + strings.Join(ids, ",") + `]}`, CodeInvalidArgument, "at most 100"},
		{"merger empty", ContentMerger, `{"title":"t","messages":[]}`, CodeInvalidArgument, "1 to 100"},
		{"merger too many", ContentMerger, merged(MaxMergerMessages + 1), CodeInvalidArgument, "1 to 100"},
		{"merger bad nested", ContentMerger, `{"messages":[{"clientMsgID":"c","sendID":"a","contentType":"text","content":{"text":""}}]}`, CodeInvalidArgument, "messages[0]"},
		{"merger nested unknown type", ContentMerger, `{"messages":[{"clientMsgID":"c","sendID":"a","contentType":"x","content":{}}]}`, CodeInvalidArgument, "unknown content type"},
		{"merger nested without id", ContentMerger, `{"messages":[{"sendID":"a","contentType":"text","content":{"text":"x"}}]}`, CodeInvalidArgument, "clientMsgID"},
		{"merger nested bad sender", ContentMerger, `{"messages":[{"clientMsgID":"c","contentType":"text","content":{"text":"x"}}]}`, CodeInvalidArgument, "sendID"},
		{"face without index", ContentFace, `{"data":"x"}`, CodeInvalidArgument, "index"},
		{"face negative", ContentFace, `{"index":-1}`, CodeInvalidArgument, "index"},
		{"link without url", ContentLink, `{"title":"t"}`, CodeInvalidArgument, "url"},
		{"link bad image", ContentLink, `{"url":"https://h","imageURL":"javascript:x"}`, CodeInvalidArgument, "imageURL"},
		{"notification unknown kind", ContentNotification, `{"kind":"party"}`, CodeInvalidArgument, "kind"},
		{"notification bad operator", ContentNotification, `{"kind":"muted","operatorUserID":"a b"}`, CodeInvalidArgument, "operatorUserID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckContent(tc.typ, []byte(tc.raw))
			require.Error(t, err)
			var pe *Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.code, pe.Code)
			assert.Contains(t, pe.Message, tc.msg)
		})
	}
}

func TestCheckSendContent(t *testing.T) {
	_, err := CheckSendContent(ContentNotification, []byte(`{"kind":"muted"}`))
	assert.Equal(t, CodeInvalidArgument, CodeOf(err))
	got, err := CheckSendContent(ContentText, []byte(okText))
	require.NoError(t, err)
	assert.Equal(t, okText, string(got))
}

func TestTextOf(t *testing.T) {
	for typ, raw := range map[string]string{
		ContentText:    `{"text":"a"}`,
		ContentQuote:   `{"text":"a","quote":{"clientMsgID":"c","seq":1,"sendID":"b","contentType":"text"}}`,
		ContentMention: `{"text":"a","atAll":true}`,
	} {
		c, err := DecodeContent(typ, []byte(raw))
		require.NoError(t, err)
		text, ok := TextOf(c)
		assert.True(t, ok, typ)
		assert.Equal(t, "a", text, typ)
	}
	c, err := DecodeContent(ContentLink, []byte(`{"url":"https://h","text":"a"}`))
	require.NoError(t, err)
	_, ok := TextOf(c)
	assert.False(t, ok, "link is not text-bearing")
}

func TestContentURLs(t *testing.T) {
	c, err := DecodeContent(ContentImage, []byte(okImage))
	require.NoError(t, err)
	assert.Equal(t, []string{"https://h.example/api/v1/files/f1", "https://h.example/api/v1/files/f2"}, ContentURLs(c))

	inner, err := json.Marshal(map[string]any{
		"messages": []any{
			map[string]any{"clientMsgID": "a", "sendID": "u", "contentType": "file", "content": json.RawMessage(`{"url":"https://h/x","mimeType":"a/b","fileName":"x"}`)},
			map[string]any{"clientMsgID": "b", "sendID": "u", "contentType": "video", "content": json.RawMessage(`{"url":"https://h/v","mimeType":"video/mp4","snapshot":{"url":"https://h/s"}}`)},
			map[string]any{"clientMsgID": "c", "sendID": "u", "contentType": "text", "content": json.RawMessage(okText)},
		},
	})
	require.NoError(t, err)
	out, err := CheckContent(ContentMerger, inner)
	require.NoError(t, err)
	m, err := DecodeContent(ContentMerger, out)
	require.NoError(t, err)
	assert.Equal(t, []string{"https://h/x", "https://h/v", "https://h/s"}, ContentURLs(m))

	card, err := DecodeContent(ContentCard, []byte(`{"userID":"b","faceURL":"https://h/a"}`))
	require.NoError(t, err)
	assert.Empty(t, ContentURLs(card), "a card's avatar is not an upload of the message")

	mc := &MentionContent{Text: "x", AtUserIDs: []string{"b"}}
	assert.True(t, mc.Mentions("b"))
	assert.False(t, mc.Mentions("c"))
	assert.True(t, (&MentionContent{AtAll: true}).Mentions("c"))
}
