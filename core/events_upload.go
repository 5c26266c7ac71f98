package core

// MessageProgress: the upload of an unsent message's files moved on.
// BytesSent counts the bytes the server confirmed, over all the message's
// files; the last event of a message has BytesSent == BytesTotal and
// comes before its messageStatusChanged sent.
type MessageProgress struct {
	ClientMsgID    string `json:"clientMsgID"`
	ConversationID string `json:"conversationID"`
	BytesSent      int64  `json:"bytesSent"`
	BytesTotal     int64  `json:"bytesTotal"`
}

// EventName implements Event.
func (MessageProgress) EventName() string { return "messageProgress" }

// EventPayload implements Event: {clientMsgID, conversationID, bytesSent, bytesTotal}.
func (e MessageProgress) EventPayload() any { return e }
