//go:build js

package wasmwrapper

import (
	"encoding/json"

	"parley/core"
	"parley/jsonappend"
)

// The appenders below write what json.Marshal writes for conversations
// (with their latest messages), field for field and in the same order,
// without encoding/json's reflection: the whole list of 1,000
// conversations cost ~80 ms of json.Marshal in the worker, ~45 ms this
// way (docs/benchmarks.md). ToJS still parses the result once with
// JSON.parse. TestAppendersMatchJSON compares them with json.Marshal.

// appendMessage appends m as json.Marshal does; false when m holds what
// only json.Marshal can judge (content that is not valid JSON, which it
// refuses) or write (uploads).
func appendMessage(b []byte, m *core.Message) ([]byte, bool) {
	if len(m.Content) > 0 && !json.Valid(m.Content) {
		return b, false
	}
	b = append(b, '{')
	b = jsonappend.Str(b, "clientMsgID", m.ClientMsgID)
	b = jsonappend.Str(b, "serverMsgID", m.ServerMsgID)
	b = jsonappend.Str(b, "conversationID", m.ConversationID)
	b = jsonappend.Int(b, "seq", m.Seq)
	b = jsonappend.Str(b, "sendID", m.SendID)
	b = jsonappend.Str(b, "recvID", m.RecvID)
	b = jsonappend.Str(b, "groupID", m.GroupID)
	b = jsonappend.Str(b, "sessionType", string(m.SessionType))
	b = jsonappend.Str(b, "contentType", m.ContentType)
	b = jsonappend.Str(b, "text", m.Text)
	if len(m.Content) > 0 {
		b = append(jsonappend.Key(b, "content"), m.Content...)
	}
	b = jsonappend.Int(b, "sendTime", m.SendTime)
	b = jsonappend.Int(b, "createTime", m.CreateTime)
	b = jsonappend.Str(b, "status", string(m.Status))
	if m.ErrorCode != "" {
		b = jsonappend.Str(b, "errorCode", string(m.ErrorCode))
	}
	if len(m.Uploads) > 0 {
		u, err := json.Marshal(m.Uploads)
		if err != nil {
			return b, false
		}
		b = append(jsonappend.Key(b, "uploads"), u...)
	}
	b = jsonappend.Int(b, "version", m.Version)
	b = jsonappend.Int(b, "editTime", m.EditTime)
	b = jsonappend.Bool(b, "isPinned", m.IsPinned)
	b = jsonappend.Str(b, "pinnedBy", m.PinnedBy)
	b = jsonappend.Int(b, "pinTime", m.PinTime)
	b = jsonappend.Bool(b, "isRead", m.IsRead)
	if m.Deleted {
		b = jsonappend.Bool(b, "deleted", true)
	}
	if len(m.Reactions) > 0 {
		b = append(jsonappend.Key(b, "reactions"), '[')
		for i, r := range m.Reactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.Str(append(b, '{'), "emoji", r.Emoji)
			b = jsonappend.Int(b, "count", int64(r.Count))
			b = jsonappend.Key(b, "userIDs")
			if r.UserIDs == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, '[')
				for j, u := range r.UserIDs {
					if j > 0 {
						b = append(b, ',')
					}
					b = jsonappend.String(b, u)
				}
				b = append(b, ']')
			}
			b = append(jsonappend.Bool(b, "reactedByMe", r.ReactedByMe), '}')
		}
		b = append(b, ']')
	}
	b = jsonappend.Int(b, "readCount", int64(m.ReadCount))
	return append(b, '}'), true
}

// appendConversation appends c as json.Marshal does; false as appendMessage.
func appendConversation(b []byte, c *core.Conversation) ([]byte, bool) {
	b = append(b, '{')
	b = jsonappend.Str(b, "conversationID", c.ConversationID)
	b = jsonappend.Str(b, "sessionType", string(c.SessionType))
	b = jsonappend.Str(b, "userID", c.UserID)
	b = jsonappend.Str(b, "groupID", c.GroupID)
	b = jsonappend.Str(b, "showName", c.ShowName)
	b = jsonappend.Str(b, "faceURL", c.FaceURL)
	b = jsonappend.Key(b, "latestMessage")
	if c.LatestMessage == nil {
		b = append(b, "null"...)
	} else {
		var ok bool
		if b, ok = appendMessage(b, c.LatestMessage); !ok {
			return b, false
		}
	}
	b = jsonappend.Int(b, "unreadCount", c.UnreadCount)
	b = jsonappend.Bool(b, "isPinned", c.IsPinned)
	b = jsonappend.Bool(b, "isMuted", c.IsMuted)
	b = jsonappend.Str(b, "draftText", c.DraftText)
	b = jsonappend.Int(b, "updatedAt", c.UpdatedAt)
	b = jsonappend.Int(b, "maxSeq", c.MaxSeq)
	b = jsonappend.Int(b, "minSeq", c.MinSeq)
	b = jsonappend.Int(b, "readSeq", c.ReadSeq)
	b = jsonappend.Int(b, "serverReadSeq", c.ServerReadSeq)
	b = jsonappend.Int(b, "localMaxSeq", c.LocalMaxSeq)
	b = jsonappend.Int(b, "version", c.Version)
	b = jsonappend.Bool(b, "mentionedMe", c.MentionedMe)
	b = jsonappend.Int(b, "messageVersion", c.MessageVersion)
	b = jsonappend.Int(b, "changesVersion", c.ChangesVersion)
	b = jsonappend.Int(b, "peerReadSeq", c.PeerReadSeq)
	b = jsonappend.Int(b, "deletesVersion", c.DeletesVersion)
	if c.ReceiptVersion != 0 {
		b = jsonappend.Int(b, "receiptVersion", c.ReceiptVersion)
	}
	if c.Removed {
		b = jsonappend.Bool(b, "removed", true)
	}
	if c.HiddenUntilSeq != 0 {
		b = jsonappend.Int(b, "hiddenUntilSeq", c.HiddenUntilSeq)
	}
	if c.IsHidden {
		b = jsonappend.Bool(b, "isHidden", true)
	}
	if c.DraftPending {
		b = jsonappend.Bool(b, "draftPending", true)
	}
	return append(b, '}'), true
}

// appendList appends the JSON array of xs (null for a nil slice, as
// json.Marshal writes it).
func appendList[T any](b []byte, xs []T, appendOne func([]byte, *T) ([]byte, bool)) ([]byte, bool) {
	if xs == nil {
		return append(b, "null"...), true
	}
	if b == nil {
		// About what a conversation with its latest message takes, so
		// that the list is not copied over and over as it grows.
		b = make([]byte, 0, 1024*len(xs)+16)
	}
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendOne(b, &xs[i]); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendJSON appends v's JSON for conversations (the list, and
// conversationsChanged); false for any other type, or a value only
// json.Marshal can write. Messages alone (newMessages, history) stay with
// json.Marshal: with inlining off outside the runtime and encoding/json
// (build.sh), the appenders' calls cost about what its cached reflection
// does per message, and measured no faster in a catch-up.
func appendJSON(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case []core.Conversation:
		return appendList(b, x, appendConversation)
	case core.Conversation:
		return appendConversation(b, &x)
	}
	return b, false
}
