//go:build js

package indexdb

import (
	"syscall/js"

	"parley/core"
	"parley/protocol"
)

// The record decoders below read the JSON that JSON.stringify makes of
// the records a read returned (one crossing out of JavaScript per read)
// with the hand-made jsonReader: neither encoding/json's reflection (0.3
// ms per conversation record, 0.3 s for a list of 1,000) nor one crossing
// per field (0.5 ms per record) (docs/benchmarks.md).
//
// They read the fields the JSON encoding of the record writes
// (appendMessageRecord, appendConversationRecord and core's json tags);
// TestRecordDecodersCoverEveryField fails when core gains a field they do
// not read. A new field is one more case in the record's switch.

// eachRecord calls fn with every element of the JS array arr (nothing
// when arr is undefined or null).
func eachRecord(arr js.Value, fn func(js.Value)) {
	if arr.IsUndefined() || arr.IsNull() {
		return
	}
	n := arr.Length()
	for i := 0; i < n; i++ {
		fn(arr.Index(i))
	}
}

// readAll reads the records of the JS array arr from offset on, calling
// read for each. It is not generic on purpose: one copy of it in the
// module instead of one per record type.
func readAll(arr js.Value, offset int, read func(*jsonReader)) error {
	if arr.IsUndefined() || arr.IsNull() {
		return nil
	}
	if offset > 0 {
		if offset >= arr.Length() {
			return nil
		}
		arr = arr.Call("slice", offset)
	}
	r := &jsonReader{s: js.Global().Get("JSON").Call("stringify", arr).String()}
	r.array(func() { read(r) })
	return r.err
}

// readMessage reads a stored message record.
func readMessage(r *jsonReader) core.Message {
	var m core.Message
	r.object(func(key string) {
		switch key {
		case "clientMsgID":
			m.ClientMsgID = r.str()
		case "serverMsgID":
			m.ServerMsgID = r.str()
		case "conversationID":
			m.ConversationID = r.str()
		case "seq":
			m.Seq = r.int()
		case "sendID":
			m.SendID = r.str()
		case "recvID":
			m.RecvID = r.str()
		case "groupID":
			m.GroupID = r.str()
		case "sessionType":
			m.SessionType = protocol.SessionType(r.str())
		case "contentType":
			m.ContentType = r.str()
		case "text":
			m.Text = r.str()
		case "sendTime":
			m.SendTime = r.int()
		case "createTime":
			m.CreateTime = r.int()
		case "status":
			m.Status = core.MessageStatus(r.str())
		case "errorCode":
			m.ErrorCode = protocol.Code(r.str())
		case "version":
			m.Version = r.int()
		case "editTime":
			m.EditTime = r.int()
		case "isRead":
			m.IsRead = r.bool()
		case "readCount":
			m.ReadCount = int(r.int())
		case "reactions":
			m.Reactions = readReactions(r)
		case "isPinned":
			m.IsPinned = r.bool()
		case "pinnedBy":
			m.PinnedBy = r.str()
		case "pinTime":
			m.PinTime = r.int()
		case "deleted":
			m.Deleted = r.bool()
		case "content":
			// Stored as a string holding the raw JSON (msgRecord).
			if c := r.str(); c != "" {
				m.Content = []byte(c)
			}
		case "uploads":
			m.Uploads = uploadsOfJSON(r.str())
		default:
			r.skip()
		}
	})
	return m
}

// readConversation reads a stored conversation record.
func readConversation(r *jsonReader) core.Conversation {
	var c core.Conversation
	r.object(func(key string) {
		switch key {
		case "conversationID":
			c.ConversationID = r.str()
		case "sessionType":
			c.SessionType = protocol.SessionType(r.str())
		case "userID":
			c.UserID = r.str()
		case "groupID":
			c.GroupID = r.str()
		case "showName":
			c.ShowName = r.str()
		case "faceURL":
			c.FaceURL = r.str()
		case "unreadCount":
			c.UnreadCount = r.int()
		case "isPinned":
			c.IsPinned = r.bool()
		case "isMuted":
			c.IsMuted = r.bool()
		case "draftText":
			c.DraftText = r.str()
		case "updatedAt":
			c.UpdatedAt = r.int()
		case "maxSeq":
			c.MaxSeq = r.int()
		case "minSeq":
			c.MinSeq = r.int()
		case "readSeq":
			c.ReadSeq = r.int()
		case "serverReadSeq":
			c.ServerReadSeq = r.int()
		case "localMaxSeq":
			c.LocalMaxSeq = r.int()
		case "version":
			c.Version = r.int()
		case "messageVersion":
			c.MessageVersion = r.int()
		case "changesVersion":
			c.ChangesVersion = r.int()
		case "peerReadSeq":
			c.PeerReadSeq = r.int()
		case "deletesVersion":
			c.DeletesVersion = r.int()
		case "removed":
			c.Removed = r.bool()
		case "mentionedMe":
			c.MentionedMe = r.bool()
		case "receiptVersion":
			c.ReceiptVersion = r.int()
		case "hiddenUntilSeq":
			c.HiddenUntilSeq = r.int()
		case "isHidden":
			c.IsHidden = r.bool()
		case "draftPending":
			c.DraftPending = r.bool()
		case "latestMessage":
			if r.peek() == '{' {
				m := readMessage(r)
				c.LatestMessage = &m
			} else {
				r.skip()
			}
		default:
			r.skip()
		}
	})
	return c
}

