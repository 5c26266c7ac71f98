package server_test

import (
	"testing"
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
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) > 32<<10 {
			t.Skip()
		}
		e := newEnv(t)
		_, tok := e.register("fuzzer")
		c := e.dial(tok)
		c.lenient.Store(true)
		c.writeRaw(frame)
		c.ping()
	})
}
