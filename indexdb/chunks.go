//go:build js

package indexdb

import (
	"context"
	"encoding/json"
	"syscall/js"

	"parley/blobjs"
	"parley/core"
)

// The chunks of unsent messages' files: records {clientMsgID, slot,
// index, data} where data is a Blob (a slice of the app's File, which
// IndexedDB copies into its own storage), so the bytes never pass through
// Go.

// chunkRecords builds the records of cs as JS objects, each in a
// one-argument list (see Store.Apply).
func chunkRecords(ctx context.Context, cs []core.Chunk) (js.Value, error) {
	arr := js.Global().Get("Array").New(len(cs))
	for i, c := range cs {
		data, err := blobjs.ToJS(ctx, c.Data)
		if err != nil {
			return js.Undefined(), err
		}
		rec := js.Global().Get("Object").New()
		rec.Set("clientMsgID", c.ClientMsgID)
		rec.Set("slot", c.Slot)
		rec.Set("index", c.Index)
		rec.Set("data", data)
		arr.SetIndex(i, js.ValueOf([]any{rec}))
	}
	return arr, nil
}

// chunkRange is the key range of every chunk of message id: [id] sorts
// before every [id, …] and [id, []] after every [id, number, …].
func chunkRange(id string) (js.Value, error) {
	return bound([]any{id}, []any{id, []any{}})
}

// Chunks implements core.ChunkReader.
func (s *Store) Chunks(ctx context.Context, clientMsgID string, slot, fromIndex, toIndex int) ([]core.Chunk, error) {
	var out []core.Chunk
	err := s.all(ctx, "chunks", storeChunks, "", func() (js.Value, error) {
		return bound([]any{clientMsgID, slot, fromIndex}, []any{clientMsgID, slot, toIndex})
	}, func(arr js.Value) error {
		var bad error
		eachRecord(arr, func(v js.Value) {
			b, ok := blobjs.FromJS(v.Get("data"))
			if !ok {
				bad = errNotBlob
				return
			}
			out = append(out, core.Chunk{ClientMsgID: clientMsgID, Slot: v.Get("slot").Int(), Index: v.Get("index").Int(), Data: b})
		})
		return bad
	})
	return out, err
}

type notBlobError struct{}

func (notBlobError) Error() string { return "a stored chunk holds no Blob" }

var errNotBlob error = notBlobError{}

// uploadsJSON is the stored form of Message.Uploads.
func uploadsJSON(ups []core.Upload) string {
	if len(ups) == 0 {
		return ""
	}
	b, err := json.Marshal(ups)
	if err != nil {
		return "" // plain fields: cannot fail
	}
	return string(b)
}

func uploadsOfJSON(s string) []core.Upload {
	if s == "" {
		return nil
	}
	var ups []core.Upload
	if json.Unmarshal([]byte(s), &ups) != nil {
		return nil
	}
	return ups
}
