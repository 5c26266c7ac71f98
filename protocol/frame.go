package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Frame is one WebSocket text message, in either direction.
//
//   - A request (client to server) has an ID chosen by the client, unique
//     among its requests in flight, a Type from the Req* constants, and Data.
//   - A response (server to client) repeats the request's ID and Type and
//     carries either Data or Error, never both.
//   - A push (server to client) has no ID; its Type is one of the Push*
//     constants.
type Frame struct {
	ID    string          `json:"id,omitempty"`
	Type  string          `json:"type"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error *Error          `json:"error,omitempty"`
}

// IsPush reports whether f is a server push rather than a response.
func (f *Frame) IsPush() bool { return f.ID == "" }

// DecodeFrame parses one frame. It rejects frames that are not a JSON object,
// that have trailing data, or that lack a type, with a CodeInvalidArgument
// error.
func DecodeFrame(b []byte) (*Frame, error) {
	var f Frame
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil {
		return nil, Errorf(CodeInvalidArgument, "malformed frame: %v", err)
	}
	if dec.More() {
		return nil, Errorf(CodeInvalidArgument, "malformed frame: trailing data")
	}
	if f.Type == "" {
		return nil, Errorf(CodeInvalidArgument, "frame has no type")
	}
	return &f, nil
}

// EncodeFrame marshals a frame whose Data is built from v (nil for none).
// The envelope is written by hand: json.Marshal of a Frame would check and
// compact Data, just made by json.Marshal, a second time, which was a
// tenth of the server's CPU per message. The bytes are those json.Marshal
// makes (TestEncodeFrameMatchesMarshal).
func EncodeFrame(id, typ string, v any) ([]byte, error) {
	var data []byte
	if v != nil {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("protocol: encode %s: %w", typ, err)
		}
	}
	b := make([]byte, 0, len(data)+len(id)+len(typ)+24)
	b = append(b, '{')
	if id != "" {
		b = appendJSONString(append(b, `"id":`...), id)
		b = append(b, ',')
	}
	b = appendJSONString(append(b, `"type":`...), typ)
	if len(data) > 0 {
		b = append(append(b, `,"data":`...), data...)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as json.Marshal writes a string: as it is
// when every byte is printable ASCII needing no escape, else through
// json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// EncodeError marshals an error response to request id of type typ.
func EncodeError(id, typ string, e *Error) ([]byte, error) {
	return json.Marshal(&Frame{ID: id, Type: typ, Error: e})
}

// DecodeData unmarshals a frame's Data into v, rejecting unknown shapes
// with a CodeInvalidArgument error that names the problem.
func DecodeData(data json.RawMessage, v any) error {
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return Errorf(CodeInvalidArgument, "bad data: %v", err)
	}
	return nil
}
