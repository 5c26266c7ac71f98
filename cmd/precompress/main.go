// Command precompress writes, beside each file named on its command line,
// a gzip copy (name.gz, best compression) and a brotli copy (name.br,
// quality 11), as parleyd would make them at start. ./build.sh runs it on
// the SDK's files, so that parleyd serves them compressed from its first
// request on without compressing anything (it checks each copy against its
// file and ignores one that does not match).
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/andybalholm/brotli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: precompress FILE...")
		os.Exit(2)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(os.Args)-1)
	for i, name := range os.Args[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = precompress(name)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(1)
	}
}

func precompress(name string) error {
	raw, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	gz, err := compress(raw, func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestCompression) })
	if err != nil {
		return fmt.Errorf("%s: gzip: %w", name, err)
	}
	br, err := compress(raw, func(w io.Writer) (io.WriteCloser, error) {
		return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: 11, LGWin: 22}), nil
	})
	if err != nil {
		return fmt.Errorf("%s: brotli: %w", name, err)
	}
	if err := os.WriteFile(name+".gz", gz, 0o644); err != nil {
		return err
	}
	return os.WriteFile(name+".br", br, 0o644)
}

func compress(raw []byte, newW func(io.Writer) (io.WriteCloser, error)) ([]byte, error) {
	var buf bytes.Buffer
	w, err := newW(&buf)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(raw); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
