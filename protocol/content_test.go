package protocol

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nested returns an object nesting depth levels: {"a":{"a":…{}…}}.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
}

func TestCheckContentAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, typ, raw, want string
	}{
		{"text", ContentText, `{"text":"hi"}`, `{"text":"hi"}`},
		{"text, spaced", ContentText, " {\n \"text\" : \"hi\" } ", `{"text":"hi"}`},
		{"text keeps its own spaces", ContentText, `{"text":"  hi  "}`, `{"text":"  hi  "}`},
		{"text drops other members", ContentText, `{"text":"hi","x":[1]}`, `{"text":"hi"}`},
		{"text, escapes", ContentText, `{"text":"a\u00e9\n\"<&>"}`, `{"text":"aé\n\"\u003c\u0026\u003e"}`},
		{"text, paired surrogates", ContentText, `{"text":"\ud83d\ude00"}`, `{"text":"😀"}`},
		{"text, emoji", ContentText, `{"text":"😀"}`, `{"text":"😀"}`},
		{"custom, any object", ContentCustom, `{"kind":"poll", "options":["a","b"]}`, `{"kind":"poll","options":["a","b"]}`},
		{"custom, contract shape", ContentCustom, `{"data":{"n":1},"description":"a poll"}`, `{"data":{"n":1},"description":"a poll"}`},
		{"custom, empty", ContentCustom, `{}`, `{}`},
		{"custom, escapes HTML", ContentCustom, `{"h":"<b>\u2028"}`, `{"h":"\u003cb\u003e\u2028"}`},
		{"custom, raw U+2028", ContentCustom, "{\"h\":\"\u2028\"}", `{"h":"\u2028"}`},
		{"custom, braces in strings", ContentCustom, `{"s":"{{{{[[[[\"\\"}`, `{"s":"{{{{[[[[\"\\"}`},
		{"custom, deepest allowed", ContentCustom, nested(MaxContentDepth), nested(MaxContentDepth)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckContent(tc.typ, []byte(tc.raw))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			// Canonical means stable: checking it again changes nothing.
			again, err := CheckContent(tc.typ, got)
			require.NoError(t, err)
			assert.Equal(t, string(got), string(again))
		})
	}
}