// readUser reads a stored profile.
func readUser(r *jsonReader) core.User {
	var u core.User
	r.object(func(key string) {
		switch key {
		case "userID":
			u.UserID = r.str()
		case "username":
			u.Username = r.str()
		case "nickname":
			u.Nickname = r.str()
		case "faceURL":
			u.FaceURL = r.str()
		case "remark":
			u.Remark = r.str()
		case "ex":
			u.Ex = r.str()
		default:
			r.skip()
		}
	})
	return u
}

// readFriendRequest reads a stored friend request.
func readFriendRequest(r *jsonReader) core.FriendRequest {
	var fr core.FriendRequest
	r.object(func(key string) {
		switch key {
		case "fromUserID":
			fr.FromUserID = r.str()
		case "toUserID":
			fr.ToUserID = r.str()
		case "message":
			fr.Message = r.str()
		case "state":
			fr.State = r.str()
		case "createTime":
			fr.CreateTime = r.int()
		case "handleTime":
			fr.HandleTime = r.int()
		case "fromUser":
			if r.peek() == '{' {
				u := protocol.User(readUser(r))
				fr.FromUser = &u
			} else {
				r.skip()
			}
		default:
			r.skip()
		}
	})
	return fr
}

// readGroup reads a stored group.
func readGroup(r *jsonReader) core.Group {
	var g core.Group
	r.object(func(key string) {
		switch key {
		case "groupID":
			g.GroupID = r.str()
		case "name":
			g.Name = r.str()
		case "faceURL":
			g.FaceURL = r.str()
		case "ownerUserID":
			g.OwnerUserID = r.str()
		case "memberCount":
			g.MemberCount = int(r.int())
		case "createTime":
			g.CreateTime = r.int()
		case "introduction":
			g.Introduction = r.str()
		case "notification":
			g.Notification = r.str()
		case "joinPolicy":
			g.JoinPolicy = r.str()
		case "isMuted":
			g.IsMuted = r.bool()
		case "myRole":
			g.MyRole = r.str()
		case "dismissed":
			g.Dismissed = r.bool()
		case "memberVersion":
			g.MemberVersion = r.int()
		default:
			r.skip()
		}
	})
	return g
}

// readGroupMember reads a stored group member.
func readGroupMember(r *jsonReader) core.GroupMember {
	var m core.GroupMember
	r.object(func(key string) {
		switch key {
		case "groupID":
			m.GroupID = r.str()
		case "userID":
			m.UserID = r.str()
		case "role":
			m.Role = r.str()
		case "joinTime":
			m.JoinTime = r.int()
		case "nickname":
			m.Nickname = r.str()
		case "muteEndTime":
			m.MuteEndTime = r.int()
		default:
			r.skip()
		}
	})
	return m
}

// readGroupApplication reads a stored group application.
func readGroupApplication(r *jsonReader) core.GroupApplication {
	var a core.GroupApplication
	r.object(func(key string) {
		switch key {
		case "groupID":
			a.GroupID = r.str()
		case "userID":
			a.UserID = r.str()
		case "message":
			a.Message = r.str()
		case "state":
			a.State = r.str()
		case "createTime":
			a.CreateTime = r.int()
		case "handleTime":
			a.HandleTime = r.int()
		default:
			r.skip()
		}
	})
	return a
}

// readReactions reads a message's reactions ([{emoji, count, userIDs,
// reactedByMe}]); null is none.
func readReactions(r *jsonReader) []core.Reaction {
	var out []core.Reaction
	r.array(func() {
		var x core.Reaction
		r.object(func(key string) {
			switch key {
			case "emoji":
				x.Emoji = r.str()
			case "count":
				x.Count = int(r.int())
			case "reactedByMe":
				x.ReactedByMe = r.bool()
			case "userIDs":
				r.array(func() { x.UserIDs = append(x.UserIDs, r.str()) })
			default:
				r.skip()
			}
		})
		out = append(out, x)
	})
	return out
}

// readOutboxEntry reads a stored outbox entry (outboxRecord).
func readOutboxEntry(r *jsonReader) core.OutboxEntry {
	var e core.OutboxEntry
	r.object(func(key string) {
		switch key {
		case "clientMsgID":
			e.ClientMsgID = r.str()
		case "conversationID":
			e.ConversationID = r.str()
		case "recvID":
			e.RecvID = r.str()
		case "groupID":
			e.GroupID = r.str()
		case "order":
			e.Order = r.int()
		case "enqueuedAt":
			e.EnqueuedAt = r.int()
		case "deadline":
			e.Deadline = r.int()
		case "attempts":
			e.Attempts = int(r.int())
		case "lastError":
			e.LastError = r.str()
		default:
			r.skip()
		}
	})
	return e
}

func messagesOfJS(arr js.Value) (out []core.Message, err error) {
	err = readAll(arr, 0, func(r *jsonReader) { out = append(out, readMessage(r)) })
	return out, err
}

func conversationsOfJS(arr js.Value, offset int) (out []core.Conversation, err error) {
	err = readAll(arr, offset, func(r *jsonReader) { out = append(out, readConversation(r)) })
	return out, err
}

func usersOfJS(arr js.Value) (out []core.User, err error) {
	err = readAll(arr, 0, func(r *jsonReader) { out = append(out, readUser(r)) })
	return out, err
}

// messageOfJS decodes one stored message record (a schema upgrade reads
// them one at a time, by cursor).
func messageOfJS(v js.Value) core.Message {
	return readMessage(&jsonReader{s: js.Global().Get("JSON").Call("stringify", v).String()})
}
