//go:build js

package indexdb

import (
	"strconv"

	"parley/core"
	"parley/jsonappend"
)

// The appenders below write the JSON of message and conversation records
// (what json.Marshal writes for msgRecord and convRecord) without
// encoding/json's reflection: a catch-up of 10,000 messages marshalled
// every record, 0.2-0.3 s of the page's main thread (docs/benchmarks.md).
// The JSON still crosses to JavaScript as one string per batch, parsed
// once. TestRecordAppendersMatchJSON compares them with json.Marshal.

// appendMessageRecord appends newMsgRecord(m)'s JSON; withKeys false leaves
// out the index keys (a conversation's latest message).
func appendMessageRecord(b []byte, m *core.Message, withKeys bool) []byte {
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
	b = jsonappend.Int(b, "sendTime", m.SendTime)
	b = jsonappend.Int(b, "createTime", m.CreateTime)
	b = jsonappend.Str(b, "status", string(m.Status))
	if m.ErrorCode != "" {
		b = jsonappend.Str(b, "errorCode", string(m.ErrorCode))
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
			b = append(jsonappend.Int(b, "count", int64(r.Count)), `,"userIDs":[`...)
			for j, u := range r.UserIDs {
				if j > 0 {
					b = append(b, ',')
				}
				b = jsonappend.String(b, u)
			}
			b = append(jsonappend.Bool(append(b, ']'), "reactedByMe", r.ReactedByMe), '}')
		}
		b = append(b, ']')
	}
	b = jsonappend.Int(b, "readCount", int64(m.ReadCount))
	// Content is kept as a string of its exact bytes (see msgRecord).
	if len(m.Content) > 0 {
		b = jsonappend.Str(b, "content", string(m.Content))
	}
	if len(m.Uploads) > 0 {
		b = jsonappend.Str(b, "uploads", uploadsJSON(m.Uploads))
	}
	if withKeys {
		if m.Seq > 0 {
			b = append(jsonappend.Key(b, "_cs"), '[')
			b = jsonappend.String(b, m.ConversationID)
			b = append(b, ',')
			b = strconv.AppendInt(b, m.Seq, 10)
			b = append(b, ']')
		} else {
			b = append(jsonappend.Key(b, "_us"), '[')
			b = jsonappend.String(b, m.ConversationID)
			b = append(b, ',')
			b = strconv.AppendInt(b, m.CreateTime, 10)
			b = append(b, ',')
			b = jsonappend.String(b, m.ClientMsgID)
			b = append(b, ']')
		}
	}
	return append(b, '}')
}

// appendConversationRecord appends newConvRecord(c)'s JSON.
func appendConversationRecord(b []byte, c *core.Conversation) []byte {
	b = append(b, '{')
	b = jsonappend.Str(b, "conversationID", c.ConversationID)
	b = jsonappend.Str(b, "sessionType", string(c.SessionType))
	b = jsonappend.Str(b, "userID", c.UserID)
	b = jsonappend.Str(b, "groupID", c.GroupID)
	b = jsonappend.Str(b, "showName", c.ShowName)
	b = jsonappend.Str(b, "faceURL", c.FaceURL)
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
	b = jsonappend.Key(b, "latestMessage")
	if c.LatestMessage != nil {
		b = appendMessageRecord(b, c.LatestMessage, false)
	} else {
		b = append(b, "null"...)
	}
	if c.IsHidden {
		return append(b, '}') // no _list: off the list index
	}
	pinned, negActivity, _ := listKeyParts(c)
	b = append(jsonappend.Key(b, "_list"), '[')
	b = strconv.AppendInt(b, int64(pinned), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, negActivity, 10)
	b = append(b, ',')
	b = jsonappend.String(b, c.ConversationID)
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