func TestCheckContentRefuses(t *testing.T) {
	big := `{"text":"` + strings.Repeat("x", MaxContentBytes) + `"}`
	// Each < is escaped to six bytes: small on the wire, too large stored.
	escapes := `{"text":"` + strings.Repeat("<", MaxContentBytes/5) + `"}`
	for _, tc := range []struct {
		name, typ, raw string
		code           Code
		msg            string
	}{
		{"no type", "", `{"text":"x"}`, CodeInvalidArgument, "contentType is required"},
		{"unknown type", "hologram", `{}`, CodeInvalidArgument, "unknown content type"},
		{"not an object", ContentCustom, `[1,2]`, CodeInvalidArgument, "JSON object"},
		{"a string", ContentText, `"just a string"`, CodeInvalidArgument, "JSON object"},
		{"empty", ContentText, ``, CodeInvalidArgument, "JSON object"},
		{"not JSON", ContentCustom, `{"a":}`, CodeInvalidArgument, "not valid JSON"},
		{"trailing data", ContentCustom, `{} {}`, CodeInvalidArgument, "not valid JSON"},
		{"text missing", ContentText, `{}`, CodeInvalidArgument, "not empty"},
		{"text empty", ContentText, `{"text":""}`, CodeInvalidArgument, "not empty"},
		{"text null", ContentText, `{"text":null}`, CodeInvalidArgument, "not empty"},
		{"text spaces", ContentText, `{"text":" \t\n\r "}`, CodeInvalidArgument, "white space"},
		{"text unicode spaces", ContentText, `{"text":"\u00a0\u3000\u2003"}`, CodeInvalidArgument, "white space"},
		{"text invisible", ContentText, `{"text":"\u200b\ufeff\u2060"}`, CodeInvalidArgument, "white space"},
		{"text wrong type", ContentText, `{"text":5}`, CodeInvalidArgument, "text content"},
		{"raw invalid UTF-8 in text", ContentText, "{\"text\":\"bad \xff\"}", CodeInvalidArgument, "UTF-8"},
		{"raw invalid UTF-8 in custom", ContentCustom, "{\"a\":{\"b\":\"bad \xff\"}}", CodeInvalidArgument, "UTF-8"},
		{"raw invalid UTF-8 in a key", ContentCustom, "{\"\xc3\":1}", CodeInvalidArgument, "UTF-8"},
		{"lone high surrogate", ContentCustom, `{"a":"\ud800"}`, CodeInvalidArgument, "surrogate"},
		{"lone low surrogate", ContentText, `{"text":"x\udc00"}`, CodeInvalidArgument, "surrogate"},
		{"high then not low", ContentCustom, `{"a":"\ud800\u0041"}`, CodeInvalidArgument, "surrogate"},
		{"high at the end", ContentCustom, `{"a":"\uD83D"}`, CodeInvalidArgument, "surrogate"},
		{"too deep", ContentCustom, nested(MaxContentDepth + 1), CodeInvalidArgument, "deeper than"},
		{"far too deep", ContentCustom, strings.Repeat(`{"a":[`, 5000) + strings.Repeat(`]}`, 5000), CodeInvalidArgument, "deeper than"},
		{"description not a string", ContentCustom, `{"description":5}`, CodeInvalidArgument, "custom content"},
		{"too large", ContentText, big, CodeTooLarge, "over the limit"},
		{"too large once escaped", ContentText, escapes, CodeTooLarge, "over the limit"},
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

func TestEncodeDecodeContent(t *testing.T) {
	raw, err := EncodeContent(&TextContent{Text: "hello <you>"})
	require.NoError(t, err)
	assert.Equal(t, `{"text":"hello \u003cyou\u003e"}`, string(raw))
	c, err := DecodeContent(ContentText, raw)
	require.NoError(t, err)
	assert.Equal(t, &TextContent{Text: "hello <you>"}, c)
	assert.Equal(t, "hello <you>", c.Summary())

	raw, err = EncodeContent(&CustomContent{Data: json.RawMessage(`{"votes": [1, 2]}`), Description: "a poll"})
	require.NoError(t, err)
	assert.Equal(t, `{"data":{"votes":[1,2]},"description":"a poll"}`, string(raw))
	c, err = DecodeContent(ContentCustom, raw)
	require.NoError(t, err)
	assert.Equal(t, ContentCustom, c.ContentType())
	assert.Equal(t, "a poll", c.Summary())
	assert.Equal(t, "a poll", ContentSummary(ContentCustom, raw))

	raw, err = EncodeContent(&CustomContent{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(raw))

	// What the server would refuse, the SDK cannot make.
	for name, c := range map[string]Content{
		"empty text":       &TextContent{},
		"blank text":       &TextContent{Text: "\u200b "},
		"invalid data":     &CustomContent{Data: json.RawMessage(`{`)},
		"too deep data":    &CustomContent{Data: json.RawMessage(nested(MaxContentDepth))},
		"lone surrogate":   &CustomContent{Data: json.RawMessage(`"\udfff"`)},
		"too large text":   &TextContent{Text: strings.Repeat("é", MaxContentBytes/2)},
		"invalid data too": &CustomContent{Data: json.RawMessage("\"\xff\"")},
	} {
		_, err := EncodeContent(c)
		assert.Error(t, err, name)
	}
	// Go strings that are not UTF-8 are encoded with U+FFFD, never as is.
	raw, err = EncodeContent(&TextContent{Text: "bad \xff"})
	require.NoError(t, err)
	assert.Equal(t, `{"text":"bad `+"\uFFFD"+`"}`, string(raw))

	_, err = DecodeContent("hologram", []byte(`{}`))
	assert.Equal(t, CodeInvalidArgument, CodeOf(err))
	_, err = DecodeContent(ContentText, []byte(`{"text":5}`))
	assert.Equal(t, CodeInvalidArgument, CodeOf(err))
	assert.Equal(t, "", ContentSummary(ContentText, []byte(`not json`)))
}

func TestDeliverableContent(t *testing.T) {
	for _, tc := range []struct {
		name, typ, raw, want string
		ok                   bool
	}{
		{"fine", ContentText, `{"text":"hi"}`, `{"text":"hi"}`, true},
		// Stored before the rules: harmless, so delivered as is.
		{"blank text", ContentText, `{"text":" "}`, `{"text":" "}`, true},
		{"lone surrogate escape", ContentCustom, `{"a":"\ud800"}`, `{"a":"\ud800"}`, true},
		{"invalid UTF-8 repaired", ContentText, "{\"text\":\"bad \xff\xfe!\"}", "{\"text\":\"bad \uFFFD!\"}", false},
		{"invalid UTF-8 in custom", ContentCustom, "{\"a\":\"\xc3\"}", "{\"a\":\"\uFFFD\"}", false},
		{"too deep, text", ContentText, `{"text":"x","n":` + nested(MaxContentDepth) + `}`, "{\"text\":\"\uFFFD\"}", false},
		{"too deep, custom", ContentCustom, nested(10000), `{}`, false},
		{"not JSON", ContentCustom, `{"a"`, `{}`, false},
		{"not an object", ContentText, `[]`, "{\"text\":\"\uFFFD\"}", false},
		{"unknown type", "hologram", "\xff", `{}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := DeliverableContent(tc.typ, []byte(tc.raw))
			assert.Equal(t, tc.want, string(got))
			assert.Equal(t, tc.ok, ok)
			// Whatever it returns, a frame can carry.
			_, err := EncodeFrame("", PushMessage, &Message{ContentType: tc.typ, Content: got})
			assert.NoError(t, err)
		})
	}
	assert.Equal(t, "{\"text\":\"\uFFFD\"}", string(PlaceholderContent(ContentText)))
	assert.Equal(t, `{}`, string(PlaceholderContent(ContentCustom)))
	assert.Equal(t, `{"url":"","mimeType":"","size":0,"width":0,"height":0,"thumbnail":{"url":"","width":0,"height":0}}`, string(PlaceholderContent(ContentImage)))
	assert.Equal(t, `{"kind":"","operatorUserID":""}`, string(PlaceholderContent(ContentNotification)))
}
