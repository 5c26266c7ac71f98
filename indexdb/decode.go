//go:build js

package indexdb

import (
	"syscall/js"

	"parley/core"
	"parley/protocol"
)

// The record decoders below read a stored record's fields straight from
// the JS object instead of JSON.stringify then json.Unmarshal, for reads of
// up to directDecodeLimit records (a page of the list, its peers'
// profiles, messages). That skips encoding/json's reflection: in a Go
// runtime a few hundred milliseconds old, building json's decoders for
// these types cost the first page of the conversation list about 150 ms
// (docs/benchmarks.md).
// They read the fields the JSON encoding of the record writes (newMsgRecord,
// newConvRecord and core's json tags); TestRecordDecodersCoverEveryField
// fails when core gains a field they do not read.

// jsString is a string field, "" when absent or not a string.
func jsString(v js.Value, key string) string {
	f := v.Get(key)
	if f.Type() != js.TypeString {
		return ""
	}
	return f.String()
}

// jsInt is an integer field, 0 when absent or not a number. Stored numbers
// came from int64s that JSON.parse made doubles; all fit in 2^53.
func jsInt(v js.Value, key string) int64 {
	f := v.Get(key)
	if f.Type() != js.TypeNumber {
		return 0
	}
	return int64(f.Float())
}

// jsBool is a boolean field, false when absent or not a boolean.
func jsBool(v js.Value, key string) bool {
	f := v.Get(key)
	return f.Type() == js.TypeBoolean && f.Bool()
}

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

// messageOfJS decodes a stored message record (msgRecord's JSON).
func messageOfJS(v js.Value) core.Message {
	m := core.Message{
		ClientMsgID:    jsString(v, "clientMsgID"),
		ServerMsgID:    jsString(v, "serverMsgID"),
		ConversationID: jsString(v, "conversationID"),
		Seq:            jsInt(v, "seq"),
		SendID:         jsString(v, "sendID"),
		RecvID:         jsString(v, "recvID"),
		GroupID:        jsString(v, "groupID"),
		SessionType:    protocol.SessionType(jsString(v, "sessionType")),
		ContentType:    jsString(v, "contentType"),
		Text:           jsString(v, "text"),
		SendTime:       jsInt(v, "sendTime"),
		CreateTime:     jsInt(v, "createTime"),
		Status:         core.MessageStatus(jsString(v, "status")),
		ErrorCode:      protocol.Code(jsString(v, "errorCode")),
		Version:        jsInt(v, "version"),
		EditTime:       jsInt(v, "editTime"),
		IsRead:         jsBool(v, "isRead"),
		ReadCount:      int(jsInt(v, "readCount")),
		IsPinned:       jsBool(v, "isPinned"),
		PinnedBy:       jsString(v, "pinnedBy"),
		PinTime:        jsInt(v, "pinTime"),
		Deleted:        jsBool(v, "deleted"),
	}
	// Content is stored as a string holding the raw JSON (msgRecord).
	if c := jsString(v, "content"); c != "" {
		m.Content = []byte(c)
	}
	m.Uploads = uploadsOfJSON(jsString(v, "uploads"))
	eachRecord(v.Get("reactions"), func(r js.Value) {
		x := core.Reaction{Emoji: jsString(r, "emoji"), Count: int(jsInt(r, "count")), ReactedByMe: jsBool(r, "reactedByMe")}
		eachRecord(r.Get("userIDs"), func(u js.Value) { x.UserIDs = append(x.UserIDs, u.String()) })
		m.Reactions = append(m.Reactions, x)
	})
	return m
}

// conversationOfJS decodes a stored conversation record (convRecord's
// JSON).
func conversationOfJS(v js.Value) core.Conversation {
	c := core.Conversation{
		ConversationID: jsString(v, "conversationID"),
		SessionType:    protocol.SessionType(jsString(v, "sessionType")),
		UserID:         jsString(v, "userID"),
		GroupID:        jsString(v, "groupID"),
		ShowName:       jsString(v, "showName"),
		FaceURL:        jsString(v, "faceURL"),
		UnreadCount:    jsInt(v, "unreadCount"),
		IsPinned:       jsBool(v, "isPinned"),
		IsMuted:        jsBool(v, "isMuted"),
		DraftText:      jsString(v, "draftText"),
		UpdatedAt:      jsInt(v, "updatedAt"),
		MaxSeq:         jsInt(v, "maxSeq"),
		MinSeq:         jsInt(v, "minSeq"),
		ReadSeq:        jsInt(v, "readSeq"),
		ServerReadSeq:  jsInt(v, "serverReadSeq"),
		LocalMaxSeq:    jsInt(v, "localMaxSeq"),
		Version:        jsInt(v, "version"),
		MessageVersion: jsInt(v, "messageVersion"),
		ChangesVersion: jsInt(v, "changesVersion"),
		PeerReadSeq:    jsInt(v, "peerReadSeq"),
		DeletesVersion: jsInt(v, "deletesVersion"),
		ReceiptVersion: jsInt(v, "receiptVersion"),
		Removed:        jsBool(v, "removed"),
		MentionedMe:    jsBool(v, "mentionedMe"),
		HiddenUntilSeq: jsInt(v, "hiddenUntilSeq"),
		IsHidden:       jsBool(v, "isHidden"),
		DraftPending:   jsBool(v, "draftPending"),
	}
	if lm := v.Get("latestMessage"); lm.Type() == js.TypeObject {
		m := messageOfJS(lm)
		c.LatestMessage = &m
	}
	return c
}

