//go:build !js

package wasmwrapper

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"parley/core"
)

// FuzzDecodeArgs feeds arbitrary JSON.stringify output and numbers to the
// native half of argument decoding: it never panics, a failure always
// says what is wrong, and an accepted integer is within its bounds.
func FuzzDecodeArgs(f *testing.F) {
	f.Add(`{"clientMsgID":"c1","text":"hi","seq":3}`, 20.0, int64(1), int64(500))
	f.Add(`{"seq":"3"}`, 1.5, int64(0), int64(1<<53))
	f.Add(`{"content":{"a":[1,2,{"b":null}]},"status":"sent"}`, math.NaN(), int64(0), int64(math.MaxInt64))
	f.Add(`{"seq":1e400}`, math.Inf(1), int64(math.MinInt64), int64(math.MaxInt64))
	f.Add(`[]`, 9.223372036854775807e18, int64(0), int64(math.MaxInt64))
	f.Add(`{"text":"\ud800"}`, -0.0, int64(-5), int64(-1))
	f.Add(`nul`, 1e308, int64(3), int64(2))
	f.Fuzz(func(t *testing.T, s string, num float64, min, max int64) {
		var m core.Message
		sub, msg := decodeJSONText(s, &m)
		if sub != "" && msg == "" {
			t.Fatalf("subfield %q without a message", sub)
		}
		if msg == "" && !json.Valid([]byte(s)) {
			t.Fatalf("invalid JSON %q accepted", s)
		}
		if msg != "" && !strings.HasPrefix(msg, "must be ") && !strings.HasPrefix(msg, "is malformed: ") {
			t.Fatalf("message %q", msg)
		}

		n, msg := checkInt(num, min, max)
		if msg == "" {
			if n < min || n > max || float64(n) != num {
				t.Fatalf("checkInt(%v, %d, %d) = %d", num, min, max, n)
			}
		} else if n != 0 {
			t.Fatalf("checkInt(%v) failed with %d", num, n)
		}
	})
}
