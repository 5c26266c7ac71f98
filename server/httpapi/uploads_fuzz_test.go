package httpapi

import (
	"bytes"
	"testing"

	"parley/protocol"
)

// FuzzMediaBodies decodes arbitrary bytes as the bodies of the upload
// start and the sign request: never a panic, failures are
// invalid_argument (or too_large for a declared size over the limit), and
// what is accepted obeys the rules.
func FuzzMediaBodies(f *testing.F) {
	for _, seed := range []struct {
		route uint8
		body  string
	}{
		{0, `{"fileName":"cat.png","mimeType":"image/png","size":1024}`},
		{0, `{"fileName":"a","size":0,"public":true}`},
		{0, `{"fileName":"../../etc/passwd","mimeType":"x","size":-1}`},
		{0, `{"fileName":"a","mimeType":"text/html; charset=\u0000","size":1e30}`},
		{0, `{"fileName":"\u202e.exe","size":9007199254740993}`},
		{1, `{"messages":[{"conversationID":"sg_g","seq":1}]}`},
		{1, `{"messages":[]}`},
		{1, `{"messages":null}`},
	} {
		f.Add(seed.route, []byte(seed.body))
	}
	const maxFile = 100 << 20
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		var err error
		switch route % 2 {
		case 0:
			var req protocol.UploadStartReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				var mt string
				if mt, err = UploadStart(&req, maxFile); err == nil {
					if req.Size < 0 || req.Size > maxFile || protocol.CheckFileName(req.FileName) != nil || !protocol.ValidMediaType(mt) {
						t.Fatalf("accepted %+v as %q", req, mt)
					}
				} else if protocol.CodeOf(err) == protocol.CodeTooLarge && req.Size <= maxFile {
					t.Fatalf("too_large for size %d", req.Size)
				}
			}
		case 1:
			var req protocol.FileSignReq
			if err = Decode(bytes.NewReader(body), &req); err == nil {
				if err = FileSign(&req); err == nil && (len(req.Messages) == 0 || len(req.Messages) > protocol.MaxSignMessages) {
					t.Fatalf("accepted %d messages", len(req.Messages))
				}
			}
		}
		if c := protocol.CodeOf(err); err != nil && c != protocol.CodeInvalidArgument && c != protocol.CodeTooLarge {
			t.Fatalf("error %v is not invalid_argument or too_large", err)
		}
	})
}
