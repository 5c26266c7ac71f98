package server

import (
	"context"
	"time"

	"github.com/gorilla/websocket"

	"parley/protocol"
	"parley/server/bus"
)

// A connection's token can be swapped for a fresh one of the same user
// (protocol.ReqRefreshToken), so that the SDK's setToken keeps its
// connection past the old token's expiry.

// kickInfo is what a bus.Kick is matched against; the token part changes
// on a refresh.
func (c *conn) kickInfo() bus.Conn {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	return bus.Conn{TokenID: c.tokenID, Generation: c.generation, Platform: c.platform, Started: c.started}
}

// armExpiry (re)starts the timer that closes the connection when its
// token expires.
func (c *conn) armExpiry() {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.expiry != nil {
		c.expiry.Stop()
	}
	// A token that expired between the handshake and now closes the
	// connection at once, rather than never.
	d := max(time.Until(time.UnixMilli(c.expiresAt)), 0)
	c.expiry = time.AfterFunc(d, func() {
		c.tokMu.Lock()
		// A refresh may have raced the timer.
		live := time.Now().UnixMilli() < c.expiresAt
		c.tokMu.Unlock()
		if live {
			return
		}
		c.send(c.s.kickedFrame("token_expired"))
		c.stop(websocket.ClosePolicyViolation, "token expired", true)
	})
}

func (c *conn) disarmExpiry() {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.expiry != nil {
		c.expiry.Stop()
	}
}

// refreshToken answers protocol.ReqRefreshToken: the new token must be
// valid (signature, expiry, not revoked) and the connection's user's.
func (c *conn) refreshToken(ctx context.Context, req *protocol.RefreshTokenReq) (*protocol.RefreshTokenResp, error) {
	if req.Token == "" {
		return nil, protocol.Errorf(protocol.CodeInvalidArgument, "token is required")
	}
	cl, err := c.s.checkToken(ctx, req.Token)
	if err != nil {
		return nil, err
	}
	if cl.UserID != c.userID {
		return nil, protocol.Errorf(protocol.CodePermissionDenied, "the token is another user's")
	}
	c.tokMu.Lock()
	c.tokenID, c.generation, c.expiresAt = cl.ID, cl.Generation, cl.ExpiresAt
	c.tokMu.Unlock()
	c.armExpiry()
	return &protocol.RefreshTokenResp{ExpiresAt: cl.ExpiresAt}, nil
}

func (c *conn) handleRefresh(f *protocol.Frame, start time.Time) {
	var req protocol.RefreshTokenReq
	if err := protocol.DecodeData(f.Data, &req); err != nil {
		c.replyError(f.ID, f.Type, start, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	resp, err := c.refreshToken(ctx, &req)
	c.reply(f.ID, f.Type, start, resp, err)
}
