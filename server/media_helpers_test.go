package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"parley/protocol"
)

// req makes one HTTP request to the server with a user's token ("" for
// none) and returns the status, headers and body.
func (e *env) req(method, path, bearer string, body []byte, hdr http.Header) (int, http.Header, []byte) {
	e.t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	url := path
	if len(path) > 0 && path[0] == '/' {
		url = e.hs.URL + path
	}
	r, err := http.NewRequest(method, url, rd)
	require.NoError(e.t, err)
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != nil && method != http.MethodPut {
		// JSON routes take only application/json (a cross-site form
		// cannot send it); a chunk's PUT is raw bytes.
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		r.Header[k] = v
	}
	res, err := http.DefaultClient.Do(r)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return res.StatusCode, res.Header, b
}

func jsonBody(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// upload sends data as one whole upload and returns complete's answer.
func (e *env) upload(token, name, claimed string, data []byte) protocol.UploadCompleteResp {
	e.t.Helper()
	st, _, body := e.req("POST", protocol.UploadsPath, token, jsonBody(e.t, protocol.UploadStartReq{FileName: name, MIMEType: claimed, Size: int64(len(data))}), nil)
	require.Equal(e.t, http.StatusCreated, st, "%s", body)
	var up protocol.UploadStartResp
	require.NoError(e.t, json.Unmarshal(body, &up))
	for i := 0; int64(i)*up.ChunkSize < int64(len(data)); i++ {
		end := min(int64(len(data)), int64(i+1)*up.ChunkSize)
		st, _, body := e.req("PUT", fmt.Sprintf("%s/%s/%d", protocol.UploadsPath, up.UploadID, i), token, data[int64(i)*up.ChunkSize:end], nil)
		require.Equal(e.t, http.StatusNoContent, st, "chunk %d: %s", i, body)
	}
	st, _, body = e.req("POST", protocol.UploadsPath+"/"+up.UploadID+"/complete", token, nil, nil)
	require.Equal(e.t, http.StatusOK, st, "%s", body)
	var done protocol.UploadCompleteResp
	require.NoError(e.t, json.Unmarshal(body, &done))
	return done
}

// sign asks for the signed URLs of messages.
func (e *env) sign(token string, refs ...protocol.MessageRef) protocol.FileSignResp {
	e.t.Helper()
	st, _, body := e.req("POST", protocol.FilesPath+"/sign", token, jsonBody(e.t, protocol.FileSignReq{Messages: refs}), nil)
	require.Equal(e.t, http.StatusOK, st, "%s", body)
	var out protocol.FileSignResp
	require.NoError(e.t, json.Unmarshal(body, &out))
	return out
}

func errCodeOf(t *testing.T, body []byte) protocol.Code {
	t.Helper()
	var eb protocol.ErrorBody
	require.NoError(t, json.Unmarshal(body, &eb), "%s", body)
	return eb.Error.Code
}

// user creates a user with a chosen ID through the admin API and returns
// a token of theirs.
func (e *env) user(id string) string {
	e.t.Helper()
	st, body := e.post("/api/v1/admin/users", adminSecret, protocol.AdminCreateUserReq{UserID: id})
	require.Equal(e.t, http.StatusCreated, st, "%s", body)
	return e.token(id)
}
