//go:build js

package wasmwrapper

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"parley/core"
)

// The appenders below write what json.Marshal writes for conversations
// (with their latest messages), field for field and in the same order,
// without encoding/json's reflection: the whole list of 1,000
// conversations cost ~80 ms of json.Marshal in the worker, ~45 ms this
// way (docs/benchmarks.md). ToJS still parses the result once with
// JSON.parse. TestAppendersMatchJSON compares them with json.Marshal.

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD,
// as json.Marshal does (which also escapes <, > and &, and U+2028 and
// U+2029: JSON.parse reads either the same).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// key appends `,"k":`, or `"k":` right after the object's '{'.
func key(b []byte, k string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func str(b []byte, k, v string) []byte       { return appendString(key(b, k), v) }
func num(b []byte, k string, v int64) []byte { return strconv.AppendInt(key(b, k), v, 10) }
func boolean(b []byte, k string, v bool) []byte {
	return strconv.AppendBool(key(b, k), v)
}

// appendMessage appends m as json.Marshal does; false when m holds what
// only json.Marshal can judge (content that is not valid JSON, which it
// refuses) or write (uploads).
func appendMessage(b []byte, m *core.Message) ([]byte, bool) {
	if len(m.Content) > 0 && !json.Valid(m.Content) {
		return b, false
	}
	b = append(b, '{')
	b = str(b, "clientMsgID", m.ClientMsgID)
	b = str(b, "serverMsgID", m.ServerMsgID)
	b = str(b, "conversationID", m.ConversationID)
	b = num(b, "seq", m.Seq)
	b = str(b, "sendID", m.SendID)
	b = str(b, "recvID", m.RecvID)
	b = str(b, "groupID", m.GroupID)
	b = str(b, "sessionType", string(m.SessionType))
	b = str(b, "contentType", m.ContentType)
	b = str(b, "text", m.Text)
	if len(m.Content) > 0 {
		b = append(key(b, "content"), m.Content...)
	}
	b = num(b, "sendTime", m.SendTime)
	b = num(b, "createTime", m.CreateTime)
	b = str(b, "status", string(m.Status))
	if m.ErrorCode != "" {
		b = str(b, "errorCode", string(m.ErrorCode))
	}
	if len(m.Uploads) > 0 {
		u, err := json.Marshal(m.Uploads)
		if err != nil {
			return b, false
		}
		b = append(key(b, "uploads"), u...)
	}
	b = num(b, "version", m.Version)
	b = num(b, "editTime", m.EditTime)
	b = boolean(b, "isPinned", m.IsPinned)
	b = str(b, "pinnedBy", m.PinnedBy)
	b = num(b, "pinTime", m.PinTime)
	b = boolean(b, "isRead", m.IsRead)
	if m.Deleted {
		b = boolean(b, "deleted", true)
	}
	if len(m.Reactions) > 0 {
		b = append(key(b, "reactions"), '[')
		for i, r := range m.Reactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = str(append(b, '{'), "emoji", r.Emoji)
			b = num(b, "count", int64(r.Count))
			b = key(b, "userIDs")
			if r.UserIDs == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, '[')
				for j, u := range r.UserIDs {
					if j > 0 {
						b = append(b, ',')
					}
					b = appendString(b, u)
				}
				b = append(b, ']')
			}
			b = append(boolean(b, "reactedByMe", r.ReactedByMe), '}')
		}
		b = append(b, ']')
	}
	b = num(b, "readCount", int64(m.ReadCount))
	return append(b, '}'), true
}

// appendConversation appends c as json.Marshal does; false as appendMessage.
func appendConversation(b []byte, c *core.Conversation) ([]byte, bool) {
	b = append(b, '{')
	b = str(b, "conversationID", c.ConversationID)
	b = str(b, "sessionType", string(c.SessionType))
	b = str(b, "userID", c.UserID)
	b = str(b, "groupID", c.GroupID)
	b = str(b, "showName", c.ShowName)
	b = str(b, "faceURL", c.FaceURL)
	b = key(b, "latestMessage")
	if c.LatestMessage == nil {
		b = append(b, "null"...)
	} else {
		var ok bool
		if b, ok = appendMessage(b, c.LatestMessage); !ok {
			return b, false
		}
	}
	b = num(b, "unreadCount", c.UnreadCount)
	b = boolean(b, "isPinned", c.IsPinned)
	b = boolean(b, "isMuted", c.IsMuted)
	b = str(b, "draftText", c.DraftText)
	b = num(b, "updatedAt", c.UpdatedAt)
	b = num(b, "maxSeq", c.MaxSeq)
	b = num(b, "minSeq", c.MinSeq)
	b = num(b, "readSeq", c.ReadSeq)
	b = num(b, "serverReadSeq", c.ServerReadSeq)
	b = num(b, "localMaxSeq", c.LocalMaxSeq)
	b = num(b, "version", c.Version)
	b = boolean(b, "mentionedMe", c.MentionedMe)
	b = num(b, "messageVersion", c.MessageVersion)
	b = num(b, "changesVersion", c.ChangesVersion)
	b = num(b, "peerReadSeq", c.PeerReadSeq)
	b = num(b, "deletesVersion", c.DeletesVersion)
	if c.ReceiptVersion != 0 {
		b = num(b, "receiptVersion", c.ReceiptVersion)
	}
	if c.Removed {
		b = boolean(b, "removed", true)
	}
	if c.HiddenUntilSeq != 0 {
		b = num(b, "hiddenUntilSeq", c.HiddenUntilSeq)
	}
	if c.IsHidden {
		b = boolean(b, "isHidden", true)
	}
	if c.DraftPending {
		b = boolean(b, "draftPending", true)
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
