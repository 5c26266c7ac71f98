package storetest

import (
	"bytes"
	"context"
	"testing"

	"parley/core"
)

// testChunks: file chunks are stored with their message, read back by
// range, replaced by key and removed per message.
func testChunks(t *testing.T, open Opener) {
	s := open(t, "chunks")
	defer s.Close()
	ctx := context.Background()
	piece := func(b byte, n int) core.Bytes { return core.ByteSlice(bytes.Repeat([]byte{b}, n)) }
	m := msg("si_a_b", 0, "up1")
	m.Status = core.StatusSending
	m.Uploads = []core.Upload{{FileName: "f.bin", MimeType: "application/octet-stream", Size: 5, UploadID: "u1", ChunkSize: 262144, Sent: 2,
		Result: &core.UploadResult{URL: "http://x/f", MimeType: "image/png", Size: 5}}, {Field: "thumbnail", Size: 1}}
	apply(t, s, &core.Changes{Messages: []core.Message{m}, Chunks: []core.Chunk{
		{ClientMsgID: "up1", Slot: 0, Index: 0, Data: piece('a', 2)},
		{ClientMsgID: "up1", Slot: 0, Index: 1, Data: piece('b', 3)},
		{ClientMsgID: "up1", Slot: 1, Index: 0, Data: piece('c', 1)},
		{ClientMsgID: "other", Slot: 0, Index: 0, Data: piece('d', 1)},
	}})
	got := must(s.Messages(ctx, []string{"up1"})).of(t)
	if len(got) != 1 || len(got[0].Uploads) != 2 || got[0].Uploads[0].Result == nil || *got[0].Uploads[0].Result != *m.Uploads[0].Result ||
		got[0].Uploads[0].UploadID != "u1" || got[0].Uploads[0].Sent != 2 || got[0].Uploads[1].Field != "thumbnail" {
		t.Fatalf("Messages(up1) = %+v, want the uploads as stored", got)
	}
	read := func(slot, from, to int) string {
		t.Helper()
		cs := must(s.Chunks(ctx, "up1", slot, from, to)).of(t)
		var out []byte
		for i, c := range cs {
			if c.ClientMsgID != "up1" || c.Slot != slot || (i > 0 && c.Index <= cs[i-1].Index) {
				t.Fatalf("Chunks(%d, %d, %d) = %+v: wrong keys or order", slot, from, to, cs)
			}
			b, err := c.Data.ReadBytes(ctx)
			if err != nil || int64(len(b)) != c.Data.Len() {
				t.Fatalf("ReadBytes = %d bytes, %v; Len %d", len(b), err, c.Data.Len())
			}
			out = append(out, b...)
		}
		return string(out)
	}
	if g := read(0, 0, 9); g != "aabbb" {
		t.Fatalf("slot 0 = %q, want aabbb", g)
	}
	if g := read(0, 1, 1); g != "bbb" {
		t.Fatalf("slot 0 chunk 1 = %q, want bbb", g)
	}
	if g := read(1, 0, 0); g != "c" {
		t.Fatalf("slot 1 = %q, want c", g)
	}
	apply(t, s, &core.Changes{Chunks: []core.Chunk{{ClientMsgID: "up1", Slot: 0, Index: 1, Data: piece('e', 1)}}})
	if g := read(0, 0, 9); g != "aae" {
		t.Fatalf("slot 0 after replace = %q, want aae", g)
	}
	apply(t, s, &core.Changes{RemovedChunks: []string{"up1"}})
	if g := read(0, 0, 9) + read(1, 0, 9); g != "" {
		t.Fatalf("chunks after removal = %q, want none", g)
	}
	if cs := must(s.Chunks(ctx, "other", 0, 0, 0)).of(t); len(cs) != 1 {
		t.Fatalf("another message's chunks = %d, want 1 (kept)", len(cs))
	}
}

// testRemovedUnsent: a removed (unsent) message is gone from every read.
func testRemovedUnsent(t *testing.T, open Opener) {
	s := open(t, "removedmsgs")
	defer s.Close()
	ctx := context.Background()
	u := msg("si_a_b", 0, "unsent")
	u.Status = core.StatusFailed
	sent := msg("si_a_b", 1, "sent")
	apply(t, s, &core.Changes{Messages: []core.Message{u, sent}, Outbox: []core.OutboxEntry{{ClientMsgID: "unsent", ConversationID: "si_a_b", Order: 1}}})
	apply(t, s, &core.Changes{RemovedMessages: []string{"unsent", "sent"}, RemovedOutbox: []string{"unsent"}})
	if got := must(s.Messages(ctx, []string{"unsent", "sent"})).of(t); len(got) != 0 {
		t.Fatalf("Messages after removal = %+v, want none", got)
	}
	if got := must(s.UnsentMessages(ctx, "si_a_b")).of(t); len(got) != 0 {
		t.Fatalf("UnsentMessages after removal = %+v, want none", got)
	}
	if got := must(s.MessagesBySeq(ctx, "si_a_b", 1, 1)).of(t); len(got) != 0 {
		t.Fatalf("MessagesBySeq after removal = %+v, want none", got)
	}
	if got := must(s.Outbox(ctx)).of(t); len(got) != 0 {
		t.Fatalf("Outbox after removal = %+v, want none", got)
	}
}
