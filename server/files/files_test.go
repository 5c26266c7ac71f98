package files_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server/files"
	"parley/server/files/filestest"
)

func TestLocal(t *testing.T) {
	open := func(t *testing.T) *files.Local {
		s, err := files.OpenLocal(t.TempDir())
		require.NoError(t, err)
		return s
	}
	filestest.Run(t, func(t *testing.T) files.Store { return open(t) })
	filestest.RunAssembler(t, func(t *testing.T) files.Assembler { return open(t) })
	s := open(t)
	assert.ErrorIs(t, s.Put(t.Context(), ".parts/x", strings.NewReader("x"), 1), files.ErrInvalidKey, "the store's own folders")
	assert.ErrorIs(t, s.Put(t.Context(), ".tmp", strings.NewReader("x"), 1), files.ErrInvalidKey)
}

// TestS3 runs the suite against the S3-compatible server PARLEY_TEST_S3
// names (server/files/s3test.sh starts one on loopback), each test under
// a prefix of its own.
func TestS3(t *testing.T) {
	raw := os.Getenv("PARLEY_TEST_S3")
	if raw == "" {
		t.Skip("PARLEY_TEST_S3 is not set (eval \"$(server/files/s3test.sh start)\"); skipping S3 tests")
	}
	cfg, err := files.ParseS3URL(raw)
	require.NoError(t, err)
	filestest.Run(t, func(t *testing.T) files.Store {
		c := cfg
		b := make([]byte, 6)
		rand.Read(b)
		c.Prefix = "test-" + hex.EncodeToString(b) + "/"
		s, err := files.OpenS3(context.Background(), c)
		require.NoError(t, err)
		return s
	})
}

func TestParseS3URL(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "envkey")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	c, err := files.ParseS3URL("s3://bkt?endpoint=127.0.0.1:9000&secure=false&prefix=p/&region=r1")
	require.NoError(t, err)
	assert.Equal(t, files.S3Config{Endpoint: "127.0.0.1:9000", Bucket: "bkt", Prefix: "p/", Region: "r1",
		AccessKey: "envkey", SecretKey: "envsecret", Insecure: true, PathStyle: true}, c)
	c, err = files.ParseS3URL("s3://bkt?endpoint=s3.example:443&access_key=a&secret_key=b&virtual_host=true")
	require.NoError(t, err)
	assert.Equal(t, "a", c.AccessKey)
	assert.False(t, c.Insecure)
	assert.False(t, c.PathStyle)
	for _, bad := range []string{"s3://bkt", "http://bkt?endpoint=h:1", "s3://?endpoint=h:1", "s3://b?endpoint=h:1&secure=maybe"} {
		_, err := files.ParseS3URL(bad)
		assert.Error(t, err, bad)
	}
}
