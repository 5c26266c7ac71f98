package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

func TestRunRejectsBadMediaFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-files", "ftp://host/x"},
		{"-files", "s3://bucket"},
		{"-preview-allow", "not-a-network"},
	} {
		args := append(args, "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-admin-secret", "s")
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, nil)
		assert.Error(t, err, "%v", args)
	}
	o, err := parseOptions(nil, func(k string) string {
		return map[string]string{"PARLEY_FILES": "s3://b?endpoint=h:1", "PARLEY_MAX_FILE_BYTES": "5", "PARLEY_UPLOAD_QUOTA": "9", "PARLEY_PUBLIC_URL": "https://x"}[k]
	}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, mediaOptions{files: "s3://b?endpoint=h:1", maxFileBytes: 5, uploadQuota: 9, publicURL: "https://x"}, o.media)
}

// TestRunUploadsToS3 runs parleyd with -files on the S3-compatible server
// of PARLEY_TEST_S3 and sends a file through it.
func TestRunUploadsToS3(t *testing.T) {
	s3 := os.Getenv("PARLEY_TEST_S3")
	if s3 == "" {
		t.Skip("PARLEY_TEST_S3 is not set; skipping")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-admin-secret", "adm", "-files", s3},
			func(string) string { return "" }, io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("not ready")
	}
	base := "http://" + addr
	call := func(method, path, bearer string, body []byte) (int, []byte) {
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+bearer)
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json") // JSON routes take nothing else
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	st, _ := call("POST", "/api/v1/admin/users", "adm", js(protocol.AdminCreateUserReq{UserID: "s3user"}))
	require.Equal(t, http.StatusCreated, st)
	st, body := call("POST", "/api/v1/admin/tokens", "adm", js(protocol.AdminTokenReq{UserID: "s3user"}))
	require.Equal(t, http.StatusOK, st)
	var tok protocol.TokenResp
	require.NoError(t, json.Unmarshal(body, &tok))

	data := []byte("%PDF-1.4 a file kept in S3")
	st, body = call("POST", protocol.UploadsPath, tok.Token, js(protocol.UploadStartReq{FileName: "a.pdf", Size: int64(len(data))}))
	require.Equal(t, http.StatusCreated, st, "%s", body)
	var up protocol.UploadStartResp
	require.NoError(t, json.Unmarshal(body, &up))
	st, body = call("PUT", fmt.Sprintf("%s/%s/0", protocol.UploadsPath, up.UploadID), tok.Token, data)
	require.Equal(t, http.StatusNoContent, st, "%s", body)
	st, body = call("POST", protocol.UploadsPath+"/"+up.UploadID+"/complete", tok.Token, nil)
	require.Equal(t, http.StatusOK, st, "%s", body)
	var fin protocol.UploadCompleteResp
	require.NoError(t, json.Unmarshal(body, &fin))
	assert.Equal(t, "application/pdf", fin.MIMEType)
	res, err := http.Get(fin.DownloadURL)
	require.NoError(t, err)
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, data, got)
	cancel()
	require.NoError(t, <-done)
}
