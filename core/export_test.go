package core

import "parley/protocol"

// NewConvCache lets core_test run the Store conformance suite on the
// conversation cache.
var NewConvCache = func(s Store) Store { return newConvCache(s) }

// MessageFromProto and WireContent let external tests follow a message
// through the SDK's conversions.
func MessageFromProto(m *protocol.Message) Message { return messageFromProto(m, "") }

func WireContent(m *Message) ([]byte, error) { return m.wireContent() }
