package protocol

import "encoding/json"

// Call results, CallContent.Result.
const (
	CallResultEnded    = "ended"
	CallResultMissed   = "missed"
	CallResultCanceled = "canceled"
	CallResultRejected = "rejected"
)

// CallContent is Message.Content of the one notification a call leaves
// in its conversation (contract §10): {kind:"call", callID, media,
// result, durationMs}. DurationMs counts from the answer to the end (0
// for a call never answered). It is how the server builds that content
// and how a reader decodes it; the codec of every notification, calls
// included, is NotificationContent.
type CallContent struct {
	Kind       string `json:"kind"`
	CallID     string `json:"callID"`
	Media      string `json:"media"`
	Result     string `json:"result"`
	DurationMs int64  `json:"durationMs"`
}

var _ Content = (*CallContent)(nil)

// ContentType implements Content.
func (*CallContent) ContentType() string { return ContentNotification }

// Summary implements Content.
func (c *CallContent) Summary() string {
	m := "Call"
	if c.Media == CallVideo {
		m = "Video call"
	}
	switch c.Result {
	case CallResultMissed:
		return "Missed " + lowerFirst(m)
	case CallResultCanceled:
		return m + " canceled"
	case CallResultRejected:
		return m + " declined"
	default:
		return m + " ended"
	}
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func (c *CallContent) check() error {
	if c.Kind != NotificationCall {
		return Errorf(CodeInvalidArgument, "notification content: unknown kind %q", c.Kind)
	}
	if c.CallID == "" || len(c.CallID) > MaxClientMsgIDLen {
		return Errorf(CodeInvalidArgument, "call content: callID must be 1 to %d bytes", MaxClientMsgIDLen)
	}
	if c.Media != CallAudio && c.Media != CallVideo {
		return Errorf(CodeInvalidArgument, "call content: media must be audio or video")
	}
	switch c.Result {
	case CallResultEnded, CallResultMissed, CallResultCanceled, CallResultRejected:
	default:
		return Errorf(CodeInvalidArgument, "call content: unknown result %q", c.Result)
	}
	if c.DurationMs < 0 {
		return Errorf(CodeInvalidArgument, "call content: durationMs cannot be negative")
	}
	return nil
}

// canonical re-encodes the known members: the server writes this content
// itself, so nothing else belongs in it.
func (c *CallContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*CallContent) placeholder() Content {
	return &CallContent{Kind: NotificationCall, Result: CallResultEnded}
}
