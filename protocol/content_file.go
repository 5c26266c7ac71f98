package protocol

import (
	"encoding/json"
	"strings"
)

// FileContent is Message.Content for ContentFile: any file.
type FileContent struct {
	URL      string `json:"url"`
	MIMEType string `json:"mimeType"`
	Size     int64  `json:"size"`
	// FileName is the name shown and offered on download: not blank, no
	// path separators or control characters.
	FileName string `json:"fileName"`
}

var _ Content = (*FileContent)(nil)

// ContentType implements Content.
func (*FileContent) ContentType() string { return ContentFile }

// Summary implements Content: the file's name, which a search matches.
func (c *FileContent) Summary() string { return c.FileName }

func (c *FileContent) check() error {
	if err := firstErr(
		checkURL(ContentFile, "url", c.URL, true),
		checkMIME(ContentFile, c.MIMEType),
		checkSize(ContentFile, c.Size),
	); err != nil {
		return err
	}
	return CheckFileName(c.FileName)
}

// CheckFileName checks a file's name as FileContent and the upload API
// take it: not blank, at most MaxFileNameLen bytes, no control characters
// or path separators, not "." or "..".
func CheckFileName(name string) error {
	if blank(name) {
		return Errorf(CodeInvalidArgument, "file content needs a \"fileName\" that is not blank")
	}
	if err := checkName(ContentFile, "fileName", name, MaxFileNameLen); err != nil {
		return err
	}
	if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return Errorf(CodeInvalidArgument, "file content: \"fileName\" must not be a path")
	}
	return nil
}

func (c *FileContent) canonical([]byte) ([]byte, error) { return json.Marshal(c) }

func (*FileContent) placeholder() Content { return &FileContent{} }

func (c *FileContent) fileURLs() []string { return nonEmpty(c.URL) }
