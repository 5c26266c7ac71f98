//go:build js

package indexdb

import (
	"strconv"
	"unicode/utf8"

	"parley/core"
)

// The appenders below write the JSON of message and conversation records
// (what json.Marshal writes for msgRecord and convRecord) without
// encoding/json's reflection: a catch-up of 10,000 messages marshalled
// every record, 0.2-0.3 s of the page's main thread (docs/benchmarks.md).
// The JSON still crosses to JavaScript as one string per batch, parsed
// once. TestRecordAppendersMatchJSON compares them with json.Marshal.

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as json.Marshal does.
func appendJSONString(b []byte, s string) []byte {
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

// field appends `,"key":` (without the comma for the first field).
func field(b []byte, key string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func strField(b []byte, key, v string) []byte {
	return appendJSONString(field(b, key), v)
}

func intField(b []byte, key string, v int64) []byte {
	return strconv.AppendInt(field(b, key), v, 10)
}

func boolField(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(field(b, key), v)
}

// appendMessageRecord appends newMsgRecord(m)'s JSON; withKeys false leaves
// out the index keys (a conversation's latest message).
func appendMessageRecord(b []byte, m *core.Message, withKeys bool) []byte {
	b = append(b, '{')
	b = strField(b, "clientMsgID", m.ClientMsgID)
	b = strField(b, "serverMsgID", m.ServerMsgID)
	b = strField(b, "conversationID", m.ConversationID)
	b = intField(b, "seq", m.Seq)
	b = strField(b, "sendID", m.SendID)
	b = strField(b, "recvID", m.RecvID)
	b = strField(b, "groupID", m.GroupID)
	b = strField(b, "sessionType", string(m.SessionType))
	b = strField(b, "contentType", m.ContentType)
	b = strField(b, "text", m.Text)
	b = intField(b, "sendTime", m.SendTime)
	b = intField(b, "createTime", m.CreateTime)
	b = strField(b, "status", string(m.Status))
	if m.ErrorCode != "" {
		b = strField(b, "errorCode", string(m.ErrorCode))
	}
	b = intField(b, "version", m.Version)
	b = intField(b, "editTime", m.EditTime)
	b = boolField(b, "isPinned", m.IsPinned)
	b = strField(b, "pinnedBy", m.PinnedBy)
	b = intField(b, "pinTime", m.PinTime)
	b = boolField(b, "isRead", m.IsRead)
	if m.Deleted {
		b = boolField(b, "deleted", true)
	}
	if len(m.Reactions) > 0 {
		b = append(field(b, "reactions"), '[')
		for i, r := range m.Reactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = strField(append(b, '{'), "emoji", r.Emoji)
			b = append(intField(b, "count", int64(r.Count)), `,"userIDs":[`...)
			for j, u := range r.UserIDs {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, u)
			}
			b = append(boolField(append(b, ']'), "reactedByMe", r.ReactedByMe), '}')
		}
		b = append(b, ']')
	}
	b = intField(b, "readCount", int64(m.ReadCount))
	// Content is kept as a string of its exact bytes (see msgRecord).
	if len(m.Content) > 0 {
		b = strField(b, "content", string(m.Content))
	}
	if len(m.Uploads) > 0 {
		b = strField(b, "uploads", uploadsJSON(m.Uploads))
	}
	if withKeys {
		if m.Seq > 0 {
			b = append(field(b, "_cs"), '[')
			b = appendJSONString(b, m.ConversationID)
			b = append(b, ',')
			b = strconv.AppendInt(b, m.Seq, 10)
			b = append(b, ']')
		} else {
			b = append(field(b, "_us"), '[')
			b = appendJSONString(b, m.ConversationID)
			b = append(b, ',')
			b = strconv.AppendInt(b, m.CreateTime, 10)
			b = append(b, ',')
			b = appendJSONString(b, m.ClientMsgID)
			b = append(b, ']')
		}
	}
	return append(b, '}')
}

// appendConversationRecord appends newConvRecord(c)'s JSON.
func appendConversationRecord(b []byte, c *core.Conversation) []byte {
	b = append(b, '{')
	b = strField(b, "conversationID", c.ConversationID)
	b = strField(b, "sessionType", string(c.SessionType))
	b = strField(b, "userID", c.UserID)
	b = strField(b, "groupID", c.GroupID)
	b = strField(b, "showName", c.ShowName)
	b = strField(b, "faceURL", c.FaceURL)
	b = intField(b, "unreadCount", c.UnreadCount)
	b = boolField(b, "isPinned", c.IsPinned)
	b = boolField(b, "isMuted", c.IsMuted)
	b = strField(b, "draftText", c.DraftText)
	b = intField(b, "updatedAt", c.UpdatedAt)
	b = intField(b, "maxSeq", c.MaxSeq)
	b = intField(b, "minSeq", c.MinSeq)
	b = intField(b, "readSeq", c.ReadSeq)
	b = intField(b, "serverReadSeq", c.ServerReadSeq)
	b = intField(b, "localMaxSeq", c.LocalMaxSeq)
	b = intField(b, "version", c.Version)
	b = boolField(b, "mentionedMe", c.MentionedMe)
	b = intField(b, "messageVersion", c.MessageVersion)
	b = intField(b, "changesVersion", c.ChangesVersion)
	b = intField(b, "peerReadSeq", c.PeerReadSeq)
	b = intField(b, "deletesVersion", c.DeletesVersion)
	if c.ReceiptVersion != 0 {
		b = intField(b, "receiptVersion", c.ReceiptVersion)
	}
	if c.Removed {
		b = boolField(b, "removed", true)
	}
	if c.HiddenUntilSeq != 0 {
		b = intField(b, "hiddenUntilSeq", c.HiddenUntilSeq)
	}
	if c.IsHidden {
		b = boolField(b, "isHidden", true)
	}
	if c.DraftPending {
		b = boolField(b, "draftPending", true)
	}
	b = field(b, "latestMessage")
	if c.LatestMessage != nil {
		b = appendMessageRecord(b, c.LatestMessage, false)
	} else {
		b = append(b, "null"...)
	}
	if c.IsHidden {
		return append(b, '}') // no _list: off the list index
	}
	pinned, negActivity, _ := listKeyParts(c)
	b = append(field(b, "_list"), '[')
	b = strconv.AppendInt(b, int64(pinned), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, negActivity, 10)
	b = append(b, ',')
	b = appendJSONString(b, c.ConversationID)
	return append(b, ']', '}')
}

// appendArgLists appends the JSON array of one-argument lists
// [[r0],[r1],…] of the records in rs, each written by appendRec (see
// Store.Apply).
func appendArgLists[T any](b []byte, rs []T, appendRec func([]byte, *T) []byte) []byte {
	b = append(b, '[')
	for i := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendRec(b, &rs[i])
		b = append(b, ']')
	}
	return append(b, ']')
}
