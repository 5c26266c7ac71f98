package httpapi

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/protocol"
)

// FuzzBodies decodes arbitrary bytes as the body of each HTTP route and
// validates it: never a panic, every failure a *protocol.Error with
// invalid_argument or too_large, and whatever is accepted obeys the rules.
func FuzzBodies(f *testing.F) {
	for _, seed := range []struct {
		route uint8
		body  string
	}{
		{0, `{"username":"Alice","password":"long enough","nickname":"  A  "}`},
		{0, `{"username":"a","password":"x"}`},
		{1, `{"username":"alice","password":"pw","platform":"ios"}`},
		{1, `{"username":"alice","password":"pw","platform":"<script>"}`},
		{2, `{"userID":"app-user@example.com","nickname":"\u00e9","faceURL":"https://x"}`},
		{3, `{"userID":"u1","platform":""}`},
		{4, `{"ownerUserID":"o","name":" team ","memberUserIDs":["a","b","a"]}`},
		{4, `{"ownerUserID":"o","name":"x","memberUserIDs":[null,"",5]}`},
		{5, `{"userID":"a","friendUserID":"a"}`},
		{6, `{"conversationID":"si_a_b","clientMsgID":"m1","operatorUserID":"mod"}`},
		{6, `{"conversationID":"sg_","clientMsgID":""}`},
		{0, `{} trailing`},
		{0, ``},
		{1, `[` + strings.Repeat(`[`, 100)},
		{2, "\xff\xfe"},
		// Names that pose as others, avatars that run script.
		{0, `{"username":"mallory","password":"long enough","nickname":"\u202eecila"}`},
		{0, `{"username":"mallory","password":"long enough","nickname":"a\u0000b"}`},
		{2, `{"userID":"u1","nickname":"x","faceURL":"javascript:alert(1)"}`},
		{2, `{"userID":"u1","faceURL":"/api/v1/files/../admin"}`},
		{2, `{"userID":"u1","faceURL":"https://user@evil.example/x"}`},
		{4, `{"ownerUserID":"o","name":"\u2066team\u2069","faceURL":"data:text/html,x"}`},
	} {
		f.Add(seed.route, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		var err error
		switch route % 7 {
		case 0:
			var req protocol.RegisterReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				var user, nick string
				if user, nick, err = Register(&req); err == nil {
					if !ValidUsername(user) || nick == "" || !utf8.ValidString(nick) || utf8.RuneCountInString(nick) > MaxNicknameLen || !Displayable(nick, false) ||
						len(req.Password) < MinPasswordLen || len(req.Password) > MaxPasswordLen {
						t.Fatalf("accepted %+v as %q %q", req, user, nick)
					}
				}
			}
		case 1:
			var req protocol.LoginReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				var p string
				if p, err = Login(&req); err == nil && (!protocol.ValidPlatform(p) || req.Username == "" || req.Password == "") {
					t.Fatalf("accepted %+v as %q", req, p)
				}
			}
		case 2:
			var req protocol.AdminCreateUserReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				var nick string
				if nick, err = AdminUser(&req); err == nil && (!protocol.ValidID(req.UserID) || nick == "" || !Displayable(nick, false) || !safeFaceURL(req.FaceURL)) {
					t.Fatalf("accepted %+v", req)
				}
			}
		case 3:
			var req protocol.AdminTokenReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				var p string
				if p, err = AdminToken(&req); err == nil && (!protocol.ValidPlatform(p) || !protocol.ValidID(req.UserID)) {
					t.Fatalf("accepted %+v", req)
				}
			}
		case 4:
			var req AdminCreateGroupReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				var name string
				if name, err = AdminGroup(&req, 10); err == nil {
					if name == "" || strings.TrimSpace(name) != name || !Displayable(name, false) || !safeFaceURL(req.FaceURL) ||
						!protocol.ValidID(req.OwnerUserID) || len(req.MemberUserIDs) > 10 {
						t.Fatalf("accepted %+v", req)
					}
					for _, id := range req.MemberUserIDs {
						if !protocol.ValidID(id) {
							t.Fatalf("accepted member %q", id)
						}
					}
				}
			}
		case 5:
			var req AdminFriendsReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				if err = AdminFriends(&req); err == nil && (req.UserID == req.FriendUserID || !protocol.ValidID(req.UserID)) {
					t.Fatalf("accepted %+v", req)
				}
			}
		case 6:
			var req AdminRevokeMessageReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				if err = AdminRevokeMessage(&req); err == nil {
					_, _, _, ok := protocol.ParseConversationID(req.ConversationID)
					if !ok || req.ClientMsgID == "" || (req.OperatorUserID != "" && !protocol.ValidID(req.OperatorUserID)) {
						t.Fatalf("accepted %+v", req)
					}
				}
			}
		}
		if err == nil {
			return
		}
		var pe *protocol.Error
		if !errors.As(err, &pe) || (pe.Code != protocol.CodeInvalidArgument && pe.Code != protocol.CodeTooLarge) {
			t.Fatalf("error %v is not invalid_argument or too_large", err)
		}
		if pe.Code == protocol.CodeTooLarge && len(body) <= MaxBody {
			t.Fatalf("too_large for %d bytes", len(body))
		}
	})
}

// safeFaceURL is what an accepted faceURL must be, said another way than
// CheckFaceURL says it: nothing, one of the server's files, or a web
// address whose scheme the browser fetches as an image and runs nothing.
func safeFaceURL(u string) bool {
	if u == "" {
		return true
	}
	if len(u) > MaxFaceURLLen || strings.ContainsAny(u, " \t\r\n\x00\\") {
		return false
	}
	if strings.HasPrefix(u, FilesPath) {
		return !strings.Contains(u, "/../") && !strings.HasSuffix(u, "/..") && !strings.Contains(u[1:], "//")
	}
	lower := strings.ToLower(u)
	return (strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://")) && !strings.Contains(strings.SplitN(u, "/", 4)[2], "@")
}

func TestDecodeLimits(t *testing.T) {
	var v map[string]any
	if err := Decode(strings.NewReader(`{"a":"`+strings.Repeat("x", MaxBody)+`"}`), &v); protocol.CodeOf(err) != protocol.CodeTooLarge {
		t.Fatalf("oversized body: %v", err)
	}
	if err := Decode(strings.NewReader(``), &v); protocol.CodeOf(err) != protocol.CodeInvalidArgument {
		t.Fatalf("empty body: %v", err)
	}
	if err := Decode(strings.NewReader(`{"a":1}`), &v); err != nil || v["a"] != 1.0 {
		t.Fatalf("small body: %v %v", err, v)
	}
}
