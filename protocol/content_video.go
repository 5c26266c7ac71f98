package protocol

import "encoding/json"

// VideoContent is Message.Content for ContentVideo.
type VideoContent struct {
	URL      string `json:"url"`
	MIMEType string `json:"mimeType"`
	Size     int64  `json:"size"`
	// Duration is the video's length in seconds (fractions allowed).
	Duration float64 `json:"duration"`
	// Snapshot is a still of the video, or nil (JSON null) when the
	// sender had none.
	Snapshot *Picture `json:"snapshot"`
}

var _ Content = (*VideoContent)(nil)

// ContentType implements Content.
func (*VideoContent) ContentType() string { return ContentVideo }

// Summary implements Content.
func (*VideoContent) Summary() string { return "[Video]" }

func (c *VideoContent) check() error {
	err := firstErr(
		checkURL(ContentVideo, "url", c.URL, true),
		checkMIME(ContentVideo, c.MIMEType),
		checkSize(ContentVideo, c.Size),
		checkDuration(ContentVideo, c.Duration),
	)
	if err == nil && c.Snapshot != nil {
		if c.Snapshot.URL == "" {
			return Errorf(CodeInvalidArgument, "video content: a \"snapshot\" needs a \"url\" (or is null)")
		}
		err = c.Snapshot.check(ContentVideo, "snapshot")
	}
	return err
}

func (c *VideoContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*VideoContent) placeholder() Content { return &VideoContent{} }

func (c *VideoContent) fileURLs() []string {
	if c.Snapshot == nil {
		return nonEmpty(c.URL)
	}
	return nonEmpty(c.URL, c.Snapshot.URL)
}
