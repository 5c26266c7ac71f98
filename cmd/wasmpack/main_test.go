package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// module returns a wasm module with a type section (copied as is) and a
// data section holding segs.
func module(segs ...segment) []byte {
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = append(m, 1, 4, 1, 0x60, 0, 0) // type section: one func type () -> ()
	sec := writeSegments(segs)
	m = append(m, sectionData)
	m = appendULEB(m, uint32(len(sec)))
	return append(m, sec...)
}

// memory is the initial memory a module's data segments write.
func memory(t *testing.T, mod []byte) []byte {
	t.Helper()
	i := 8
	for i < len(mod) {
		size, n, err := uleb(mod, i+1)
		require.NoError(t, err)
		if mod[i] == sectionData {
			segs, err := readSegments(mod[i+1+n : i+1+n+int(size)])
			require.NoError(t, err)
			var mem []byte
			for _, s := range segs {
				if end := int(s.offset) + len(s.data); end > len(mem) {
					mem = append(mem, make([]byte, end-len(mem))...)
				}
				copy(mem[s.offset:], s.data)
			}
			return mem
		}
		i += 1 + n + int(size)
	}
	t.Fatal("no data section")
	return nil
}

func segmentCount(t *testing.T, mod []byte) int {
	t.Helper()
	n, _, err := uleb(mod, len(module())-1)
	require.NoError(t, err)
	return int(n)
}

func TestPackMergesNearSegmentsAndKeepsMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		segs []segment
		gap  int
		want int // segments after packing
	}{
		{"adjacent", []segment{{16, []byte("ab")}, {18, []byte("cd")}}, 0, 1},
		{"short gap", []segment{{16, []byte("ab")}, {30, []byte("cd")}}, 16, 1},
		{"long gap", []segment{{16, []byte("ab")}, {300, []byte("cd")}}, 16, 2},
		{"large offsets", []segment{{1 << 20, []byte("ab")}, {1<<20 + 2, []byte("cd")}, {1 << 30, []byte("e")}}, 256, 2},
		// A later segment overwrites an earlier one: order is kept.
		{"overlap", []segment{{16, []byte("abcd")}, {18, []byte("XY")}}, 256, 2},
		{"out of order", []segment{{32, []byte("ab")}, {16, []byte("cd")}}, 256, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := module(tc.segs...)
			out, err := pack(in, tc.gap)
			require.NoError(t, err)
			assert.Equal(t, memory(t, in), memory(t, out))
			assert.Equal(t, tc.want, segmentCount(t, out))
			assert.Equal(t, in[8:14], out[8:14], "other sections are copied")
		})
	}
}

func TestPackRejectsMalformedModules(t *testing.T) {
	good := module(segment{16, []byte("ab")})
	for name, mod := range map[string][]byte{
		"empty":             nil,
		"not wasm":          []byte("\x7fELF\x01\x00\x00\x00"),
		"truncated section": good[:len(good)-1],
		"passive segment":   append(append([]byte(nil), good[:14]...), sectionData, 3, 1, 1, 0),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pack(mod, 256)
			require.ErrorIs(t, err, errMalformed)
		})
	}
}
