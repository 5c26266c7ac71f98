package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/protocol"
	"parley/server/bus"
	"parley/server/httpapi"
	"parley/server/store"
)

// mintToken signs a token for the user's current token generation.
func (s *Server) mintToken(u *store.User, platform string) (token string, expiresAt int64) {
	now := s.now()
	exp := now.Add(s.cfg.TokenTTL).UnixMilli()
	return s.tokens.sign(claims{
		UserID:     u.UserID,
		Platform:   platform,
		ID:         randomID("t", 10),
		Generation: u.TokenGeneration,
		IssuedAt:   now.UnixMilli(),
		ExpiresAt:  exp,
	}), exp
}

// authenticate checks the request's user token (Authorization: Bearer, or
// the token query parameter): signature, expiry, revocation, and that the
// user still exists with the token's generation.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (*claims, error) {
	tok := bearer(r)
	if tok == "" {
		tok = r.URL.Query().Get(protocol.WSTokenParam)
	}
	if tok == "" {
		return nil, protocol.Errorf(protocol.CodeUnauthenticated, "token required")
	}
	return s.checkToken(ctx, tok)
}

// checkToken checks a user token: signature, expiry, revocation, and that
// the user still exists with the token's generation.
func (s *Server) checkToken(ctx context.Context, tok string) (*claims, error) {
	cl, err := s.tokens.parse(tok, s.now())
	if err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, cl.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, protocol.Errorf(protocol.CodeUnauthenticated, "unknown user")
	}
	if err != nil {
		return nil, err
	}
	if u.TokenGeneration != cl.Generation {
		return nil, protocol.Errorf(protocol.CodeTokenExpired, "token revoked")
	}
	if u.Disabled {
		return nil, errDisabled
	}
	revoked, err := s.store.TokenRevoked(ctx, cl.ID)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, protocol.Errorf(protocol.CodeTokenExpired, "token revoked")
	}
	return cl, nil
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	var req protocol.RegisterReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	username, nickname, err := httpapi.Register(&req)
	if err != nil {
		s.writeError(w, err)
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), s.cfg.BcryptCost)
	if err != nil {
		s.writeError(w, err)
		return
	}
	u := &store.User{
		UserID:       randomID("u", 10),
		Username:     username,
		PasswordHash: hash,
		Nickname:     nickname,
		CreateTime:   s.nowMs(),
	}
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		if errors.Is(err, store.ErrExists) {
			err = protocol.Errorf(protocol.CodeAlreadyExists, "username %q is taken", username)
		}
		s.writeError(w, err)
		return
	}
	tok, exp := s.mintToken(u, protocol.PlatformWeb)
	s.log.Info("registered", "user", u.UserID, "username", username)
	writeJSON(w, http.StatusCreated, protocol.AuthResp{UserID: u.UserID, Token: tok, ExpiresAt: exp})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req protocol.LoginReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	platform, err := httpapi.Login(&req)
	if err != nil {
		s.writeError(w, err)
		return
	}
	name, ip := strings.ToLower(req.Username), clientIP(r.RemoteAddr)
	if wait := s.logins.wait(name, ip, s.now()); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.writeError(w, protocol.Errorf(protocol.CodeRateLimited, "too many failed logins for this account; try again in %d s", secs))
		return
	}
	wrong := protocol.Errorf(protocol.CodeUnauthenticated, "wrong username or password")
	if !httpapi.ValidUsername(name) {
		// No such account can exist (nor be guarded: any bytes would do).
		bcrypt.CompareHashAndPassword(s.dummyHash, []byte(req.Password))
		s.writeError(w, wrong)
		return
	}
	u, err := s.store.UserByUsername(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		bcrypt.CompareHashAndPassword(s.dummyHash, []byte(req.Password))
		s.logins.failed(name, s.now())
		s.writeError(w, wrong)
		return
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	if len(u.PasswordHash) == 0 || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(req.Password)) != nil {
		s.logins.failed(name, s.now())
		s.writeError(w, wrong)
		return
	}
	if u.Disabled {
		s.writeError(w, errDisabled)
		return
	}
	s.logins.succeeded(name, ip, s.now())
	tok, exp := s.mintToken(u, platform)
	writeJSON(w, http.StatusOK, protocol.AuthResp{UserID: u.UserID, Token: tok, ExpiresAt: exp})
}

// handleLogout revokes the calling token and closes its connections.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	cl, err := s.authenticate(r.Context(), r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if err := s.store.RevokeToken(r.Context(), cl.ID, cl.UserID, cl.ExpiresAt); err != nil {
		s.writeError(w, err)
		return
	}
	s.publish(r.Context(), bus.Event{
		UserIDs: []string{cl.UserID}, Type: protocol.PushKicked, Frame: s.kickedFrame("token_revoked"),
		Kick: &bus.Kick{TokenID: cl.ID},
	})
	w.WriteHeader(http.StatusNoContent)
}

// handleRevokeAll invalidates every token of the caller (this one included)
// and closes all their connections.
func (s *Server) handleRevokeAll(w http.ResponseWriter, r *http.Request) {
	cl, err := s.authenticate(r.Context(), r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	gen, err := s.store.BumpTokenGeneration(r.Context(), cl.UserID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	s.publish(r.Context(), bus.Event{
		UserIDs: []string{cl.UserID}, Type: protocol.PushKicked, Frame: s.kickedFrame("token_revoked"),
		Kick: &bus.Kick{BelowGeneration: gen},
	})
	w.WriteHeader(http.StatusNoContent)
}

// handleRefresh mints a fresh token for the caller's user and platform,
// for an app without a backend of its own (the demo) to pass to the
// SDK's setToken on tokenWillExpire. The calling token stays valid until
// its own expiry: revoking it would close the connection that still
// carries it until setToken swaps the new one in.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	cl, err := s.authenticate(r.Context(), r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	u, err := s.store.User(r.Context(), cl.UserID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	tok, exp := s.mintToken(u, cl.Platform)
	writeJSON(w, http.StatusOK, protocol.AuthResp{UserID: u.UserID, Token: tok, ExpiresAt: exp})
}

func (s *Server) handleAdminCreateUser(w http.ResponseWriter, r *http.Request) {
	var req protocol.AdminCreateUserReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	nickname, err := httpapi.AdminUser(&req)
	if err != nil {
		s.writeError(w, err)
		return
	}
	u := &store.User{UserID: req.UserID, Nickname: nickname, FaceURL: req.FaceURL, CreateTime: s.nowMs()}
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		if errors.Is(err, store.ErrExists) {
			err = protocol.Errorf(protocol.CodeAlreadyExists, "user %q exists", req.UserID)
		}
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, u.Profile())
}

func (s *Server) handleAdminToken(w http.ResponseWriter, r *http.Request) {
	var req protocol.AdminTokenReq
	if err := readJSON(w, r, &req); err != nil {
		s.writeError(w, err)
		return
	}
	platform, err := httpapi.AdminToken(&req)
	if err != nil {
		s.writeError(w, err)
		return
	}
	u, err := s.store.User(r.Context(), req.UserID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = protocol.Errorf(protocol.CodeNotFound, "user %q not found", req.UserID)
		}
		s.writeError(w, err)
		return
	}
	if u.Disabled {
		s.writeError(w, errDisabled)
		return
	}
	tok, exp := s.mintToken(u, platform)
	writeJSON(w, http.StatusOK, protocol.TokenResp{Token: tok, ExpiresAt: exp})
}
