package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Local is a Store in a folder of the local disk: one file per blob, at
// the key's path below the folder. A Put writes a temporary file in the
// folder's .tmp and renames it into place, so a blob appears whole.
type Local struct {
	root string
}

var _ Store = (*Local)(nil)

// OpenLocal opens (creating if needed) a Local store in dir.
func OpenLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(abs, ".tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return &Local{root: abs}, nil
}

func (l *Local) path(key string) (string, error) {
	// .tmp and .parts are the store's own folders.
	if !ValidKey(key) || strings.HasPrefix(key, ".tmp/") || strings.HasPrefix(key, ".parts/") || key == ".tmp" || key == ".parts" {
		return "", fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("files: put %q: negative size", key)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(l.root, ".tmp", hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("files: put %q: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = io.Copy(f, &ctxReader{ctx: ctx, r: &exactReader{r: r, left: size}}); err != nil {
		return fmt.Errorf("files: put %q: %w", key, err)
	}
	// The bytes are on disk before the name points to them: an upload's
	// chunk is acknowledged only once it would survive a crash.
	if err = f.Sync(); err != nil {
		return fmt.Errorf("files: put %q: %w", key, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("files: put %q: %w", key, err)
	}
	if err = os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("files: put %q: %w", key, err)
	}
	if err = os.Rename(tmp, p); err != nil {
		return fmt.Errorf("files: put %q: %w", key, err)
	}
	return nil
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("files: get %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("files: get %q: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("files: get %q: %w", key, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("files: get %q: %w", key, ErrNotFound)
	}
	if off < 0 || off > st.Size() {
		f.Close()
		return nil, fmt.Errorf("files: get %q at %d of %d: %w", key, off, st.Size(), ErrRange)
	}
	if n < 0 || n > st.Size()-off {
		n = st.Size() - off
	}
	return &sectionCloser{Reader: io.NewSectionReader(f, off, n), c: f}, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	p, err := l.path(key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("files: stat %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return Info{}, fmt.Errorf("files: stat %q: %w", key, err)
	}
	if st.IsDir() {
		return Info{}, fmt.Errorf("files: stat %q: %w", key, ErrNotFound)
	}
	return Info{Size: st.Size()}, nil
}

// Delete implements Store. Folders left empty stay; they cost nothing.
func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: delete %q: %w", key, err)
	}
	return nil
}

type sectionCloser struct {
	io.Reader
	c io.Closer
}

func (s *sectionCloser) Close() error { return s.c.Close() }

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
