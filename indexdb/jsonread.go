package indexdb

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader reads the JSON text of stored records (JSON.stringify of what
// a getAll returned) for the hand-made record decoders in decode.go: one
// crossing out of JavaScript per read, then no reflection. encoding/json
// spent about 0.3 ms per conversation record here and reading fields one
// js.Value at a time 0.5 ms (docs/benchmarks.md).
//
// It is lenient where the records' producers cannot go wrong: a value of
// another type than the field's reads as the zero value, unknown keys are
// skipped. Malformed text sets err and stops the read. Strings without
// escapes are substrings of s, not copies.
type jsonReader struct {
	s     string
	i     int
	depth int
	err   error
}

// maxJSONDepth bounds nesting, so that a corrupt record cannot recurse
// without end; records nest three levels deep.
const maxJSONDepth = 32

var errRecordJSON = errors.New("indexdb: malformed record JSON")

func (r *jsonReader) fail() {
	if r.err == nil {
		r.err = errRecordJSON
	}
	r.i = len(r.s)
}

// peek skips white space and returns the next byte (0 at the end).
func (r *jsonReader) peek() byte {
	for r.i < len(r.s) {
		switch c := r.s[r.i]; c {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return c
		}
	}
	return 0
}

// expect consumes c, or fails.
func (r *jsonReader) expect(c byte) {
	if r.peek() != c {
		r.fail()
		return
	}
	r.i++
}

// literal consumes lit (true, false, null) at the reader, or fails.
func (r *jsonReader) literal(lit string) {
	if len(r.s)-r.i < len(lit) || r.s[r.i:r.i+len(lit)] != lit {
		r.fail()
		return
	}
	r.i += len(lit)
}

// object calls field with each key of the object at the reader; field
// must read the key's value (or skip it). null is an object without keys.
func (r *jsonReader) object(field func(key string)) {
	r.items('{', '}', func() {
		if r.peek() != '"' {
			r.fail()
			return
		}
		key := r.str()
		r.expect(':')
		if r.err == nil {
			field(key)
		}
	})
}

// array calls elem for each element of the array at the reader; elem must
// read it. null is an empty array.
func (r *jsonReader) array(elem func()) { r.items('[', ']', elem) }

// items reads a list from open to close, separated by commas, calling
// item for each; null is an empty list.
func (r *jsonReader) items(open, close byte, item func()) {
	if r.peek() == 'n' {
		r.literal("null")
		return
	}
	r.expect(open)
	r.nest(func() {
		if r.peek() == close {
			r.i++
			return
		}
		for r.err == nil {
			item()
			switch r.peek() {
			case ',':
				r.i++
			case close:
				r.i++
				return
			default:
				r.fail()
			}
		}
	})
}

func (r *jsonReader) nest(fn func()) {
	if r.err != nil {
		return
	}
	if r.depth++; r.depth > maxJSONDepth {
		r.fail()
		return
	}
	fn()
	r.depth--
}

// str reads a string ("" for null or another type).
func (r *jsonReader) str() string {
	if r.peek() != '"' {
		r.skip()
		return ""
	}
	r.i++
	start := r.i
	for r.i < len(r.s) {
		switch c := r.s[r.i]; {
		case c == '"':
			r.i++
			return r.s[start : r.i-1]
		case c == '\\':
			return r.unescape(start)
		case c < 0x20:
			r.fail()
			return ""
		}
		r.i++
	}
	r.fail()
	return ""
}

// unescape finishes a string with escapes that started at start.
func (r *jsonReader) unescape(start int) string {
	b := []byte(r.s[start:r.i])
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			r.i++
			return string(b)
		case c < 0x20:
			r.fail()
			return ""
		case c != '\\':
			b = append(b, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.s) {
			break
		}
		e := r.s[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			ru := r.hex4()
			if utf16.IsSurrogate(ru) {
				// A pair is two escapes; a lone half is U+FFFD, as in
				// encoding/json.
				ru2 := rune(-1)
				if r.i+1 < len(r.s) && r.s[r.i] == '\\' && r.s[r.i+1] == 'u' {
					save := r.i
					r.i += 2
					if ru2 = r.hex4(); utf16.DecodeRune(ru, ru2) == utf8.RuneError {
						r.i, ru2 = save, -1
					}
				}
				ru = utf16.DecodeRune(ru, ru2)
			}
			b = utf8.AppendRune(b, ru)
		default:
			r.fail()
			return ""
		}
	}
	r.fail()
	return ""
}

func (r *jsonReader) hex4() rune {
	if len(r.s)-r.i < 4 {
		r.fail()
		return utf8.RuneError
	}
	n, err := strconv.ParseUint(r.s[r.i:r.i+4], 16, 32)
	if err != nil {
		r.fail()
		return utf8.RuneError
	}
	r.i += 4
	return rune(n)
}

// int reads a number as an int64 (0 for null or another type). Stored
// numbers are integers; one written with a fraction or an exponent is
// truncated, as a conversion from float64 would.
func (r *jsonReader) int() int64 {
	c := r.peek()
	if c != '-' && (c < '0' || c > '9') {
		r.skip()
		return 0
	}
	start := r.i
	r.i++
	for r.i < len(r.s) {
		c := r.s[r.i]
		if (c < '0' || c > '9') && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			break
		}
		r.i++
	}
	text := r.s[start:r.i]
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		r.fail()
		return 0
	}
	return int64(f)
}

// bool reads a boolean (false for null or another type).
func (r *jsonReader) bool() bool {
	switch r.peek() {
	case 't':
		r.literal("true")
		return true
	case 'f':
		r.literal("false")
	default:
		r.skip()
	}
	return false
}

// skip reads past any one value.
func (r *jsonReader) skip() {
	switch c := r.peek(); {
	case c == '"':
		r.str()
	case c == '{':
		r.object(func(string) { r.skip() })
	case c == '[':
		r.array(r.skip)
	case c == 't':
		r.literal("true")
	case c == 'f':
		r.literal("false")
	case c == 'n':
		r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		r.int()
	default:
		r.fail()
	}
}
