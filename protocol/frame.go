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
func EncodeFrame(id, typ string, v any) ([]byte, error) {
	f := Frame{ID: id, Type: typ}
	if v != nil {
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("protocol: encode %s: %w", typ, err)
		}
		f.Data = data
	}
	return json.Marshal(&f)
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
