package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
	"parley/server/files"
)

// TestClusterUploadAcrossNodes: two nodes on one PostgreSQL, one NATS and
// one S3 bucket. The chunks of one upload go to different nodes, the
// other node completes it, and a URL signed by one node opens on the
// other.
func TestClusterUploadAcrossNodes(t *testing.T) {
	raw := os.Getenv("PARLEY_TEST_S3")
	if raw == "" {
		t.Skip("PARLEY_TEST_S3 is not set; skipping")
	}
	cfg, err := files.ParseS3URL(raw)
	require.NoError(t, err)
	b := make([]byte, 6)
	rand.Read(b)
	cfg.Prefix = "cluster-" + hex.EncodeToString(b) + "/"
	s3, err := files.OpenS3(context.Background(), cfg)
	require.NoError(t, err)
	nodes := newCluster(t, 2, smallChunks, func(c *server.Config) { c.Media.Files = s3 })
	n1, n2 := nodes[0], nodes[1]
	alice := n1.user("alice")
	n1.user("bob")
	bob := n2.token("bob")

	data := pngBytes(testChunk + 100)
	st, up, body := start(t, n1, alice, protocol.UploadStartReq{FileName: "c.png", Size: int64(len(data))})
	require.Equal(t, http.StatusCreated, st, "%s", body)
	st, body = putChunk(n1, alice, up.UploadID, 0, chunkOf(data, 0))
	require.Equal(t, http.StatusNoContent, st, "%s", body)
	st, body = putChunk(n2, alice, up.UploadID, 1, chunkOf(data, 1))
	require.Equal(t, http.StatusNoContent, st, "%s", body)
	assert.Equal(t, []int{0, 1}, status(t, n1, alice, up.UploadID).Received)
	st, _, body = n2.req("POST", protocol.UploadsPath+"/"+up.UploadID+"/complete", alice, nil, nil)
	require.Equal(t, http.StatusOK, st, "%s", body)
	var done protocol.UploadCompleteResp
	require.NoError(t, json.Unmarshal(body, &done))
	assert.Equal(t, "image/png", done.MIMEType)

	var r protocol.SendResp
	n1.dial(alice).do(protocol.ReqSend, protocol.SendReq{ClientMsgID: "c1", RecvID: "bob", ContentType: protocol.ContentFile,
		Content: json.RawMessage(fmt.Sprintf(`{"url":%q,"mimeType":"image/png","size":%d,"fileName":"c.png"}`, done.URL, len(data)))}, &r)
	link := n1.sign(bob, protocol.MessageRef{ConversationID: r.ConversationID, Seq: r.Seq}).Messages[0].URLs[done.URL]
	require.NotEmpty(t, link)
	// The same path and query, asked of the other node.
	st, _, got := n2.req("GET", n2.hs.URL+link[len(n1.hs.URL):], "", nil, nil)
	require.Equal(t, http.StatusOK, st, "%s", got)
	assert.True(t, bytes.Equal(data, got))
}
