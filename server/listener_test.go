package server_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
)

// shortHTTPTimeouts makes every HTTP timeout 300 ms.
func shortHTTPTimeouts(c *server.Config) {
	c.HTTPReadTimeout = 300 * time.Millisecond
	c.HTTPWriteTimeout = 300 * time.Millisecond
	c.HTTPIdleTimeout = 300 * time.Millisecond
}

// rawConn opens a TCP connection to the test server and gives up on it
// after waitFor.
func rawConn(t *testing.T, e *env) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(waitFor))
	return c
}

// readEnd reads until the server closes the connection and reports
// whether it did (rather than the deadline passing).
func readEnd(c net.Conn) bool {
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// A keep-alive connection with no next request is closed.
func TestIdleKeepAliveConnectionIsClosed(t *testing.T) {
	e := newEnv(t, shortHTTPTimeouts)
	c := rawConn(t, e)
	_, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: parley\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, readEnd(c), "the idle connection stayed open")
}

// A body trickled in slowly is cut off instead of holding the connection.
func TestSlowBodyIsCutOff(t *testing.T) {
	e := newEnv(t, shortHTTPTimeouts)
	c := rawConn(t, e)
	const bodyLen = 1000
	_, err := io.WriteString(c, "POST /api/v1/auth/login HTTP/1.1\r\nHost: parley\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	require.NoError(t, err)
	var sent atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		// One byte every 20 ms: 20 s for the whole body.
		for range bodyLen - 1 {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
			sent.Add(1)
		}
	}()
	assert.True(t, readEnd(c), "the server waited for the whole body")
	assert.Less(t, sent.Load(), int64(bodyLen-1), "the whole body went in")
}

// A client that does not read its answer is cut off after the write
// timeout.
func TestSlowReaderOfStaticFileIsCutOff(t *testing.T) {
	sdk := t.TempDir()
	big := make([]byte, 8<<20)
	for i := range big { // incompressible enough, and not served compressed anyway
		big[i] = byte(i * 7919 >> 3)
	}
	require.NoError(t, os.WriteFile(filepath.Join(sdk, "blob.bin"), big, 0o644))
	e := newEnvOpts(t, envOpts{smallSendBuffers: true}, shortHTTPTimeouts, func(c *server.Config) { c.SDKDir = sdk })
	c := rawConn(t, e)
	c.(*net.TCPConn).SetReadBuffer(4096)
	_, err := io.WriteString(c, "GET /sdk/blob.bin HTTP/1.1\r\nHost: parley\r\n\r\n")
	require.NoError(t, err)
	// Not reading for a while lets the server's writes block.
	time.Sleep(time.Second)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Less(t, n, int64(len(big)), "a reader that stalled got the whole file")
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server kept writing: %v", err)
}

// WebSocket connections are not bound by the HTTP timeouts: one outlives
// all of them several times over and still works both ways.
func TestWebSocketOutlivesHTTPTimeouts(t *testing.T) {
	e := newEnv(t, shortHTTPTimeouts)
	me, tok := e.register("longlived")
	c := e.dial(tok)
	other := e.dial(tok)
	c.ping()
	time.Sleep(time.Second) // more than three times every HTTP timeout
	c.ping()
	c.sendText("late", me, "", "still here")
	other.push(protocol.PushMessage)
	time.Sleep(time.Second)
	other.ping()
}

// servedConn opens a connection and makes one request on it, again until
// it is served (the server notices closed connections asynchronously);
// the connection is kept open.
func servedConn(t *testing.T, e *env) net.Conn {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		c := rawConn(t, e)
		if status, _ := getOn(c); status == http.StatusOK {
			return c
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no connection was served")
	return nil
}

// getOn sends GET /healthz on c and returns the status (0: no answer).
func getOn(c net.Conn) (int, []byte) {
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: parley\r\n\r\n"); err != nil {
		return 0, nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// One client IP holds at most MaxConnsPerIP connections, WebSockets
// included; closing one makes room.
func TestMaxConnsPerIP(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxConnsPerIP = 2 })
	_, tok := e.register("nat")
	// The test's own keep-alive connections must not take the slots.
	http.DefaultClient.CloseIdleConnections()
	ws := servedWS(t, e, tok)
	c2 := servedConn(t, e)

	status, body := getOn(rawConn(t, e))
	assert.NotEqual(t, http.StatusOK, status, "a third connection was served")
	if status != 0 { // else the refusal was lost to a reset, also a refusal
		wantHTTPError(t, status, body, http.StatusTooManyRequests, protocol.CodeRateLimited)
	}

	require.NoError(t, ws.ws.Close())
	servedConn(t, e)
	c2.Close()
	servedConn(t, e)
}

// servedWS dials until the server accepts a WebSocket.
func servedWS(t *testing.T, e *env, tok string) *client {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		c, resp, err := e.tryDial(tok, nil)
		if err == nil {
			return c
		}
		if resp != nil {
			resp.Body.Close()
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no WebSocket was accepted")
	return nil
}
