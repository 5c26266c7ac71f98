// Package filestest is the conformance suite every files.Store runs:
// Local on a temporary folder, S3 against a real S3-compatible server.
//
//	func TestConformance(t *testing.T) {
//		filestest.Run(t, func(t *testing.T) files.Store { return open(t) })
//	}
package filestest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server/files"
)

// Run runs the suite. open returns a store whose keys no other test uses
// (a fresh folder, a fresh prefix).
func Run(t *testing.T, open func(t *testing.T) files.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s files.Store)
	}{
		{"PutGet", testPutGet},
		{"Ranges", testRanges},
		{"Replace", testReplace},
		{"Missing", testMissing},
		{"Short", testShort},
		{"Keys", testKeys},
		{"Large", testLarge},
		{"Concurrent", testConcurrent},
		{"Canceled", testCanceled},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func read(t *testing.T, s files.Store, key string, off, n int64) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key, off, n)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func testPutGet(t *testing.T, s files.Store) {
	ctx := context.Background()
	data := random(1000)
	require.NoError(t, s.Put(ctx, "a/b/c.bin", bytes.NewReader(data), int64(len(data))))
	assert.Equal(t, data, read(t, s, "a/b/c.bin", 0, -1))
	info, err := s.Stat(ctx, "a/b/c.bin")
	require.NoError(t, err)
	assert.Equal(t, int64(1000), info.Size)

	require.NoError(t, s.Put(ctx, "empty", bytes.NewReader(nil), 0))
	assert.Empty(t, read(t, s, "empty", 0, -1))
	info, err = s.Stat(ctx, "empty")
	require.NoError(t, err)
	assert.Zero(t, info.Size)

	require.NoError(t, s.Delete(ctx, "a/b/c.bin"))
	_, err = s.Stat(ctx, "a/b/c.bin")
	assert.ErrorIs(t, err, files.ErrNotFound)
	require.NoError(t, s.Delete(ctx, "a/b/c.bin"), "deleting a missing blob is fine")
}

func testRanges(t *testing.T, s files.Store) {
	ctx := context.Background()
	data := random(4096)
	require.NoError(t, s.Put(ctx, "r", bytes.NewReader(data), int64(len(data))))
	for _, tc := range []struct{ off, n, from, to int64 }{
		{0, 10, 0, 10},
		{100, 1, 100, 101},
		{4000, -1, 4000, 4096},
		{4000, 500, 4000, 4096},
		{4095, 1, 4095, 4096},
		{4096, -1, 4096, 4096},
		{4096, 10, 4096, 4096},
		{0, 0, 0, 0},
	} {
		assert.Equal(t, data[tc.from:tc.to], read(t, s, "r", tc.off, tc.n), "off %d n %d", tc.off, tc.n)
	}
	_, err := s.Get(ctx, "r", 4097, -1)
	assert.ErrorIs(t, err, files.ErrRange)
	_, err = s.Get(ctx, "r", -1, -1)
	assert.ErrorIs(t, err, files.ErrRange)
}

func testReplace(t *testing.T, s files.Store) {
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, "k", strings.NewReader("first, longer"), 13))
	require.NoError(t, s.Put(ctx, "k", strings.NewReader("second"), 6))
	assert.Equal(t, "second", string(read(t, s, "k", 0, -1)))
}

func testMissing(t *testing.T, s files.Store) {
	ctx := context.Background()
	_, err := s.Get(ctx, "nothing/here", 0, -1)
	assert.ErrorIs(t, err, files.ErrNotFound)
	_, err = s.Stat(ctx, "nothing")
	assert.ErrorIs(t, err, files.ErrNotFound)
	// A key that is a prefix of others is not a blob.
	require.NoError(t, s.Put(ctx, "dir/file", strings.NewReader("x"), 1))
	_, err = s.Stat(ctx, "dir")
	assert.ErrorIs(t, err, files.ErrNotFound)
	_, err = s.Get(ctx, "dir", 0, -1)
	assert.ErrorIs(t, err, files.ErrNotFound)
}

// failingReader gives some bytes, then an error.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	f.n -= len(p)
	return len(p), nil
}

func testShort(t *testing.T, s files.Store) {
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, "keep", strings.NewReader("old"), 3))

	err := s.Put(ctx, "keep", strings.NewReader("ab"), 3)
	assert.ErrorIs(t, err, files.ErrShort, "fewer bytes than size")
	err = s.Put(ctx, "keep", strings.NewReader("abcd"), 3)
	assert.ErrorIs(t, err, files.ErrShort, "more bytes than size")
	err = s.Put(ctx, "keep", &failingReader{n: 2}, 3)
	assert.Error(t, err, "a failing reader")
	assert.Equal(t, "old", string(read(t, s, "keep", 0, -1)), "a failed put leaves the blob as it was")

	err = s.Put(ctx, "never", strings.NewReader("ab"), 3)
	assert.ErrorIs(t, err, files.ErrShort)
	_, err = s.Stat(ctx, "never")
	assert.ErrorIs(t, err, files.ErrNotFound, "a failed put stores nothing")
}

