package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/server/store"
)

func testUploads(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := &store.Upload{UploadID: "up1", UserID: "alice", FileName: "a.bin", MIMEType: "application/x-claimed", Size: 1000, ChunkSize: 300, CreateTime: 10}
	require.NoError(t, s.CreateUpload(ctx, u))
	assert.ErrorIs(t, s.CreateUpload(ctx, u), store.ErrExists)
	require.NoError(t, s.CreateUpload(ctx, &store.Upload{UploadID: "up2", UserID: "alice", FileName: "b", MIMEType: "x/y", Size: 5, ChunkSize: 300, CreateTime: 20}))
	require.NoError(t, s.CreateUpload(ctx, &store.Upload{UploadID: "up3", UserID: "bob", FileName: "c", MIMEType: "x/y", Size: 7, ChunkSize: 300, CreateTime: 5}))

	got, err := s.Upload(ctx, "up1")
	require.NoError(t, err)
	assert.Equal(t, u, got)
	_, err = s.Upload(ctx, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)

	chunks, err := s.UploadChunks(ctx, "up1")
	require.NoError(t, err)
	assert.Empty(t, chunks)
	for _, i := range []int{3, 0, 1, 0, 3} {
		require.NoError(t, s.AddUploadChunk(ctx, "up1", i), "chunks are idempotent")
	}
	chunks, err = s.UploadChunks(ctx, "up1")
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 3}, chunks)
	assert.ErrorIs(t, s.AddUploadChunk(ctx, "nope", 0), store.ErrNotFound)

	n, err := s.UserUploadBytes(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, int64(1005), n)
	n, err = s.UserUploadBytes(ctx, "nobody")
	require.NoError(t, err)
	assert.Zero(t, n)

	stale, err := s.StaleUploads(ctx, 21, 10)
	require.NoError(t, err)
	require.Len(t, stale, 3)
	assert.Equal(t, []string{"up3", "up1", "up2"}, []string{stale[0].UploadID, stale[1].UploadID, stale[2].UploadID}, "oldest first")
	stale, err = s.StaleUploads(ctx, 21, 1)
	require.NoError(t, err)
	assert.Len(t, stale, 1)

	require.NoError(t, s.CompleteUpload(ctx, "up1", "image/png", 50))
	got, err = s.Upload(ctx, "up1")
	require.NoError(t, err)
	assert.Equal(t, "image/png", got.MIMEType)
	assert.Equal(t, int64(50), got.CompleteTime)
	chunks, err = s.UploadChunks(ctx, "up1")
	require.NoError(t, err)
	assert.Empty(t, chunks, "a complete upload forgets its chunks")
	require.NoError(t, s.CompleteUpload(ctx, "up1", "text/plain", 60), "completing again changes nothing")
	got, err = s.Upload(ctx, "up1")
	require.NoError(t, err)
	assert.Equal(t, "image/png", got.MIMEType)
	assert.Equal(t, int64(50), got.CompleteTime)
	assert.ErrorIs(t, s.CompleteUpload(ctx, "nope", "x/y", 1), store.ErrNotFound)

	stale, err = s.StaleUploads(ctx, 100, 10)
	require.NoError(t, err)
	require.Len(t, stale, 2, "complete uploads are never stale")
	n, err = s.UserUploadBytes(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, int64(1005), n, "complete uploads count against the quota")

	require.NoError(t, s.AddUploadChunk(ctx, "up2", 0))
	require.NoError(t, s.DeleteUpload(ctx, "up2"))
	require.NoError(t, s.DeleteUpload(ctx, "up2"), "deleting twice is fine")
	_, err = s.Upload(ctx, "up2")
	assert.ErrorIs(t, err, store.ErrNotFound)
	chunks, err = s.UploadChunks(ctx, "up2")
	require.NoError(t, err)
	assert.Empty(t, chunks)
	n, err = s.UserUploadBytes(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, int64(1000), n)
}
