//go:build js

package wasmwrapper

import (
	"encoding/json"
	"reflect"
	"strconv"
	"syscall/js"
	"testing"

	"parley/core"
)

// fill sets every field of the struct v to a value of its own (strings,
// numbers, true, one element per slice of structs, two strings per slice
// of strings, valid JSON for raw bytes), so a field added to core's types
// without a line in tojson.go shows as a difference below.
func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		*n++
		switch f.Kind() {
		case reflect.String:
			f.SetString("v" + strconv.Itoa(*n))
		case reflect.Int, reflect.Int64, reflect.Int32:
			f.SetInt(int64(*n))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			switch f.Type().Elem().Kind() {
			case reflect.Struct:
				s := reflect.MakeSlice(f.Type(), 1, 1)
				fill(t, s.Index(0), n)
				f.Set(s)
			case reflect.String:
				f.Set(reflect.ValueOf([]string{"v" + strconv.Itoa(*n), "w" + strconv.Itoa(*n)}))
			case reflect.Uint8:
				f.SetBytes([]byte(`{"2": ` + strconv.Itoa(*n) + `, "1":"x<&>"}`))
			default:
				t.Fatalf("field %s: no filler for %s", v.Type().Field(i).Name, f.Type())
			}
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			fill(t, p.Elem(), n)
			f.Set(p)
		default:
			t.Fatalf("field %s: no filler for %s", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// TestAppendersMatchJSON checks that what ToJS gives for conversations
// (with every shape of latest message) through the appenders is what it
// gave through json.Marshal:
// the same JS value, keys in the same order (compared as JSON.stringify of
// JSON.parse), for every field set and for the zero and omitted shapes,
// with strings that need escaping and invalid UTF-8.
func TestAppendersMatchJSON(t *testing.T) {
	odd := []string{"", "plain", `q"uo\te`, "ctl\x00\x01\x1f\n\r\t", "<b>&amp;</b>", "é中😀\u2028\u2029", "bad\xff\xfeutf8", "\x7f"}
	var convs []core.Conversation
	var msgs []core.Message
	n := 0
	for i, s := range odd {
		var m core.Message
		fill(t, reflect.ValueOf(&m).Elem(), &n)
		m.Text, m.ClientMsgID = s, "id"+s
		var cv core.Conversation
		fill(t, reflect.ValueOf(&cv).Elem(), &n)
		cv.ShowName, cv.DraftText = s, s
		if i%2 == 0 {
			// The other shapes: no content, uploads or reactions, a
			// reaction without users, not pinned, no latest message.
			m.Content, m.ErrorCode, m.Uploads, m.Deleted = nil, "", nil, false
			m.Reactions = []core.Reaction{{Emoji: s}}
			if i%4 == 0 {
				m.Reactions = nil
			}
			cv.LatestMessage, cv.Removed, cv.IsHidden, cv.DraftPending, cv.ReceiptVersion, cv.HiddenUntilSeq = nil, false, false, false, 0, 0
		}
		convs = append(convs, cv)
		msgs = append(msgs, m)
	}
	// Each message's shape as a latest message too.
	for i := range msgs {
		cv := convs[i]
		cv.LatestMessage = &msgs[i]
		convs = append(convs, cv)
	}
	values := map[string]any{
		"conversations":   convs,
		"conversation":    convs[1],
		"no conversation": []core.Conversation(nil),
		"none":            []core.Conversation{},
	}
	stringify := js.Global().Get("JSON").Get("stringify")
	parse := js.Global().Get("JSON").Get("parse")
	for name, v := range values {
		got, ok := appendJSON(nil, v)
		if !ok {
			t.Errorf("%s: the appenders declined it", name)
			continue
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		g := stringify.Invoke(parse.Invoke(string(got))).String()
		w := stringify.Invoke(parse.Invoke(string(want))).String()
		if g != w {
			t.Errorf("%s:\n got %s\nwant %s", name, g, w)
		}
	}
	// Content json.Marshal refuses is left to it (and its error).
	bad := convs[1]
	m := *bad.LatestMessage
	m.Content = []byte(`{"a":`)
	bad.LatestMessage = &m
	if _, ok := appendJSON(nil, []core.Conversation{bad}); ok {
		t.Error("invalid content: the appenders wrote it")
	}
	if _, err := ToJS([]core.Conversation{bad}); err == nil {
		t.Error("invalid content: ToJS did not fail")
	}
}
