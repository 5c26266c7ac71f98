package wasmwrapper

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
)

// The checks of Args that do not touch JS values live here, untagged, so
// that they build natively and can be fuzzed (decode_fuzz_test.go).

// checkInt checks that a JS number is an integer in [min, max]. msg says
// what is wrong ("" when nothing is).
func checkInt(f float64, min, max int64) (n int64, msg string) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
		return 0, "must be an integer"
	}
	bounds := "must be between " + strconv.FormatInt(min, 10) + " and " + strconv.FormatInt(max, 10)
	// float64(min) and float64(max) may round (2^63-1 becomes 2^63), so
	// the converted value is checked again.
	if f < float64(min) || f > float64(max) || f >= math.MaxInt64 {
		return 0, bounds
	}
	if n = int64(f); n < min || n > max {
		return 0, bounds
	}
	return n, ""
}

// decodeJSONText decodes the JSON.stringify output s of a JS object into v.
// On failure it returns the offending subfield (if known) and what is
// wrong, in words for a JS developer.
func decodeJSONText(s string, v any) (sub, msg string) {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return te.Field, "must be " + jsTypeName(te.Type.Kind().String()) + ", got " + te.Value
		}
		return "", "is malformed: " + err.Error()
	}
	return "", ""
}

func jsTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	}
	return "an object"
}
