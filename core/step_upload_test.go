package core

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
)

func TestStepUpload(t *testing.T) {
	sending := Message{ClientMsgID: "m", ConversationID: "si_a_b", Status: StatusSending,
		Uploads: []Upload{{Size: 100}, {Field: "thumbnail", Size: 10}}}
	entry := OutboxEntry{ClientMsgID: "m", Deadline: 1000}
	done := &UploadResult{URL: "http://s/f", MimeType: "image/png", Size: 100}
	for _, tc := range []struct {
		name      string
		msg       *Message
		in        uploadInput
		ok        bool
		progress  *MessageProgress
		deadline  int64 // the entry's after the step; 0: not written
		content   string
		dropBytes bool
	}{
		{name: "a chunk confirmed: progress and a later deadline", msg: &sending,
			in: uploadInput{ClientMsgID: "m", Slot: 0, Upload: Upload{Size: 100, Sent: 40}, Deadline: 5000}, ok: true,
			progress: &MessageProgress{ClientMsgID: "m", ConversationID: "si_a_b", BytesSent: 40, BytesTotal: 110}, deadline: 5000},
		{name: "no progress: no event, an earlier deadline is not taken", msg: &sending,
			in: uploadInput{ClientMsgID: "m", Slot: 0, Upload: Upload{Size: 100}, Deadline: 500}, ok: true},
		{name: "announced even without progress (a resumed upload)", msg: &sending,
			in: uploadInput{ClientMsgID: "m", Slot: 1, Upload: Upload{Field: "thumbnail", Size: 10}, Announce: true}, ok: true,
			progress: &MessageProgress{ClientMsgID: "m", ConversationID: "si_a_b", BytesSent: 0, BytesTotal: 110}},
		{name: "done: the content is set, the stored bytes go, the send gets its own deadline", msg: &sending,
			in: uploadInput{ClientMsgID: "m", Slot: 0, Upload: Upload{Size: 100, Sent: 100, Result: done}, Content: json.RawMessage(`{"url":"http://s/f"}`), Deadline: 900}, ok: true,
			deadline: 900, content: `{"url":"http://s/f"}`, dropBytes: true},
		{name: "message gone: nothing, the upload stops", in: uploadInput{ClientMsgID: "m", Upload: Upload{Sent: 1}}},
		{name: "message failed meanwhile: nothing", msg: &Message{ClientMsgID: "m", Status: StatusFailed, Uploads: sending.Uploads},
			in: uploadInput{ClientMsgID: "m", Upload: Upload{Sent: 1}}},
		{name: "slot out of range: nothing", msg: &sending, in: uploadInput{ClientMsgID: "m", Slot: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := localState{Msgs: map[string]Message{}, Entries: map[string]OutboxEntry{"m": entry}}
			if tc.msg != nil {
				l.Msgs["m"] = *tc.msg
			}
			res := stepUpload(l, tc.in)
			assert.Equal(t, tc.ok, res.Value)
			if !tc.ok {
				assert.True(t, res.Changes.Empty())
				assert.Empty(t, res.Events)
				return
			}
			require.Len(t, res.Changes.Messages, 1)
			got := res.Changes.Messages[0]
			assert.Equal(t, tc.in.Upload, got.Uploads[tc.in.Slot])
			assert.Equal(t, sending.Uploads[1-tc.in.Slot], got.Uploads[1-tc.in.Slot], "the other slot is kept")
			assert.Equal(t, Upload{Size: 100}, sending.Uploads[0], "the loaded message is not changed in place")
			if tc.progress != nil {
				assert.Equal(t, []Event{*tc.progress}, res.Events)
			} else {
				assert.Empty(t, res.Events)
			}
			if tc.deadline != 0 {
				require.Len(t, res.Changes.Outbox, 1)
				assert.Equal(t, tc.deadline, res.Changes.Outbox[0].Deadline)
			} else {
				assert.Empty(t, res.Changes.Outbox)
			}
			if tc.content != "" {
				assert.JSONEq(t, tc.content, string(got.Content))
			}
			assert.Equal(t, tc.dropBytes, len(res.Changes.RemovedChunks) == 1)
		})
	}
}

