//go:build js

package wsjs_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/core"
	"parley/protocol"
	"parley/wsjs"
)

func serverURL(t *testing.T) string {
	u := os.Getenv("WSJS_TEST_URL")
	if u == "" {
		t.Skip("WSJS_TEST_URL not set; run the native TestBrowser, which starts a server")
	}
	return u
}

func dial(t *testing.T, path string) core.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsjs.Dialer{}.Dial(ctx, serverURL(t)+path)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func read(t *testing.T, c core.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return string(b)
}

func TestJSEcho(t *testing.T) {
	c := dial(t, "/ws?token=good")
	ctx := context.Background()
	const n = 50
	for i := 0; i < n; i++ {
		if err := c.Write(ctx, []byte(`{"n":`+strconv.Itoa(i)+`,"s":"héllo ✓"}`)); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	for i := 0; i < n; i++ {
		want := `{"n":` + strconv.Itoa(i) + `,"s":"héllo ✓"}`
		if got := read(t, c); got != want {
			t.Fatalf("message %d = %q, want %q", i, got, want)
		}
	}
	if err := c.Write(ctx, []byte("binary")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "\x00\x01\x02\xff" {
		t.Fatalf("binary frame = %q", got)
	}
}

func TestJSUnauthorized(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := wsjs.Dialer{}.Dial(ctx, serverURL(t)+"/ws?token=bad")
	if !errors.Is(err, core.ErrUnauthorized) {
		t.Fatalf("Dial with a bad token: err = %v, want ErrUnauthorized", err)
	}
}

func TestJSRefused(t *testing.T) {
	// Port 1 on loopback: nothing listens there.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := wsjs.Dialer{}.Dial(ctx, "ws://127.0.0.1:1/ws?token=good")
	if err == nil || errors.Is(err, core.ErrUnauthorized) {
		t.Fatalf("Dial to a closed port: err = %v", err)
	}
	if protocol.CodeOf(err) != protocol.CodeNetwork {
		t.Fatalf("code = %q, want network", protocol.CodeOf(err))
	}
}

func TestJSBadURL(t *testing.T) {
	_, err := wsjs.Dialer{}.Dial(context.Background(), "not a url")
	if protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Fatalf("Dial(bad url) err = %v", err)
	}
}

func TestJSDialContext(t *testing.T) {
	url := serverURL(t) + "/slow"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := wsjs.Dialer{}.Dial(ctx, url)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Dial ignored its context")
	}
}

func TestJSServerClose(t *testing.T) {
	c := dial(t, "/ws?token=good")
	if err := c.Write(context.Background(), []byte("close-me")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "last-1" {
		t.Fatalf("got %q", got)
	}
	if got := read(t, c); got != "last-2" {
		t.Fatalf("got %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Read(ctx)
	if err == nil || protocol.CodeOf(err) != protocol.CodeNetwork || !strings.Contains(err.Error(), "4000") {
		t.Fatalf("Read after server close: %v", err)
	}
	// The close frame itself reaches core, which reads some codes.
	var ce *core.CloseError
	if !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "bye" {
		t.Fatalf("Read after server close: %v does not carry the close frame (got %+v)", err, ce)
	}
	if err := c.Write(context.Background(), []byte("x")); err == nil {
		t.Fatal("Write after close succeeded")
	}
}

func TestJSCloseUnblocksRead(t *testing.T) {
	c := dial(t, "/ws?token=good")
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(context.Background())
		done <- err
	}()
	c.Close()
	c.Close() // safe twice
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Read returned no error after Close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
}

func TestJSReadContext(t *testing.T) {
	c := dial(t, "/ws?token=good")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read(canceled) = %v", err)
	}
	// The connection still works afterwards.
	if err := c.Write(context.Background(), []byte("again")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "again" {
		t.Fatalf("got %q", got)
	}
}
