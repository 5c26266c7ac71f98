// Package jsonappend writes JSON objects field by field into a byte slice,
// without encoding/json's reflection, for the SDK's hot paths in the
// browser (IndexedDB records, values handed to JavaScript). Callers write
// the fields json.Marshal would write, in its order; their tests compare
// the result with json.Marshal.
package jsonappend

import (
	"strconv"
	"unicode/utf8"
)

// String appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// json.Marshal makes it; unlike json.Marshal it does not escape <, >, &,
// U+2028 and U+2029, which every JSON parser reads the same either way.
func String(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Key appends `,"k":`, or `"k":` right after the object's '{'.
func Key(b []byte, k string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

// Str appends the field k with the string v.
func Str(b []byte, k, v string) []byte { return String(Key(b, k), v) }

// Int appends the field k with the number v.
func Int(b []byte, k string, v int64) []byte { return strconv.AppendInt(Key(b, k), v, 10) }

// Bool appends the field k with the boolean v.
func Bool(b []byte, k string, v bool) []byte { return strconv.AppendBool(Key(b, k), v) }
