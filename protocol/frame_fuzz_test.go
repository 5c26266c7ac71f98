package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// requestShapes are the data types of every request, keyed by type, as the
// server decodes them.
func requestShapes() map[string]func() any {
	return map[string]func() any{
		ReqSend:                func() any { return new(SendReq) },
		ReqSync:                func() any { return new(SyncReq) },
		ReqPull:                func() any { return new(PullReq) },
		ReqMarkRead:            func() any { return new(MarkReadReq) },
		ReqSetPinned:           func() any { return new(SetPinnedReq) },
		ReqSetDraft:            func() any { return new(SetDraftReq) },
		ReqGetUsers:            func() any { return new(GetUsersReq) },
		ReqSetSelf:             func() any { return new(SetSelfReq) },
		ReqFindUser:            func() any { return new(FindUserReq) },
		ReqAddFriend:           func() any { return new(AddFriendReq) },
		ReqAcceptFriend:        func() any { return new(UserIDReq) },
		ReqCreateGroup:         func() any { return new(CreateGroupReq) },
		ReqGetGroupMembers:     func() any { return new(GroupIDReq) },
		ReqKickGroupMember:     func() any { return new(GroupMemberReq) },
		ReqQuitGroup:           func() any { return new(GroupIDReq) },
		PushGroupMemberRemoved: func() any { return new(GroupMemberRemoved) },
		ReqBlockUser:           func() any { return new(UserIDReq) },
		ReqUnblockUser:         func() any { return new(UserIDReq) },
		PushMessage:            func() any { return new(Message) },
		PushConversation:       func() any { return new(ConversationState) },
		PushKicked:             func() any { return new(Kicked) },
		ReqListFriendRequests:  func() any { return new(FriendRequestsResp) },
	}
}

// FuzzDecodeFrame decodes arbitrary bytes as a frame and its data as every
// request shape: it never panics, every failure is an invalid_argument
// *Error, and a decoded frame encodes and decodes back to itself.
func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		`{"id":"1","type":"ping"}`,
		`{"id":"2","type":"send","data":{"clientMsgID":"c","recvID":"ub","contentType":"text","content":{"text":"hi"}}}`,
		`{"id":"3","type":"pull","data":{"ranges":[{"conversationID":"si_a_b","fromSeq":1,"limit":500,"latest":true}]}}`,
		`{"id":"4","type":"sync","data":{"cursor":-1,"limit":1e9}}`,
		`{"id":"5","type":"user.setSelf","data":{"nickname":null}}`,
		`{"type":"push.kicked","data":{"reason":"replaced"}}`,
		`{"id":"6","type":"ping","error":{"code":"internal","message":"x"}}`,
		`{"id":{},"type":[]}`,
		`{"type":"a"} {"type":"b"}`,
		"\xff\xfe",
		`null`,
		``,
	} {
		f.Add([]byte(seed))
	}
	shapes := requestShapes()
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != CodeInvalidArgument {
				t.Fatalf("DecodeFrame error %v is not invalid_argument", err)
			}
			return
		}
		if fr.Type == "" {
			t.Fatal("decoded a frame without a type")
		}
		for typ, mk := range shapes {
			if err := DecodeData(fr.Data, mk()); err != nil && CodeOf(err) != CodeInvalidArgument {
				t.Fatalf("DecodeData(%s) error %v is not invalid_argument", typ, err)
			}
		}
		// Round trip: what decoded re-encodes to an equal frame.
		var data any
		if len(fr.Data) > 0 {
			data = fr.Data
		}
		out, err := EncodeFrame(fr.ID, fr.Type, data)
		if err != nil {
			t.Fatalf("EncodeFrame: %v", err)
		}
		back, err := DecodeFrame(out)
		if err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if back.ID != fr.ID || back.Type != fr.Type {
			t.Fatalf("round trip changed the frame: %+v -> %+v", fr, back)
		}
		if len(fr.Data) > 0 && string(fr.Data) != "null" && !jsonEqual(fr.Data, back.Data) {
			t.Fatalf("round trip changed data: %s -> %s", fr.Data, back.Data)
		}
	})
}

// jsonEqual compares two JSON texts by value. Numbers are kept as written
// (UseNumber): 1E700 is valid JSON that no float64 holds.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if decodeNumbers(a, &x) != nil || decodeNumbers(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func decodeNumbers(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
