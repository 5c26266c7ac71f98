package protocol

import (
	"encoding/json"
	"math"
)

// LocationContent is Message.Content for ContentLocation: a point on the
// map, in degrees (WGS 84).
type LocationContent struct {
	// Latitude is between -90 and 90, Longitude between -180 and 180.
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	// Description names the place; it may be empty.
	Description string `json:"description"`
}

var _ Content = (*LocationContent)(nil)

// ContentType implements Content.
func (*LocationContent) ContentType() string { return ContentLocation }

// Summary implements Content: the description, which a search matches,
// or "[Location]".
func (c *LocationContent) Summary() string {
	if !blank(c.Description) {
		return c.Description
	}
	return "[Location]"
}

func (c *LocationContent) check() error {
	if math.IsNaN(c.Latitude) || c.Latitude < -90 || c.Latitude > 90 {
		return Errorf(CodeInvalidArgument, "location content: \"latitude\" must be between -90 and 90")
	}
	if math.IsNaN(c.Longitude) || c.Longitude < -180 || c.Longitude > 180 {
		return Errorf(CodeInvalidArgument, "location content: \"longitude\" must be between -180 and 180")
	}
	return checkLen(ContentLocation, "description", c.Description, MaxLongTextLen)
}

// canonical re-encodes the struct. The decoded struct cannot tell a
// missing coordinate from 0, so raw is asked.
func (c *LocationContent) canonical(raw []byte) ([]byte, error) {
	if err := requireMembers(ContentLocation, raw, "latitude", "longitude"); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

func (*LocationContent) placeholder() Content { return &LocationContent{} }

// requireMembers fails unless the JSON object raw has every one of names
// as a member with a non-null value: for numbers, where 0 is a value
// and cannot tell "missing" apart.
func requireMembers(typ string, raw []byte, names ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	for _, n := range names {
		if v, ok := m[n]; !ok || string(v) == "null" {
			return Errorf(CodeInvalidArgument, "%s content needs a %q", typ, n)
		}
	}
	return nil
}
