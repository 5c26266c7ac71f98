// Package contenttest makes random message contents for property tests on
// both sides: whatever protocol.CheckContent accepts must reach every SDK
// store and come back out unchanged.
package contenttest

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"

	"parley/protocol"
)

// runes mixes what tends to break encoders: escapes, HTML-sensitive
// characters, line and paragraph separators, CJK, emoji (surrogate pairs
// in JS), combining marks, bidi and zero-width characters, NUL.
var runes = []rune("aZ09 _-\"\\/\b\f\n\r\t<>&'\u2028\u2029\u00e9\u4f60\u597d\u6f22\u5b57\U0001F600\U0001F9D1\u200d\U0001F680\u0301\u202e\u200b\ufeff\x00\x7f\u00a0")

// Content returns a random content type and raw content. Most are
// acceptable; some are not (raw invalid UTF-8, too deep, blank text), so a
// property test exercises both sides of CheckContent.
func Content(r *rand.Rand) (typ string, raw []byte) {
	switch r.IntN(10) {
	case 0:
		// Invalid UTF-8 somewhere in a string.
		s := randString(r, 8)
		return protocol.ContentCustom, []byte(`{"k":"` + s[:len(s)/2] + "\xff\xfe" + `"}`)
	case 1:
		return protocol.ContentCustom, []byte(strings.Repeat(`{"a":`, protocol.MaxContentDepth+r.IntN(3)) + "1" + strings.Repeat("}", protocol.MaxContentDepth+r.IntN(3)))
	case 2, 3, 4:
		text := randString(r, 40)
		if r.IntN(8) == 0 {
			text = strings.Repeat(" ", r.IntN(3)) + "\u200b"
		}
		b, _ := json.Marshal(protocol.TextContent{Text: text})
		return protocol.ContentText, b
	default:
		obj := map[string]any{}
		for i, n := 0, r.IntN(5); i < n; i++ {
			obj[randString(r, 6)] = value(r, 1+r.IntN(5))
		}
		if r.IntN(2) == 0 {
			obj["description"] = randString(r, 20)
		}
		b, _ := json.Marshal(obj)
		return protocol.ContentCustom, b
	}
}

func value(r *rand.Rand, depth int) any {
	if depth <= 0 {
		return randString(r, 5)
	}
	switch r.IntN(7) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		// Integers beyond 2^53 and fractions: JS numbers must not change them.
		return json.Number(strconv.FormatInt(r.Int64N(1<<62)-1<<61, 10))
	case 3:
		return json.Number(strconv.FormatFloat(r.NormFloat64()*1e6, 'g', -1, 64))
	case 4:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = value(r, depth-1)
		}
		return a
	case 5:
		m := map[string]any{}
		for i, n := 0, r.IntN(4); i < n; i++ {
			m[randString(r, 4)] = value(r, depth-1)
		}
		return m
	default:
		return randString(r, 12)
	}
}

func randString(r *rand.Rand, max int) string {
	var b strings.Builder
	for i, n := 0, 1+r.IntN(max); i < n; i++ {
		b.WriteRune(runes[r.IntN(len(runes))])
	}
	return b.String()
}
