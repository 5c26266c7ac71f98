package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// isMediaRoute reports whether a route is one of the file and preview
// routes, whose matrix is TestAuthorizationMatrixMedia.
func isMediaRoute(route string) bool {
	_, path, _ := strings.Cut(route, " ")
	return strings.HasPrefix(path, protocol.UploadsPath) || strings.HasPrefix(path, protocol.FilesPath) || strings.HasPrefix(path, protocol.PreviewsPath)
}

// TestAuthorizationMatrixMedia checks every file and preview route
// against every kind of caller: no credentials, a forged, expired or
// revoked token, another user (the uploads are alice's, the message
// alice's group's, where mallory is not), and a forged download link.
func TestAuthorizationMatrixMedia(t *testing.T) {
	w := newAuthzWorld(t)
	e := w.e
	alice := w.tokens["alice"]
	done := e.upload(alice, "secret.png", "image/png", pngBytes(100))
	st, up, _ := start(t, e, alice, protocol.UploadStartReq{FileName: "wip.bin", Size: 10})
	require.Equal(t, http.StatusCreated, st)
	var r protocol.SendResp
	e.dial(alice).do(protocol.ReqSend, protocol.SendReq{ClientMsgID: "f1", GroupID: w.group, ContentType: protocol.ContentFile,
		Content: []byte(fmt.Sprintf(`{"url":%q,"mimeType":"image/png","size":100,"fileName":"secret.png"}`, done.URL))}, &r)
	signBody := jsonBody(t, protocol.FileSignReq{Messages: []protocol.MessageRef{{ConversationID: r.ConversationID, Seq: r.Seq}}})

	type request struct {
		method, path string
		body         []byte
	}
	requests := map[string]request{
		"POST /api/v1/uploads":                     {"POST", protocol.UploadsPath, jsonBody(t, protocol.UploadStartReq{FileName: "x", Size: 1})},
		"GET /api/v1/uploads/{uploadID}":           {"GET", protocol.UploadsPath + "/" + up.UploadID, nil},
		"PUT /api/v1/uploads/{uploadID}/{index}":   {"PUT", protocol.UploadsPath + "/" + up.UploadID + "/0", make([]byte, 10)},
		"POST /api/v1/uploads/{uploadID}/complete": {"POST", protocol.UploadsPath + "/" + up.UploadID + "/complete", nil},
		"POST /api/v1/files/sign":                  {"POST", protocol.FilesPath + "/sign", signBody},
		"GET /api/v1/files/{fileID}":               {"GET", protocol.FilesPath + "/" + done.FileID, nil},
		"GET /api/v1/previews":                     {"GET", protocol.PreviewsPath + "?url=http://127.0.0.1:1/", nil},
	}
	mallory := w.tokens["mallory"]
	type cred struct{ name, bearer string }
	creds := []struct {
		cred cred
		code protocol.Code
	}{
		{cred{"no token", ""}, protocol.CodeUnauthenticated},
		{cred{"garbage", "p1.e30.AAAA"}, protocol.CodeUnauthenticated},
		{cred{"expired", w.expired}, protocol.CodeTokenExpired},
		{cred{"revoked", w.revoked}, protocol.CodeTokenExpired},
		{cred{"the admin secret", adminSecret}, protocol.CodeUnauthenticated},
	}
	for _, route := range e.srv.APIRoutes() {
		if !isMediaRoute(route) {
			continue
		}
		rq, ok := requests[route]
		if !assert.True(t, ok, "route %q has no row in the matrix", route) {
			continue
		}
		if route == "GET /api/v1/files/{fileID}" {
			// Downloads take no token: only a signed link opens them.
			for _, c := range append(creds, struct {
				cred cred
				code protocol.Code
			}{cred{"alice's own token", alice}, ""}) {
				st, _, body := e.req(rq.method, rq.path, c.cred.bearer, rq.body, nil)
				assert.Equal(t, http.StatusForbidden, st, "%s with %s", route, c.cred.name)
				assert.Equal(t, protocol.CodePermissionDenied, errCodeOf(t, body))
			}
			continue
		}
		for _, c := range creds {
			st, _, body := e.req(rq.method, rq.path, c.cred.bearer, rq.body, nil)
			assert.Equal(t, http.StatusUnauthorized, st, "%s with %s: %s", route, c.cred.name, body)
			assert.Equal(t, c.code, errCodeOf(t, body), "%s with %s", route, c.cred.name)
		}
		// Another user.
		st, _, body := e.req(rq.method, rq.path, mallory, rq.body, nil)
		switch route {
		case "POST /api/v1/uploads":
			assert.Equal(t, http.StatusCreated, st, "anyone may upload their own")
		case "GET /api/v1/previews":
			assert.Equal(t, http.StatusForbidden, st, "loopback is refused")
		case "POST /api/v1/files/sign":
			require.Equal(t, http.StatusOK, st, "%s", body)
			assert.Contains(t, string(body), `"code":"permission_denied"`)
			assert.NotContains(t, string(body), done.FileID, "no link for mallory")
		default:
			assert.Equal(t, http.StatusForbidden, st, "%s as mallory: %s", route, body)
			assert.Equal(t, protocol.CodePermissionDenied, errCodeOf(t, body))
		}
		noneOf(t, route, body, w.forbiddenForGroups)
	}
	// Nothing mallory tried changed alice's upload.
	assert.Empty(t, status(t, e, alice, up.UploadID).Received)
}
