package jsonappend

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObjectReadsAsMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "quote \" back \\ slash", "ctl \n\r\t\x01\x1f", "ünïcødé 😀", "bad \xff utf-8", "<html> & \u2028"} {
		b := Bool(Int(Str([]byte{'{'}, "s", s), "n", -42), "ok", true)
		b = append(b, '}')
		var got struct {
			S  string `json:"s"`
			N  int64  `json:"n"`
			OK bool   `json:"ok"`
		}
		require.NoError(t, json.Unmarshal(b, &got), "%q", b)
		want, _ := json.Marshal(s)
		var ws string
		require.NoError(t, json.Unmarshal(want, &ws))
		assert.Equal(t, ws, got.S)
		assert.Equal(t, int64(-42), got.N)
		assert.True(t, got.OK)
	}
}
