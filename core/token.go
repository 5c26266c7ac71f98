package core

import (
	"context"
	"time"

	"parley/protocol"
)

// Token refresh: the SDK learns a token's expiry from the token itself
// (protocol.TokenInfo), announces TokenWillExpire Config.TokenWillExpireBefore
// ahead of it, and SetToken swaps in the fresh token the app got from its
// backend: on the live connection (auth.refreshToken) and for every later
// reconnect, without touching local data.

// TokenWillExpire: the token expires at ExpiresAt (Unix ms), within
// Config.TokenWillExpireBefore; the app gets a fresh one and calls
// SetToken. Announced once per token.
type TokenWillExpire struct {
	ExpiresAt int64 `json:"expiresAt"`
}

// EventName implements Event.
func (TokenWillExpire) EventName() string { return "tokenWillExpire" }

// EventPayload implements Event: {expiresAt}.
func (e TokenWillExpire) EventPayload() any { return e }

// dialURL is the WebSocket URL with token.
func (s *session) dialURL(token string) string {
	return s.url + "?" + protocol.WSTokenParam + "=" + queryEscape(token)
}

// refreshIfSwapped tells a new connection the session's token when SetToken
// swapped it while the connection was being opened with the one before: no
// live wire took the new one then, and the server would end the
// connection at the old token's expiry.
func (s *session) refreshIfSwapped(w *wire, dialed string) {
	tok := s.currentToken()
	if tok == dialed {
		return
	}
	var resp protocol.RefreshTokenResp
	if err := w.call(w.ctx, protocol.ReqRefreshToken, protocol.RefreshTokenReq{Token: tok}, &resp); err != nil {
		// Refused (expired, revoked): the connection keeps the token it
		// was opened with, and ends with it.
		s.cfg.Logger.Info("token swapped while connecting: refresh failed", "err", err)
	}
}

// currentToken is the session's token, which also authorizes its HTTP
// requests (uploads).
func (s *session) currentToken() string {
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	return s.token
}

// setToken makes token the session's and schedules its TokenWillExpire.
// A token whose expiry cannot be read (not a Parley token) gets none.
func (s *session) setToken(token string) {
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	s.token = token
	if s.willExpire != nil {
		s.willExpire.Stop()
		s.willExpire = nil
	}
	_, exp, ok := protocol.TokenInfo(token)
	if !ok {
		return
	}
	d := time.UnixMilli(exp).Add(-s.cfg.TokenWillExpireBefore).Sub(s.cfg.Now())
	s.willExpire = time.AfterFunc(max(d, 0), func() {
		s.tokMu.Lock()
		current := s.token == token
		s.tokMu.Unlock()
		if current && s.ctx.Err() == nil {
			s.c.events.emit(TokenWillExpire{ExpiresAt: exp})
		}
	})
}

// stopToken stops the TokenWillExpire timer (logout).
func (s *session) stopToken() {
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	if s.willExpire != nil {
		s.willExpire.Stop()
		s.willExpire = nil
	}
}

// SetToken replaces the session's token with a fresh one of the same
// user, without a logout: local data, the outbox and the connection stay.
// A live connection is told first; when the server refuses the token
// (expired, revoked, another user's) the old one stays and the error is
// returned. Without a connection the token is kept for the next one. A
// session stopped by an expired token (ConnTokenExpired) connects again
// with the new one.
func (c *Client) SetToken(ctx context.Context, token string) error {
	if token == "" {
		return errInvalid("token is required")
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	if uid, _, ok := protocol.TokenInfo(token); ok && uid != s.userID {
		return errInvalid("the token is another user's")
	}
	if w := s.liveWire(); w != nil {
		ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
		var resp protocol.RefreshTokenResp
		err := w.call(ctx, protocol.ReqRefreshToken, protocol.RefreshTokenReq{Token: token}, &resp)
		switch code := protocol.CodeOf(err); {
		case err == nil:
		case code == protocol.CodeNetwork || code == protocol.CodeTimeout:
			// The connection went away meanwhile: the next one uses the
			// new token, and the server checks it then.
		default:
			return withCode(err)
		}
	}
	s.setToken(token)
	s.restartAfterExpiry()
	return nil
}

// restartAfterExpiry starts connecting again if the session had stopped
// for an expired or refused token.
func (s *session) restartAfterExpiry() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil || s.state != ConnTokenExpired || s.running {
		return
	}
	s.terminal = nil
	s.running = true
	s.wg.Add(1) // under mu, before any logout's cancel (see Logout)
	go func() {
		defer s.wg.Done()
		s.connectLoop()
	}()
}
