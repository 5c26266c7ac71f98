//go:build js

package wasmwrapper

import (
	"strconv"
	"syscall/js"

	"parley/protocol"
)

// Args checks and decodes one JS options object. Getters record the first
// problem and return zero values afterwards, so a method reads all its
// fields and then checks Err once:
//
//	a := wasmwrapper.Object("login", args, 0)
//	userID := a.RequiredString("userID")
//	token := a.RequiredString("token")
//	if err := a.Err(); err != nil { return nil, err }
type Args struct {
	method string
	v      js.Value
	err    *protocol.Error
}

// Object reads args[i] as an options object. A missing, null or undefined
// argument counts as an empty object, so methods whose fields are all
// optional can be called without one; Required* getters still report their
// field.
func Object(method string, args []js.Value, i int) *Args {
	a := &Args{method: method}
	if i >= len(args) || args[i].IsUndefined() || args[i].IsNull() {
		a.v = js.Undefined()
		return a
	}
	v := args[i]
	if !is(v, js.TypeObject) || isArray(v) {
		a.fail("", "argument must be an object, got "+describe(v))
		return a
	}
	a.v = v
	return a
}

// Err returns the first problem found, as an invalid_argument error naming
// the field, or nil.
func (a *Args) Err() error {
	if a.err == nil {
		return nil
	}
	return a.err
}

func (a *Args) fail(field, msg string) {
	if a.err != nil {
		return
	}
	text := a.method + ": "
	if field != "" {
		text += field + " "
	}
	a.err = &protocol.Error{Code: protocol.CodeInvalidArgument, Message: text + msg}
}

// get returns the field's value and whether it is present (neither
// undefined nor null).
func (a *Args) get(field string) (js.Value, bool) {
	if a.err != nil || a.v.IsUndefined() {
		return js.Undefined(), false
	}
	v := a.v.Get(field)
	if v.IsUndefined() || v.IsNull() {
		return v, false
	}
	return v, true
}

// String returns an optional string field ("" when absent).
func (a *Args) String(field string) string {
	v, ok := a.get(field)
	if !ok {
		return ""
	}
	if !is(v, js.TypeString) {
		a.fail(field, "must be a string, got "+describe(v))
		return ""
	}
	return v.String()
}

// OptionalString returns nil when the field is absent, else its value.
func (a *Args) OptionalString(field string) *string {
	if _, ok := a.get(field); !ok {
		return nil
	}
	s := a.String(field)
	if a.err != nil {
		return nil
	}
	return &s
}

// RequiredString returns a string field that must be present and not
// empty.
func (a *Args) RequiredString(field string) string {
	if a.err != nil {
		return ""
	}
	if _, ok := a.get(field); !ok {
		a.fail(field, "is required")
		return ""
	}
	s := a.String(field)
	if a.err == nil && s == "" {
		a.fail(field, "must not be empty")
	}
	return s
}

// Int returns an optional integer field in [min, max], def when absent.
func (a *Args) Int(field string, def, min, max int64) int64 {
	v, ok := a.get(field)
	if !ok {
		return def
	}
	if !is(v, js.TypeNumber) {
		a.fail(field, "must be a number, got "+describe(v))
		return def
	}
	n, msg := checkInt(v.Float(), min, max)
	if msg != "" {
		a.fail(field, msg+", got "+describe(v))
		return def
	}
	return n
}

// RequiredInt is Int for a field that must be present.
func (a *Args) RequiredInt(field string, min, max int64) int64 {
	if a.err != nil {
		return 0
	}
	if _, ok := a.get(field); !ok {
		a.fail(field, "is required")
		return 0
	}
	return a.Int(field, 0, min, max)
}

// Bool returns an optional boolean field, def when absent.
func (a *Args) Bool(field string, def bool) bool {
	v, ok := a.get(field)
	if !ok {
		return def
	}
	if !is(v, js.TypeBoolean) {
		a.fail(field, "must be a boolean, got "+describe(v))
		return def
	}
	return v.Bool()
}

