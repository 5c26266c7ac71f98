package indexdb

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAny reads any JSON value with jsonReader into the shapes
// encoding/json gives an any (numbers as float64 of the int read).
func readAny(r *jsonReader) any {
	switch c := r.peek(); {
	case c == '{':
		m := map[string]any{}
		r.object(func(k string) { m[k] = readAny(r) })
		return m
	case c == '[':
		a := []any{}
		r.array(func() { a = append(a, readAny(r)) })
		return a
	case c == '"':
		return r.str()
	case c == 't' || c == 'f':
		return r.bool()
	case c == 'n':
		r.skip()
		return nil
	}
	return float64(r.int())
}

func TestJSONReaderReadsWhatJSONStringifyWrites(t *testing.T) {
	for _, text := range []string{
		`{"a":"plain","b":-12,"c":true,"d":false,"e":null,"f":[1,2,[3]],"g":{"h":{"i":"j"}}}`,
		` { "a" : [ ] , "b" : { } , "c" : "" } `,
		`["q\"uo\\te\/", "ctl\u0000\u001f\n\r\t\b\f", "é中😀\u2028", "\ud83d\ude00", "lone \ud800 half", "\ud800\u0041"]`,
		`[9007199254740993, 1e3, 2.5, -0]`,
	} {
		var want any
		require.NoError(t, json.Unmarshal([]byte(text), &want))
		if a, ok := want.([]any); ok && len(a) == 4 {
			// Numbers are read as integers: 9007199254740993 exactly, 2.5
			// truncated.
			want = []any{float64(9007199254740993), float64(1000), float64(2), float64(0)}
		}
		r := &jsonReader{s: text}
		got := readAny(r)
		require.NoError(t, r.err, text)
		assert.Equal(t, want, got, text)
	}
}

func TestJSONReaderIsLenientAboutTypes(t *testing.T) {
	r := &jsonReader{s: `{"s":1,"n":"x","b":null,"o":[1,{"x":"y"}]}`}
	var s string
	var n int64
	var b bool
	r.object(func(k string) {
		switch k {
		case "s":
			s = r.str()
		case "n":
			n = r.int()
		case "b":
			b = r.bool()
		default:
			r.skip()
		}
	})
	require.NoError(t, r.err)
	assert.Equal(t, "", s)
	assert.Zero(t, n)
	assert.False(t, b)
}

func TestJSONReaderRejectsMalformedText(t *testing.T) {
	deep := ""
	for range maxJSONDepth + 1 {
		deep += "["
	}
	for _, text := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `{1:2}`, `["x]`, `["\x"]`, `["\u12"]`, "[\"a\x01\"]", `[tru]`, `[1 2]`, `[-]`, `[}`, deep} {
		r := &jsonReader{s: text}
		readAny(r)
		assert.ErrorIs(t, r.err, errRecordJSON, "%q", text)
	}
}

func FuzzJSONReader(f *testing.F) {
	f.Add(`{"a":["b",1,true,null,{"c":"\u00e9\ud83d\ude00"}]}`)
	f.Fuzz(func(t *testing.T, text string) {
		r := &jsonReader{s: text}
		got := readAny(r)
		var want any
		if json.Unmarshal([]byte(text), &want) != nil || r.err != nil {
			return // the reader may accept more (trailing text) or less (numbers), never crash
		}
		// Both read valid JSON; compare what both represent the same way.
		if b, err := json.Marshal(got); err == nil && !hasNumbers(want) {
			w, _ := json.Marshal(want)
			assert.JSONEq(t, string(w), string(b))
		}
	})
}

func hasNumbers(v any) bool {
	switch x := v.(type) {
	case float64:
		return true
	case []any:
		for _, e := range x {
			if hasNumbers(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasNumbers(e) {
				return true
			}
		}
	}
	return false
}
