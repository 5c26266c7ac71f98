package protocol

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFrameTooLargeReason(t *testing.T) {
	for _, id := range []string{"17", "r-9", strings.Repeat("x", 64)} {
		r := FrameTooLargeReason(id)
		assert.LessOrEqual(t, len(r), 123)
		got, ok := FrameTooLargeID(r)
		assert.True(t, ok)
		assert.Equal(t, id, got)
	}
	// Ids that cannot be quoted are left out.
	for _, id := range []string{"", strings.Repeat("x", 65), "a b", "é", "a\x00"} {
		r := FrameTooLargeReason(id)
		assert.Equal(t, CloseReasonFrameTooLarge, r, "%q", id)
		got, ok := FrameTooLargeID(r)
		assert.True(t, ok)
		assert.Empty(t, got)
	}
	for _, r := range []string{"", "heartbeat timeout", "frame too largeX"} {
		_, ok := FrameTooLargeID(r)
		assert.False(t, ok, "%q", r)
	}
}
