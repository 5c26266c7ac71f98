// Package files keeps uploaded files' bytes: a small blob-store
// interface, Store, with two implementations, Local (a folder, the
// default under -data) and S3 (any S3-compatible object store, so that
// every node of a deployment serves every file). Both run the conformance
// suite in package filestest.
//
// A Store knows keys and bytes only: who owns a file, what it is and who
// may read it is the server's (server/store's uploads, signed URLs).
package files

import (
	"context"
	"errors"
	"io"
	"strings"
)

// Sentinel errors, part of the contract checked by filestest. Callers
// test them with errors.Is; implementations wrap them.
var (
	// ErrNotFound: no blob under the key.
	ErrNotFound = errors.New("files: not found")
	// ErrInvalidKey: the key is not one ValidKey accepts.
	ErrInvalidKey = errors.New("files: invalid key")
	// ErrShort: Put's reader ended before size bytes (or went past them);
	// nothing was stored.
	ErrShort = errors.New("files: reader does not hold size bytes")
	// ErrRange: Get's offset is past the end of the blob.
	ErrRange = errors.New("files: offset past the end")
)

// Info describes a stored blob.
type Info struct {
	Size int64
}

// Store keeps blobs by key. Every method is safe for concurrent use and
// streams: no implementation holds a whole blob in memory.
type Store interface {
	// Put stores exactly size bytes read from r under key, replacing any
	// blob there. The blob appears whole or not at all: a reader that
	// fails, or holds more or fewer than size bytes (ErrShort), leaves
	// the key as it was.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens n bytes of the blob from offset off (n < 0: to its end;
	// fewer when the blob ends first). ErrNotFound when there is none;
	// ErrRange when off is past its end (off == size gives no bytes).
	// The caller closes the reader.
	Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	// Stat describes the blob, or ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the blob; a missing one is not an error.
	Delete(ctx context.Context, key string) error
}

// MaxKeyLen bounds a key.
const MaxKeyLen = 512

// ValidKey reports whether key is one every Store takes: slash-separated
// segments of ASCII letters, digits, '-', '_' and '.', none empty, none
// "." or "..", at most MaxKeyLen bytes. Keys are made by the server, never
// taken from a client as they are.
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLen {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			default:
				return false
			}
		}
	}
	return true
}

// exactReader reads exactly size bytes from r and fails with ErrShort when
// r holds fewer or more.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		// Exactly size read: r must be at its end.
		var one [1]byte
		n, err := e.r.Read(one[:])
		if n > 0 {
			return 0, ErrShort
		}
		if err == nil {
			// A reader may answer 0, nil; ask again.
			n, err = io.ReadFull(e.r, one[:])
			if n > 0 {
				return 0, ErrShort
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0, io.EOF
		}
		return 0, err
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, ErrShort
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}
