package core

import (
	"context"
	"errors"
)

// ErrUnauthorized is returned (wrapped) by Dialer.Dial when the server
// refused the token with HTTP 401. The browser transport learns this by
// repeating the failed handshake's URL as a plain fetch: parleyd checks the
// token before it checks for an upgrade, so a bad token answers 401 there too.
var ErrUnauthorized = errors.New("core: token refused by server")

// Dialer opens a connection to the server's WebSocket endpoint. Natively it
// is built on github.com/coder/websocket; in the browser build, on the
// browser's own WebSocket (package wsjs), which keeps net/http out of the
// wasm.
type Dialer interface {
	// Dial connects to url (ws:// or wss://, token already in the query).
	// It returns when the handshake completed or failed; a refused token
	// gives an error wrapping ErrUnauthorized.
	Dial(ctx context.Context, url string) (Conn, error)
}

// CloseError is what Conn.Read returns once the server closed the
// connection with a close frame: its code and reason. The SDK reads some
// (protocol.CloseFrameTooLarge names the one request the server will
// never read, which then fails alone instead of being sent again).
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return "closed with code " + itoa(e.Code) + ": " + e.Reason
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Conn is one WebSocket connection carrying text frames. Read is called from
// one goroutine and Write from one goroutine at a time; Close may be called
// concurrently with both and makes them return.
type Conn interface {
	// Read returns the next text message. After the server closed the
	// connection with a close frame, the error wraps a *CloseError.
	Read(ctx context.Context) ([]byte, error)
	// Write sends one text message.
	Write(ctx context.Context, p []byte) error
	// Close closes the connection; it is safe to call more than once.
	Close() error
}
