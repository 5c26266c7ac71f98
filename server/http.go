package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"parley/protocol"
	"parley/server/httpapi"
	"parley/server/store"
)

func (s *Server) routes() http.Handler {
	s.handlers = s.newHandlers()
	mux := &routeMux{ServeMux: http.NewServeMux()}
	defer func() { s.patterns = mux.patterns }()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET "+OpenAPIPath, s.handleOpenAPI)
	if !s.cfg.SeparateMetrics {
		mux.Handle("GET /metrics", s.MetricsHandler())
	}
	mux.HandleFunc("GET "+protocol.WSPath, s.handleWS)

	for _, rt := range s.apiRoutes() {
		mux.HandleFunc(rt.pattern, rt.handler)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, protocol.Errorf(protocol.CodeNotFound, "no route %s %s", r.Method, r.URL.Path))
	})

	// Static files are compressed in the background from now on, until
	// Shutdown.
	ctx, stop := context.WithCancel(context.Background())
	s.stopStatic = stop
	if s.cfg.SDKDir != "" {
		mux.Handle("GET /sdk/", http.StripPrefix("/sdk", newStaticFiles(ctx, os.DirFS(s.cfg.SDKDir), s.log)))
	}
	if s.cfg.DemoFS != nil {
		mux.Handle("/", newStaticFiles(ctx, s.cfg.DemoFS, s.log))
	}
	return s.guard(mux)
}

type apiRoute struct {
	pattern string
	handler http.HandlerFunc
}

// apiRoutes lists the HTTP API.
func (s *Server) apiRoutes() []apiRoute {
	return []apiRoute{
		{"POST /api/v1/auth/register", s.limitAuth(s.handleRegister)},
		{"POST /api/v1/auth/login", s.limitAuth(s.handleLogin)},
		{"POST /api/v1/auth/logout", s.handleLogout},
		{"POST /api/v1/auth/revoke-all", s.handleRevokeAll},
		{"POST /api/v1/auth/refresh", s.handleRefresh},
		{"POST /api/v1/admin/users", s.admin(s.handleAdminCreateUser)},
		{"POST /api/v1/admin/tokens", s.admin(s.handleAdminToken)},
		{"POST /api/v1/admin/groups", s.admin(s.handleAdminCreateGroup)},
		{"POST /api/v1/admin/friends", s.admin(s.handleAdminFriends)},
		// Groups (admin_groups.go).
		{"POST /api/v1/admin/groups/update", s.admin(s.handleAdminUpdateGroup)},
		{"POST /api/v1/admin/groups/members/add", s.admin(s.handleAdminAddGroupMembers)},
		{"POST /api/v1/admin/groups/members/remove", s.admin(s.handleAdminRemoveGroupMembers)},
		{"POST /api/v1/admin/groups/ban", s.admin(s.handleAdminBanGroupUser)},

		// Moderation listings (admin_moderation.go).
		{"GET /api/v1/admin/users", s.admin(s.handleAdminListUsers)},
		{"GET /api/v1/admin/conversations", s.admin(s.handleAdminListConversations)},
		{"GET /api/v1/admin/messages", s.admin(s.handleAdminListMessages)},
		{"POST /api/v1/admin/messages/revoke", s.admin(s.handleAdminRevokeMessage)},
		// Uploads, downloads and previews (media.go).
		{"POST " + protocol.UploadsPath, s.handleUploadStart},
		{"GET " + protocol.UploadsPath + "/{uploadID}", s.handleUploadStatus},
		{"PUT " + protocol.UploadsPath + "/{uploadID}/{index}", s.handleUploadChunk},
		{"POST " + protocol.UploadsPath + "/{uploadID}/complete", s.handleUploadComplete},
		{"POST " + protocol.FilesPath + "/sign", s.handleFileSign},
		{"GET " + protocol.FilesPath + "/{fileID}", s.handleFileDownload},
		{"GET " + protocol.PreviewsPath, s.handlePreview},
		// People (admin_people.go).
		{"POST /api/v1/admin/users/update", s.admin(s.handleAdminUpdateUser)},
		{"POST /api/v1/admin/users/revoke", s.admin(s.handleAdminRevokeUser)},
		{"POST /api/v1/admin/users/disable", s.admin(s.handleAdminDisableUser)},
		{"POST /api/v1/admin/messages", s.admin(s.handleAdminSend)},
	}
}

// APIRoutes lists the patterns ("POST /api/v1/…") of the HTTP API, so that
// tests and tools can check they cover every route.
func (s *Server) APIRoutes() []string {
	var out []string
	for _, rt := range s.apiRoutes() {
		out = append(out, rt.pattern)
	}
	return out
}

// RequestTypes lists the WebSocket request types the server answers,
// sorted, so that tests can check they cover every one.
func (s *Server) RequestTypes() []string {
	out := []string{protocol.ReqSend, protocol.ReqRefreshToken}
	for typ := range s.handlers {
		out = append(out, typ)
	}
	slices.Sort(out)
	return out
}

