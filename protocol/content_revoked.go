package protocol

import "encoding/json"

// ContentRevoked is the type a message takes when it is revoked: its
// earlier content is gone from the server's store and from every device.
const ContentRevoked = "revoked"

// RevokedContent is Message.Content for ContentRevoked:
// {"revokerUserID": "…", "revokeTime": ms}. Only the server makes it (a
// revoke request); a send of this type is refused.
type RevokedContent struct {
	RevokerUserID string `json:"revokerUserID"`
	RevokeTime    int64  `json:"revokeTime"`
}

var _ Content = (*RevokedContent)(nil)

// ContentType implements Content.
func (*RevokedContent) ContentType() string { return ContentRevoked }

// Summary implements Content: a revoked message has nothing to show or
// to match.
func (*RevokedContent) Summary() string { return "" }

func (r *RevokedContent) check() error {
	if !ValidID(r.RevokerUserID) {
		return Errorf(CodeInvalidArgument, "revoked content needs a valid revokerUserID")
	}
	return nil
}

func (r *RevokedContent) canonical([]byte) ([]byte, error) { return json.Marshal(r) }

func (*RevokedContent) placeholder() Content { return &RevokedContent{RevokerUserID: "unknown"} }

// EncodeRevoked is the content of a message revoked by revoker at time.
func EncodeRevoked(revoker string, time int64) json.RawMessage {
	b, _ := json.Marshal(&RevokedContent{RevokerUserID: revoker, RevokeTime: time}) // cannot fail
	return b
}

// Sendable reports whether a client may send content of type typ: every
// accepted type but ContentRevoked, which only a revoke makes.
func Sendable(typ string) bool { return typ != ContentRevoked }

// Editable reports whether a message of type typ may be edited: the
// text-bearing types.
func Editable(typ string) bool { return typ == ContentText }
