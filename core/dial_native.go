//go:build !js

package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// NativeDialer dials with github.com/coder/websocket. It is the default
// Dialer outside the browser.
type NativeDialer struct {
	// HTTPClient is used for the handshake; nil means http.DefaultClient.
	HTTPClient *http.Client
	// ReadLimit bounds one received message; 0 means 32 MiB (a pull
	// response of many messages is larger than one frame of the protocol).
	ReadLimit int64
}

var _ Dialer = NativeDialer{}

func defaultDialer() Dialer { return NativeDialer{} }

// Dial implements Dialer.
func (d NativeDialer) Dial(ctx context.Context, url string) (Conn, error) {
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: d.HTTPClient})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("dial: %w", ErrUnauthorized)
		}
		// net/http's errors quote the URL, and with it the token: keep
		// that out of error messages and logs.
		if i := strings.IndexByte(url, '?'); i >= 0 {
			if msg := err.Error(); strings.Contains(msg, url[i:]) {
				return nil, &redactedError{msg: "dial: " + strings.ReplaceAll(msg, url[i:], "?token=REDACTED"), err: err}
			}
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	limit := d.ReadLimit
	if limit <= 0 {
		limit = 32 << 20
	}
	c.SetReadLimit(limit)
	return &nativeConn{c: c}, nil
}

type nativeConn struct{ c *websocket.Conn }

func (n *nativeConn) Read(ctx context.Context) ([]byte, error) {
	for {
		typ, p, err := n.c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return nil, fmt.Errorf("read: %w", &CloseError{Code: int(ce.Code), Reason: ce.Reason})
			}
			return nil, err
		}
		if typ == websocket.MessageText {
			return p, nil
		}
	}
}

func (n *nativeConn) Write(ctx context.Context, p []byte) error {
	return n.c.Write(ctx, websocket.MessageText, p)
}

func (n *nativeConn) Close() error {
	err := n.c.CloseNow()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// redactedError shows a message with the token removed and still unwraps
// to the original error for errors.Is.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