// userOfJS decodes a stored profile.
func userOfJS(v js.Value) core.User {
	return core.User{
		UserID:   jsString(v, "userID"),
		Username: jsString(v, "username"),
		Nickname: jsString(v, "nickname"),
		FaceURL:  jsString(v, "faceURL"),
		Remark:   jsString(v, "remark"),
		Ex:       jsString(v, "ex"),
	}
}

// friendRequestOfJS decodes a stored friend request.
func friendRequestOfJS(v js.Value) core.FriendRequest {
	r := core.FriendRequest{
		FromUserID: jsString(v, "fromUserID"),
		ToUserID:   jsString(v, "toUserID"),
		Message:    jsString(v, "message"),
		State:      jsString(v, "state"),
		CreateTime: jsInt(v, "createTime"),
		HandleTime: jsInt(v, "handleTime"),
	}
	if fu := v.Get("fromUser"); fu.Type() == js.TypeObject {
		u := protocol.User{
			UserID:   jsString(fu, "userID"),
			Username: jsString(fu, "username"),
			Nickname: jsString(fu, "nickname"),
			FaceURL:  jsString(fu, "faceURL"),
			Remark:   jsString(fu, "remark"),
			Ex:       jsString(fu, "ex"),
		}
		r.FromUser = &u
	}
	return r
}

// directDecodeLimit is the most records decoded field by field. Each
// string field read is a crossing into JavaScript and a copy (about
// 0.2-0.4 ms per conversation record profiled under load), which beats
// JSON.stringify and json.Unmarshal for a page (no reflection to set up)
// but not for the whole list of 1,000 conversations, read after the first
// page, when json's decoders are worth building.
const directDecodeLimit = 100

// viaJSON decodes the JS array arr into a slice of R with one
// JSON.stringify and json.Unmarshal, converting each with conv.
func viaJSON[R, T any](arr js.Value, conv func(*R) T) ([]T, error) {
	var recs []R
	if err := fromJS(arr, &recs); err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, nil
	}
	out := make([]T, len(recs))
	for i := range recs {
		out[i] = conv(&recs[i])
	}
	return out, nil
}

// decodeAll decodes the records of the JS array arr from offset on:
// field by field up to directDecodeLimit records, through JSON beyond.
func decodeAll[R, T any](arr js.Value, offset int, direct func(js.Value) T, conv func(*R) T) ([]T, error) {
	if arr.IsUndefined() || arr.IsNull() {
		return nil, nil
	}
	n := arr.Length()
	if n-offset > directDecodeLimit {
		out, err := viaJSON(arr, conv)
		if err != nil || offset >= len(out) {
			return nil, err
		}
		return out[offset:], nil
	}
	var out []T
	for i := offset; i < n; i++ {
		out = append(out, direct(arr.Index(i)))
	}
	return out, nil
}

func messagesOfJS(arr js.Value) ([]core.Message, error) {
	return decodeAll(arr, 0, messageOfJS, (*msgRecord).message)
}

func conversationsOfJS(arr js.Value, offset int) ([]core.Conversation, error) {
	return decodeAll(arr, offset, conversationOfJS, (*convRecord).conversation)
}

func usersOfJS(arr js.Value) ([]core.User, error) {
	return decodeAll(arr, 0, userOfJS, func(u *core.User) core.User { return *u })
}

// groupOfJS decodes a stored group.
func groupOfJS(v js.Value) core.Group {
	return core.Group{
		GroupID:      jsString(v, "groupID"),
		Name:         jsString(v, "name"),
		FaceURL:      jsString(v, "faceURL"),
		OwnerUserID:  jsString(v, "ownerUserID"),
		MemberCount:  int(jsInt(v, "memberCount")),
		CreateTime:   jsInt(v, "createTime"),
		Introduction: jsString(v, "introduction"),
		Notification: jsString(v, "notification"),
		JoinPolicy:   jsString(v, "joinPolicy"),
		IsMuted:      jsBool(v, "isMuted"),
		MyRole:       jsString(v, "myRole"),
		Dismissed:    jsBool(v, "dismissed"),
	}
}

// groupMemberOfJS decodes a stored group member.
func groupMemberOfJS(v js.Value) core.GroupMember {
	return core.GroupMember{
		GroupID:     jsString(v, "groupID"),
		UserID:      jsString(v, "userID"),
		Role:        jsString(v, "role"),
		JoinTime:    jsInt(v, "joinTime"),
		Nickname:    jsString(v, "nickname"),
		MuteEndTime: jsInt(v, "muteEndTime"),
	}
}

// outboxEntryOfJS decodes a stored outbox entry (outboxRecord's JSON).
func outboxEntryOfJS(v js.Value) core.OutboxEntry {
	return core.OutboxEntry{
		ClientMsgID:    jsString(v, "clientMsgID"),
		ConversationID: jsString(v, "conversationID"),
		RecvID:         jsString(v, "recvID"),
		GroupID:        jsString(v, "groupID"),
		Order:          jsInt(v, "order"),
		EnqueuedAt:     jsInt(v, "enqueuedAt"),
		Deadline:       jsInt(v, "deadline"),
		Attempts:       int(jsInt(v, "attempts")),
		LastError:      jsString(v, "lastError"),
	}
}