// Strings returns a field holding an array of non-empty strings, with at
// most max elements. A required field must be present (it may be empty).
func (a *Args) Strings(field string, required bool, max int) []string {
	v, ok := a.get(field)
	if !ok {
		if required {
			a.fail(field, "is required")
		}
		return nil
	}
	if !isArray(v) {
		a.fail(field, "must be an array of strings, got "+describe(v))
		return nil
	}
	n := v.Length()
	if n > max {
		a.fail(field, "has "+strconv.Itoa(n)+" elements, at most "+strconv.Itoa(max)+" allowed")
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		e := v.Index(i)
		name := field + "[" + strconv.Itoa(i) + "]"
		if !is(e, js.TypeString) {
			a.fail(name, "must be a string, got "+describe(e))
			return nil
		}
		s := e.String()
		if s == "" {
			a.fail(name, "must not be empty")
			return nil
		}
		out = append(out, s)
	}
	return out
}

// JSON decodes an object field into v (a pointer) through JSON, so v's
// struct tags name the fields. It reports whether the field was present.
func (a *Args) JSON(field string, required bool, v any) bool {
	jv, ok := a.get(field)
	if !ok {
		if required {
			a.fail(field, "is required")
		}
		return false
	}
	if !is(jv, js.TypeObject) || isArray(jv) {
		a.fail(field, "must be an object, got "+describe(jv))
		return false
	}
	sub, msg := decodeJSON(jv, v)
	if msg != "" {
		if sub != "" {
			field += "." + sub
		}
		a.fail(field, msg)
		return false
	}
	return true
}

// Decode decodes the whole object into v (a pointer) through JSON, after
// checking that each of required is a non-empty string.
func (a *Args) Decode(v any, required ...string) {
	for _, f := range required {
		a.RequiredString(f)
	}
	if a.err != nil || a.v.IsUndefined() {
		return
	}
	if sub, msg := decodeJSON(a.v, v); msg != "" {
		a.fail(sub, msg)
	}
}

// decodeJSON converts a JS object to a Go value through JSON.stringify. On
// failure it returns the offending subfield (if known) and what is wrong.
func decodeJSON(jv js.Value, v any) (sub, msg string) {
	defer func() {
		// JSON.stringify throws on cycles and BigInt.
		if r := recover(); r != nil {
			sub, msg = "", "is not JSON-serializable"
		}
	}()
	s := js.Global().Get("JSON").Call("stringify", jv).String()
	return decodeJSONText(s, v)
}

// typeOf is js.Value.Type without its panic on a BigInt, which syscall/js
// cannot represent; ok is false for such a value.
func typeOf(v js.Value) (t js.Type, ok bool) {
	defer func() {
		if recover() != nil {
			t, ok = js.TypeUndefined, false
		}
	}()
	return v.Type(), true
}

// is reports whether v has type t.
func is(v js.Value, t js.Type) bool {
	vt, ok := typeOf(v)
	return ok && vt == t
}

func isArray(v js.Value) bool {
	return is(v, js.TypeObject) && js.Global().Get("Array").Call("isArray", v).Bool()
}

// describe names a JS value's type for error messages.
func describe(v js.Value) string {
	t, ok := typeOf(v)
	if !ok {
		return "a bigint"
	}
	switch t {
	case js.TypeUndefined:
		return "undefined"
	case js.TypeNull:
		return "null"
	case js.TypeString:
		return "a string"
	case js.TypeNumber:
		f := v.Float()
		return strconv.FormatFloat(f, 'g', -1, 64)
	case js.TypeBoolean:
		return "a boolean"
	case js.TypeFunction:
		return "a function"
	case js.TypeSymbol:
		return "a symbol"
	case js.TypeObject:
		if isArray(v) {
			return "an array"
		}
		return "an object"
	}
	return t.String()
}

// StringArg reads args[i] as a string argument called name (for methods
// that take a bare string, like createTextMessage(text)).
func StringArg(method, name string, args []js.Value, i int) (string, error) {
	if i >= len(args) || !is(args[i], js.TypeString) {
		got := "undefined"
		if i < len(args) {
			got = describe(args[i])
		}
		return "", &protocol.Error{Code: protocol.CodeInvalidArgument, Message: method + ": " + name + " must be a string, got " + got}
	}
	return args[i].String(), nil
}

// OptionalBool returns an optional boolean field (nil when absent).
func (a *Args) OptionalBool(field string) *bool {
	if _, ok := a.get(field); !ok {
		return nil
	}
	b := a.Bool(field, false)
	return &b
}
