package core

// NewConvCache lets core_test run the Store conformance suite on the
// conversation cache.
var NewConvCache = func(s Store) Store { return newConvCache(s) }

// MessageFromProto and WireContent let external tests follow a message
// through the SDK's conversions.
var MessageFromProto = messageFromProto

func WireContent(m *Message) ([]byte, error) { return m.wireContent() }