func TestStepDeleteUnsent(t *testing.T) {
	l := localState{Msgs: map[string]Message{
		"u": {ClientMsgID: "u", ConversationID: "si_a_b", Status: StatusFailed},
		"s": {ClientMsgID: "s", ConversationID: "si_a_b", Seq: 3, Status: StatusSent},
	}}
	res, err := stepDeleteUnsent(l, deleteUnsentInput{ClientMsgID: "u"})
	require.NoError(t, err)
	assert.Equal(t, Changes{RemovedMessages: []string{"u"}, RemovedOutbox: []string{"u"}, RemovedChunks: []string{"u"}}, res.Changes)
	_, err = stepDeleteUnsent(l, deleteUnsentInput{ClientMsgID: "s"})
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "a sent message is not unsent")
	l.Msgs["n"] = Message{ClientMsgID: "n", ConversationID: "si_a_b", Status: StatusSending}
	l.Entries = map[string]OutboxEntry{"n": {ClientMsgID: "n", Attempts: 1, LastError: string(protocol.CodeNetwork)}}
	_, err = stepDeleteUnsent(l, deleteUnsentInput{ClientMsgID: "n"})
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err), "a send that got no answer may be on the server")
	l.Entries["n"] = OutboxEntry{ClientMsgID: "n", Attempts: 1, LastError: string(protocol.CodeRateLimited)}
	_, err = stepDeleteUnsent(l, deleteUnsentInput{ClientMsgID: "n"})
	assert.NoError(t, err, "a refused send is not on the server")
	_, err = stepDeleteUnsent(l, deleteUnsentInput{ClientMsgID: "x"})
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(err))
	_, err = stepDeleteUnsent(l, deleteUnsentInput{ConversationID: "si_a_c", ClientMsgID: "u"})
	assert.Equal(t, protocol.CodeNotFound, protocol.CodeOf(err), "not in that conversation")
}

func TestMarkMentions(t *testing.T) {
	mention := func(id, from string, ids []string, all bool) Message {
		raw, err := protocol.EncodeContent(&protocol.MentionContent{Text: "hi", AtUserIDs: ids, AtAll: all})
		require.NoError(t, err)
		return Message{ClientMsgID: id, ConversationID: "c" + id, SendID: from, ContentType: protocol.ContentMention, Content: raw}
	}
	res := stepResult{
		New: []Message{mention("1", "bob", []string{"me"}, false), mention("2", "bob", nil, true), mention("3", "bob", []string{"carol"}, false), mention("4", "me", []string{"me"}, false)},
		Changes: Changes{Conversations: []Conversation{
			{ConversationID: "c1", UnreadCount: 1}, {ConversationID: "c2", UnreadCount: 1}, {ConversationID: "c3", UnreadCount: 1},
			{ConversationID: "c4", UnreadCount: 1}, {ConversationID: "c5", MentionedMe: true},
		}},
	}
	res.Changed = append([]Conversation(nil), res.Changes.Conversations...)
	markMentions("me", &res)
	want := map[string]bool{"c1": true, "c2": true, "c3": false, "c4": false, "c5": false}
	for _, cs := range [][]Conversation{res.Changes.Conversations, res.Changed} {
		for _, c := range cs {
			assert.Equal(t, want[c.ConversationID], c.MentionedMe, c.ConversationID)
		}
	}
}

func TestFillContentAndChunkParts(t *testing.T) {
	ups := []Upload{
		{Size: 5, MimeType: "image/png", Result: &UploadResult{URL: "http://s/a", MimeType: "image/webp", Size: 5}},
		{Field: "thumbnail", Size: 1},
	}
	out, err := fillContent(json.RawMessage(`{"width":4,"thumbnail":{"width":2}}`), ups)
	require.NoError(t, err)
	assert.JSONEq(t, `{"url":"http://s/a","mimeType":"image/webp","size":5,"width":4,"thumbnail":{"width":2,"url":"`+placeholderURL+`"}}`, string(out))
	_, err = fillContent(json.RawMessage(`[1]`), ups)
	assert.Equal(t, protocol.CodeInvalidArgument, protocol.CodeOf(err))

	data := make(ByteSlice, 3*ChunkBytes+7)
	for i := range data {
		data[i] = byte(i % 251)
	}
	pieces := filePieces("m", 0, data)
	require.Len(t, pieces, 4)
	for _, span := range [][2]int64{{0, int64(len(data))}, {ChunkBytes - 3, 2*ChunkBytes + 5}, {3 * ChunkBytes, 3*ChunkBytes + 7}} {
		var got []byte
		for _, p := range chunkParts(pieces, span[0], span[1]) {
			got = append(got, p.(ByteSlice)...)
		}
		assert.Equal(t, []byte(data[span[0]:span[1]]), got, "bytes %v", span)
	}
}
