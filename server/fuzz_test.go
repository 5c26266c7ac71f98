package server_test

import (
	"strings"
	"testing"

	"parley/protocol"
	"parley/server"
	"parley/server/httpapi"
)

// FuzzFrames sends arbitrary frames on one connection: whatever they are,
// the server answers without panicking and the connection keeps working.
func FuzzFrames(f *testing.F) {
	for _, seed := range []string{
		`{"id":"1","type":"ping"}`,
		`{"id":"1","type":"send","data":{"clientMsgID":"c","recvID":"ubob","contentType":"text","content":{"text":"hi"}}}`,
		`{"id":"1","type":"send","data":{"clientMsgID":"c","groupID":"g","contentType":"custom","content":{"a":[1,{}]}}}`,
		`{"id":"1","type":"send","data":null}`,
		`{"id":"1","type":"sync","data":{"cursor":-5,"limit":1e9}}`,
		`{"id":"1","type":"pull","data":{"ranges":[{"conversationID":"si_a_b","fromSeq":9223372036854775807,"limit":-1}]}}`,
		`{"id":"1","type":"pull","data":{"ranges":[{"conversationID":"sg_","fromSeq":1}]}}`,
		`{"id":"1","type":"conversation.markRead","data":{"conversationID":"si_b_a","readSeq":3}}`,
		`{"id":"1","type":"conversation.setDraft","data":{"conversationID":"si_a_a","draftText":"\u0000"}}`,
		`{"id":"1","type":"user.get","data":{"userIDs":[null,"",5]}}`,
		`{"id":"1","type":"auth.refreshToken","data":{"token":"p1.e30.AAAA"}}`,
		`{"id":"1","type":"auth.refreshToken","data":{"token":null}}`,
		`{"id":"1","type":"user.setSelf","data":{"nickname":null,"faceURL":""}}`,
		`{"id":"1","type":"friend.add","data":{"userID":"ufuzz"}}`,
		`{"id":"1","type":"group.create","data":{"name":"x","memberUserIDs":["ufuzz","ufuzz"]}}`,
		`{"id":"1","type":"group.members","data":{"groupID":"../../etc"}}`,
		`{"id":{},"type":[],"data":"x"}`,
		`{"id":"1","type":"ping","error":{"code":"internal"}}`,
		"\xff\xfe",
		`null`,
		``,
		// Cut off, id-less, oversized for a small limit (issue 11).
		`{"id":"1","type":"send","data":{"clientMsgID":"c","recvID":"ubob","contentType":"text","content":{"text":"`,
		`{"type":"user.getSelf"}`,
		`{"id":"1","type":"ping","data":"` + strings.Repeat("x", 5000) + `"}`,
		// Values out of their window, names posing as others, avatars
		// that run script.
		`{"id":"1","type":"send","data":{"clientMsgID":"c","recvID":"ubob","contentType":"text","content":{"text":"hi"},"createTime":-1}}`,
		`{"id":"1","type":"send","data":{"clientMsgID":"c","recvID":"ubob","contentType":"text","content":{"text":"hi"},"createTime":9223372036854775807}}`,
		`{"id":"1","type":"user.setSelf","data":{"nickname":"\u202eecila","faceURL":"javascript:alert(1)"}}`,
		`{"id":"1","type":"user.setSelf","data":{"nickname":"a\u0000b","faceURL":"/api/v1/files/../x"}}`,
		`{"id":"1","type":"group.create","data":{"name":"\u2066x\u2069","faceURL":"data:,x","memberUserIDs":[]}}`,
		`{"id":"1","type":"friend.add","data":{"userID":"ufuzz","message":"\u202e"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) > 32<<10 {
			t.Skip()
		}
		e := newEnv(t, func(c *server.Config) { c.MaxFrameBytes = 4096 })
		_, tok := e.register("fuzzer")
		c := e.dial(tok)
		c.lenient.Store(true)
		c.writeRaw(frame)
		c.ping()
		// Whatever the frame did, what others see of the fuzzer is
		// displayable and safe to load.
		var me protocol.User
		c.do(protocol.ReqGetSelf, nil, &me)
		if !httpapi.Displayable(me.Nickname, false) || httpapi.CheckFaceURL(me.FaceURL) != nil {
			t.Fatalf("profile became %+v", me)
		}
		var gs protocol.GroupsResp
		c.do(protocol.ReqListGroups, nil, &gs)
		for _, g := range gs.Groups {
			if !httpapi.Displayable(g.Name, false) || httpapi.CheckFaceURL(g.FaceURL) != nil {
				t.Fatalf("group became %+v", g)
			}
		}
	})
}
