package protocol

import "encoding/json"

// VoiceContent is Message.Content for ContentVoice: a recording.
type VoiceContent struct {
	URL      string `json:"url"`
	MIMEType string `json:"mimeType"`
	Size     int64  `json:"size"`
	// Duration is the recording's length in seconds (fractions allowed).
	Duration float64 `json:"duration"`
}

var _ Content = (*VoiceContent)(nil)

// ContentType implements Content.
func (*VoiceContent) ContentType() string { return ContentVoice }

// Summary implements Content.
func (*VoiceContent) Summary() string { return "[Voice]" }

func (c *VoiceContent) check() error {
	return firstErr(
		checkURL(ContentVoice, "url", c.URL, true),
		checkMIME(ContentVoice, c.MIMEType),
		checkSize(ContentVoice, c.Size),
		checkDuration(ContentVoice, c.Duration),
	)
}

func (c *VoiceContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*VoiceContent) placeholder() Content { return &VoiceContent{} }

func (c *VoiceContent) fileURLs() []string { return nonEmpty(c.URL) }
