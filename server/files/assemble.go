package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Assembler is a Store that builds a blob from parts written where they
// belong, so that finishing it copies nothing: an upload's chunks go
// straight into place instead of being joined at the end. A blob being
// assembled is not visible to Get or Stat until Finish. Local implements
// it; S3 does not (the server then keeps chunks as blobs of their own and
// joins them).
type Assembler interface {
	Store
	// PutPart writes exactly n bytes read from r at offset off of the blob
	// being assembled under key, made on first use. It is durable when it
	// returns; writing the same part again is harmless. Parts written at
	// once to different offsets do not disturb each other.
	PutPart(ctx context.Context, key string, off int64, r io.Reader, n int64) error
	// GetPart opens n bytes at off of the blob being assembled; ErrNotFound
	// when none is.
	GetPart(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	// Finish makes the blob being assembled under key, cut to size bytes,
	// the blob key. Finishing one already finished (no parts left, the
	// blob there) is not an error.
	Finish(ctx context.Context, key string, size int64) error
	// DiscardParts drops the blob being assembled under key; a missing one
	// is not an error.
	DiscardParts(ctx context.Context, key string) error
}

var _ Assembler = (*Local)(nil)

// partsPath is where the blob being assembled under key lives: one flat
// file in .parts, named by the key with its slashes escaped ('%' is in no
// valid key, so two keys never share a file).
func (l *Local) partsPath(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return filepath.Join(l.root, ".parts", strings.ReplaceAll(key, "/", "%")), nil
}

// PutPart implements Assembler.
func (l *Local) PutPart(ctx context.Context, key string, off int64, r io.Reader, n int64) (err error) {
	p, err := l.partsPath(key)
	if err != nil {
		return err
	}
	if off < 0 || n < 0 {
		return fmt.Errorf("files: put part %q: negative offset or size", key)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("files: put part %q: %w", key, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("files: put part %q: %w", key, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("files: put part %q: %w", key, cerr)
		}
	}()
	if _, err := io.Copy(io.NewOffsetWriter(f, off), &ctxReader{ctx: ctx, r: &exactReader{r: r, left: n}}); err != nil {
		// The bytes written so far stay, but the part is not
		// acknowledged: it is written again.
		return fmt.Errorf("files: put part %q: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("files: put part %q: %w", key, err)
	}
	return nil
}

// GetPart implements Assembler.
func (l *Local) GetPart(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	p, err := l.partsPath(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("files: get part %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("files: get part %q: %w", key, err)
	}
	if off < 0 {
		f.Close()
		return nil, fmt.Errorf("files: get part %q: %w", key, ErrRange)
	}
	if n < 0 {
		n = 1 << 62
	}
	return &sectionCloser{Reader: io.NewSectionReader(f, off, n), c: f}, nil
}

// Finish implements Assembler.
func (l *Local) Finish(ctx context.Context, key string, size int64) error {
	p, err := l.partsPath(key)
	if err != nil {
		return err
	}
	dst, err := l.path(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if size == 0 {
			// Nothing was ever written: an empty blob.
			return l.Put(ctx, key, strings.NewReader(""), 0)
		}
		if st, serr := os.Stat(dst); serr == nil && st.Size() == size {
			return nil // finished before
		}
		return fmt.Errorf("files: finish %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("files: finish %q: %w", key, err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o700)
	}
	if err == nil {
		err = os.Rename(p, dst)
	}
	if err != nil {
		return fmt.Errorf("files: finish %q: %w", key, err)
	}
	return nil
}

// DiscardParts implements Assembler.
func (l *Local) DiscardParts(ctx context.Context, key string) error {
	p, err := l.partsPath(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: discard %q: %w", key, err)
	}
	return nil
}
