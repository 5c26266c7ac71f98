// Command wasmpack rewrites a WebAssembly module's data section so that it
// compresses better: it merges data segments that are adjacent or separated
// by a short run of zeros into one segment, writing the zeros out. build.sh
// runs it on parley.wasm after go build.
//
// The Go linker emits tens of thousands of data segments (80,000 for
// parley.wasm), each with its own offset and length: optimal for raw bytes,
// but those headers are what gzip cannot squeeze, about 140 KB of the
// compressed module. Merged, the memory the module starts with is the same
// byte for byte (a segment's zeros land on memory that is zero already), so
// nothing changes at run time.
//
// Usage: wasmpack [-gap N] FILE (rewrites FILE in place).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	gap := flag.Int("gap", 256, "merge segments separated by at most this many zero bytes")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmpack [-gap N] FILE")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *gap); err != nil {
		fmt.Fprintln(os.Stderr, "wasmpack:", err)
		os.Exit(1)
	}
}

func run(path string, gap int) error {
	in, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := pack(in, gap)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

const sectionData = 11

var errMalformed = errors.New("malformed wasm module")

// segment is one active data segment of memory 0.
type segment struct {
	offset uint32
	data   []byte
}

// pack returns mod with its data segments merged wherever at most gap zero
// bytes separate them. Every other section is copied as it is.
func pack(mod []byte, gap int) ([]byte, error) {
	if len(mod) < 8 || string(mod[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%w: no wasm header", errMalformed)
	}
	out := append([]byte(nil), mod[:8]...)
	for i := 8; i < len(mod); {
		start := i
		id := mod[i]
		size, n, err := uleb(mod, i+1)
		if err != nil {
			return nil, err
		}
		body := i + 1 + n
		end := body + int(size)
		if end > len(mod) || end < body {
			return nil, fmt.Errorf("%w: section %d runs past the end", errMalformed, id)
		}
		i = end
		if id != sectionData {
			out = append(out, mod[start:end]...)
			continue
		}
		segs, err := readSegments(mod[body:end])
		if err != nil {
			return nil, err
		}
		sec := writeSegments(merge(segs, gap))
		out = append(out, sectionData)
		out = appendULEB(out, uint32(len(sec)))
		out = append(out, sec...)
	}
	return out, nil
}

// readSegments decodes a data section of active segments of memory 0 with
// constant offsets, the only kind the Go linker writes.
func readSegments(b []byte) ([]segment, error) {
	count, i, err := uleb(b, 0)
	if err != nil {
		return nil, err
	}
	segs := make([]segment, 0, count)
	for range count {
		// flags 0 (active, memory 0), i32.const offset, end.
		if i+2 > len(b) || b[i] != 0 || b[i+1] != 0x41 {
			return nil, fmt.Errorf("%w: data segment %d is not an active segment with an i32.const offset", errMalformed, len(segs))
		}
		off, n, err := sleb(b, i+2)
		if err != nil {
			return nil, err
		}
		i += 2 + n
		if i >= len(b) || b[i] != 0x0b || off < 0 {
			return nil, fmt.Errorf("%w: data segment %d has an unsupported offset", errMalformed, len(segs))
		}
		size, n, err := uleb(b, i+1)
		if err != nil {
			return nil, err
		}
		i += 1 + n
		if i+int(size) > len(b) {
			return nil, fmt.Errorf("%w: data segment %d runs past the end", errMalformed, len(segs))
		}
		segs = append(segs, segment{offset: uint32(off), data: b[i : i+int(size)]})
		i += int(size)
	}
	if i != len(b) {
		return nil, fmt.Errorf("%w: data section has trailing bytes", errMalformed)
	}
	return segs, nil
}

// merge joins each segment to the one before it when it starts at most gap
// bytes after that one ends. Segments that are out of order or overlap are
// kept apart: later segments overwrite earlier ones, and merging would
// change which write wins.
func merge(segs []segment, gap int) []segment {
	var out []segment
	for _, s := range segs {
		if len(out) > 0 {
			last := &out[len(out)-1]
			end := uint64(last.offset) + uint64(len(last.data))
			if uint64(s.offset) >= end && uint64(s.offset)-end <= uint64(gap) {
				// Copy before growing: last.data may alias the input module.
				grown := make([]byte, 0, int(uint64(s.offset)-uint64(last.offset))+len(s.data))
				grown = append(grown, last.data...)
				grown = append(grown, make([]byte, uint64(s.offset)-end)...)
				last.data = append(grown, s.data...)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

func writeSegments(segs []segment) []byte {
	out := appendULEB(nil, uint32(len(segs)))
	for _, s := range segs {
		out = append(out, 0, 0x41)
		out = appendSLEB(out, int64(s.offset))
		out = append(out, 0x0b)
		out = appendULEB(out, uint32(len(s.data)))
		out = append(out, s.data...)
	}
	return out
}

func uleb(b []byte, i int) (v uint32, n int, err error) {
	var shift uint
	for n = 0; i+n < len(b) && n < 5; n++ {
		x := b[i+n]
		v |= uint32(x&0x7f) << shift
		shift += 7
		if x < 0x80 {
			return v, n + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: bad LEB128 number at %d", errMalformed, i)
}

func sleb(b []byte, i int) (v int64, n int, err error) {
	var shift uint
	for n = 0; i+n < len(b) && n < 5; n++ {
		x := b[i+n]
		v |= int64(x&0x7f) << shift
		shift += 7
		if x < 0x80 {
			if x&0x40 != 0 {
				v -= 1 << shift
			}
			return v, n + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: bad LEB128 number at %d", errMalformed, i)
}

func appendULEB(b []byte, v uint32) []byte {
	for {
		x := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, x)
		}
		b = append(b, x|0x80)
	}
}

func appendSLEB(b []byte, v int64) []byte {
	for {
		x := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && x&0x40 == 0) || (v == -1 && x&0x40 != 0) {
			return append(b, x)
		}
		b = append(b, x|0x80)
	}
}