func testKeys(t *testing.T, s files.Store) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "a//b", "../up", "a/../b", "a/./b", "sp ace", "a\\b", "é", "a/", strings.Repeat("k", files.MaxKeyLen+1)} {
		assert.False(t, files.ValidKey(key), key)
		assert.ErrorIs(t, s.Put(ctx, key, strings.NewReader("x"), 1), files.ErrInvalidKey, key)
		_, err := s.Get(ctx, key, 0, -1)
		assert.ErrorIs(t, err, files.ErrInvalidKey, key)
		_, err = s.Stat(ctx, key)
		assert.ErrorIs(t, err, files.ErrInvalidKey, key)
		assert.ErrorIs(t, s.Delete(ctx, key), files.ErrInvalidKey, key)
	}
	for _, key := range []string{"files/01HZX", "uploads/u_1/0", "A-b_c.d"} {
		assert.True(t, files.ValidKey(key), key)
		require.NoError(t, s.Put(ctx, key, strings.NewReader(key), int64(len(key))))
		assert.Equal(t, key, string(read(t, s, key, 0, -1)))
	}
}

// testLarge streams a blob larger than one S3 part through Put and Get.
func testLarge(t *testing.T, s files.Store) {
	ctx := context.Background()
	const size = 20<<20 + 123
	data := random(size)
	require.NoError(t, s.Put(ctx, "large", bytes.NewReader(data), size))
	got := read(t, s, "large", 0, -1)
	require.Equal(t, size, len(got))
	assert.True(t, bytes.Equal(data, got), "byte for byte")
	assert.Equal(t, data[size-1000:], read(t, s, "large", size-1000, -1))
	assert.Equal(t, data[9<<20:9<<20+5], read(t, s, "large", 9<<20, 5))
}

func testConcurrent(t *testing.T, s files.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			key := fmt.Sprintf("c/%d", i)
			data := bytes.Repeat([]byte{byte(i)}, 10000+i)
			if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
				errs <- err
				return
			}
			rc, err := s.Get(ctx, key, 0, -1)
			if err != nil {
				errs <- err
				return
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err == nil && !bytes.Equal(got, data) {
				err = fmt.Errorf("%s: got %d bytes back", key, len(got))
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// blockingReader gives a few bytes and then waits for ctx, as a client
// that stops sending in the middle of a chunk.
type blockingReader struct {
	ctx  context.Context
	gave bool
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if !b.gave {
		b.gave = true
		return copy(p, "abc"), nil
	}
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func testCanceled(t *testing.T, s files.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Put(ctx, "canceled", &blockingReader{ctx: ctx}, 100) }()
	cancel()
	assert.Error(t, <-done)
	_, err := s.Stat(context.Background(), "canceled")
	assert.ErrorIs(t, err, files.ErrNotFound, "a canceled put stores nothing")
}

// RunAssembler runs the tests of files.Assembler, for the stores that
// implement it (Run does not).
func RunAssembler(t *testing.T, open func(t *testing.T) files.Assembler) {
	t.Run("Assemble", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		data := random(10_000)
		// Parts in any order, one twice, two at once.
		var wg sync.WaitGroup
		for _, off := range []int{4000, 8000} {
			wg.Go(func() {
				end := min(off+4000, len(data))
				assert.NoError(t, s.PutPart(ctx, "f/a", int64(off), bytes.NewReader(data[off:end]), int64(end-off)))
			})
		}
		wg.Wait()
		require.NoError(t, s.PutPart(ctx, "f/a", 0, bytes.NewReader(data[:4000]), 4000))
		require.NoError(t, s.PutPart(ctx, "f/a", 0, bytes.NewReader(data[:4000]), 4000))
		_, err := s.Stat(ctx, "f/a")
		assert.ErrorIs(t, err, files.ErrNotFound, "invisible until finished")
		head := readPart(t, s, "f/a", 0, 16)
		assert.Equal(t, data[:16], head)

		assert.ErrorIs(t, s.PutPart(ctx, "f/a", 0, strings.NewReader("ab"), 3), files.ErrShort)
		require.NoError(t, s.PutPart(ctx, "f/a", 0, bytes.NewReader(data[:4000]), 4000), "a failed part is written again")

		require.NoError(t, s.Finish(ctx, "f/a", int64(len(data))))
		assert.Equal(t, data, read(t, s, "f/a", 0, -1))
		require.NoError(t, s.Finish(ctx, "f/a", int64(len(data))), "finishing again")
		_, err = s.GetPart(ctx, "f/a", 0, 1)
		assert.ErrorIs(t, err, files.ErrNotFound, "no parts left")

		require.NoError(t, s.Finish(ctx, "f/empty", 0))
		assert.Empty(t, read(t, s, "f/empty", 0, -1))
		assert.ErrorIs(t, s.Finish(ctx, "f/none", 5), files.ErrNotFound)

		require.NoError(t, s.PutPart(ctx, "f/gone", 0, strings.NewReader("xyz"), 3))
		require.NoError(t, s.DiscardParts(ctx, "f/gone"))
		require.NoError(t, s.DiscardParts(ctx, "f/gone"))
		_, err = s.GetPart(ctx, "f/gone", 0, 1)
		assert.ErrorIs(t, err, files.ErrNotFound)
		assert.ErrorIs(t, s.PutPart(ctx, "../x", 0, strings.NewReader("x"), 1), files.ErrInvalidKey)
	})
}

func readPart(t *testing.T, s files.Assembler, key string, off, n int64) []byte {
	t.Helper()
	rc, err := s.GetPart(context.Background(), key, off, n)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}