// guard sets the security headers, counts requests in progress (so
// Shutdown can wait for them), refuses new ones while shutting down,
// answers CORS for the API, and measures each request.
func (s *Server) guard(next http.Handler) http.Handler {
	next = s.metrics.observe(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header(), r.URL.Path)
		if origin := r.Header.Get("Origin"); origin != "" && strings.HasPrefix(r.URL.Path, "/api/") && s.originAllowed(r) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Range")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS")
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if !s.enter() {
			s.writeError(w, protocol.Errorf(protocol.CodeUnavailable, "server is shutting down"))
			return
		}
		defer s.active.Done()
		next.ServeHTTP(w, r)
	})
}

// handleHealthz answers 200 "ok" while the node accepts logins and its
// store and bus answer; else 503 with a JSON body naming what fails, so a
// load balancer stops sending users to a node that cannot serve them.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeHealth(w, healthReport{Status: "unavailable", Failing: []string{"server"}, Checks: map[string]string{"server": "not accepting logins"}})
		return
	}
	// The wall clock, not cfg.Clock: a test's frozen clock would keep the
	// first result forever.
	if rep := s.health.check(r.Context(), time.Now()); rep.Status != "ok" {
		writeHealth(w, rep)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func writeHealth(w http.ResponseWriter, rep healthReport) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	json.NewEncoder(w).Encode(rep)
}

// httpStatus maps an error code to its HTTP status.
func httpStatus(c protocol.Code) int {
	switch c {
	case protocol.CodeInvalidArgument:
		return http.StatusBadRequest
	case protocol.CodeUnauthenticated, protocol.CodeTokenExpired:
		return http.StatusUnauthorized
	case protocol.CodePermissionDenied:
		return http.StatusForbidden
	case protocol.CodeNotFound:
		return http.StatusNotFound
	case protocol.CodeAlreadyExists:
		return http.StatusConflict
	case protocol.CodeRateLimited:
		return http.StatusTooManyRequests
	case protocol.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case protocol.CodeUnimplemented:
		return http.StatusNotImplemented
	case protocol.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// publicError turns any error into the client-facing one. Store sentinels
// map to their codes; anything unexpected is logged and becomes "internal"
// without details.
func (s *Server) publicError(err error) *protocol.Error {
	var pe *protocol.Error
	switch {
	case errors.As(err, &pe):
	case errors.Is(err, store.ErrNotFound):
		pe = protocol.Errorf(protocol.CodeNotFound, "not found")
	case errors.Is(err, store.ErrExists):
		pe = protocol.Errorf(protocol.CodeAlreadyExists, "already exists")
	case errors.Is(err, store.ErrNotMember):
		pe = protocol.Errorf(protocol.CodePermissionDenied, "not a member")
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("request timed out", "err", err)
		pe = protocol.Errorf(protocol.CodeUnavailable, "request timed out")
	default:
		s.log.Error("internal error", "err", err)
		pe = protocol.Errorf(protocol.CodeInternal, "internal error")
	}
	s.metrics.errors.WithLabelValues(string(pe.Code)).Inc()
	return pe
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	pe := s.publicError(err)
	status := httpStatus(pe.Code)
	if se := (*statusError)(nil); errors.As(err, &se) {
		status = se.status
	}
	writeJSON(w, status, protocol.ErrorBody{Error: *pe})
}

// statusError is a client error answered with an HTTP status of its own
// rather than its code's.
type statusError struct {
	status int
	err    *protocol.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes a request body into v (see httpapi.Decode). The body
// must be declared application/json: a cross-site HTML form can post
// text/plain (or form types) without the browser asking first, JSON only
// after a CORS preflight, which refuses origins not allowed.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &statusError{http.StatusUnsupportedMediaType,
			protocol.Errorf(protocol.CodeInvalidArgument, "Content-Type must be application/json")}
	}
	// MaxBytesReader also stops the server reading an endless body.
	r.Body = http.MaxBytesReader(w, r.Body, httpapi.MaxBody+1)
	return httpapi.Decode(r.Body, v)
}

// bearer returns the Authorization: Bearer credential, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// MetricsHandler serves the Prometheus metrics, behind Config.MetricsSecret
// when one is set. Handler serves it at /metrics unless
// Config.SeparateMetrics is set; parleyd's -metrics-addr serves it on an
// address of its own.
func (s *Server) MetricsHandler() http.Handler {
	h := s.metrics.handler()
	if s.cfg.MetricsSecret == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := bearer(r); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsSecret)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			s.writeError(w, protocol.Errorf(protocol.CodeUnauthenticated, "metrics secret required"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// admin wraps a handler that needs the admin secret.
func (s *Server) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got := bearer(r)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.AdminSecret)) != 1 {
			s.writeError(w, protocol.Errorf(protocol.CodeUnauthenticated, "admin secret required"))
			return
		}
		next(w, r)
	}
}
