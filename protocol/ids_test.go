package protocol

import "testing"

func TestConversationIDs(t *testing.T) {
	if got := SingleConversationID("bob", "alice"); got != "si_alice_bob" {
		t.Fatalf("SingleConversationID = %q", got)
	}
	if got := SingleConversationID("B", "a"); got != "si_B_a" {
		t.Fatalf("byte-wise order: got %q", got)
	}
	st, a, b, ok := ParseConversationID("si_alice_bob")
	if !ok || st != SessionSingle || a != "alice" || b != "bob" {
		t.Fatalf("parse single: %v %q %q %v", st, a, b, ok)
	}
	st, g, _, ok := ParseConversationID(GroupConversationID("g1"))
	if !ok || st != SessionGroup || g != "g1" {
		t.Fatalf("parse group: %v %q %v", st, g, ok)
	}
	for _, bad := range []string{"", "si_", "si_a", "si_b_a", "sg_", "sg_a_b", "xx_a_b", "si_a_b_c", "si_-a_b"} {
		if _, _, _, ok := ParseConversationID(bad); ok {
			t.Errorf("ParseConversationID(%q) accepted", bad)
		}
	}
}

func TestValidID(t *testing.T) {
	for _, s := range []string{"a", "alice", "u-1.x@y", "A9"} {
		if !ValidID(s) {
			t.Errorf("ValidID(%q) = false", s)
		}
	}
	long := make([]byte, MaxIDLen+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, s := range []string{"", "a_b", "-a", "a b", "é", string(long)} {
		if ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
}

func TestDecodeFrame(t *testing.T) {
	f, err := DecodeFrame([]byte(`{"id":"1","type":"ping"}`))
	if err != nil || f.ID != "1" || f.Type != ReqPing || f.IsPush() {
		t.Fatalf("DecodeFrame: %+v %v", f, err)
	}
	for _, bad := range []string{``, `[]`, `{}`, `{"type":1}`, `{"type":"a"} x`, `nul`} {
		if _, err := DecodeFrame([]byte(bad)); CodeOf(err) != CodeInvalidArgument {
			t.Errorf("DecodeFrame(%q) err = %v", bad, err)
		}
	}
}
