package core

// The files module: messages that carry files (image, voice, video,
// file), uploads outside a message, and cancelling an unsent message.

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"parley/protocol"
)

// ImageFile is a file with the pixel size the platform read from it.
type ImageFile struct {
	File   File
	Width  int
	Height int
}

// attached are the files of created messages not yet given to
// SendMessage, by ClientMsgID: the message value the app holds carries
// their description (Message.Uploads), the platform's handle to their
// bytes stays here until the send stores them.
func (c *Client) attach(id string, files []File) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.attached == nil {
		c.attached = make(map[string][]File)
	}
	c.attached[id] = files
}

// attachedFiles returns the files of message id, if it was created here
// and not yet stored for sending.
func (c *Client) attachedFiles(id string) []File {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attached[id]
}

// detach forgets the files of message id: they are stored.
func (c *Client) detach(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.attached, id)
}

// checkFile refuses a file that cannot be uploaded.
func checkFile(f File, what string) error {
	if f.Data == nil || f.Data.Len() <= 0 {
		return errInvalid(what + " is missing or empty")
	}
	return nil
}

// createWithFiles returns a local message of cont's type whose files[i]
// are uploaded into fields[i] of its content (see Upload.Field); the
// content is checked by its codec with placeholder urls, so that what is
// created, the server accepts once the urls are in.
func (c *Client) createWithFiles(cont protocol.Content, files []File, fields []string) (Message, error) {
	raw, err := json.Marshal(cont)
	if err != nil {
		return Message{}, errInvalid("content: " + err.Error())
	}
	return c.createWithFilesRaw(cont.ContentType(), raw, files, fields)
}

func (c *Client) createWithFilesRaw(typ string, raw json.RawMessage, files []File, fields []string) (Message, error) {
	s, err := c.session()
	if err != nil {
		return Message{}, err
	}
	m := Message{
		ClientMsgID: newClientMsgID(),
		SendID:      s.userID,
		ContentType: typ,
		Content:     raw,
		CreateTime:  s.createTime(),
		Status:      StatusCreated,
	}
	for i, f := range files {
		mime := f.Type
		if mime == "" {
			mime = "application/octet-stream"
		}
		name := f.Name
		if name == "" {
			name = defaultFileName(fields[i], typ, mime)
		}
		m.Uploads = append(m.Uploads, Upload{Field: fields[i], FileName: name, MimeType: mime, Size: f.Data.Len()})
	}
	if err := m.checkContent(); err != nil {
		return Message{}, err
	}
	c.attach(m.ClientMsgID, files)
	return m, nil
}

// defaultFileName names a file that came without a name (a Blob): after
// its place in the message and its type ("image.png", "thumbnail.jpeg").
func defaultFileName(field, contentType, mime string) string {
	base := field
	if base == "" {
		base = contentType
	}
	ext := mime[strings.IndexByte(mime, '/')+1:]
	if i := strings.IndexAny(ext, ";+ "); i >= 0 {
		ext = ext[:i]
	}
	for _, r := range ext {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
			return base
		}
	}
	if ext == "" || ext == "octet-stream" {
		return base
	}
	return base + "." + ext
}

// checkContent checks m's content as the server will once its files are
// up (placeholder urls stand for them).
func (m *Message) checkContent() error {
	if len(m.Uploads) == 0 {
		_, err := m.wireContent()
		return err
	}
	filled, err := fillContent(m.Content, m.Uploads)
	if err != nil {
		return err
	}
	cp := *m
	cp.Content = filled
	_, err = cp.wireContent()
	return err
}

// CreateFileMessage returns a local file message (contract §4.1); the
// file is uploaded as part of its send. fileName "" means file.Name.
func (c *Client) CreateFileMessage(file File, fileName string) (Message, error) {
	if err := checkFile(file, "file"); err != nil {
		return Message{}, err
	}
	if fileName == "" {
		fileName = file.Name
	}
	if fileName == "" {
		fileName = defaultFileName("", protocol.ContentFile, file.Type)
	}
	file.Name = fileName
	return c.createWithFiles(&protocol.FileContent{FileName: fileName}, []File{file}, []string{""})
}

// CreateImageMessage returns a local image message: the photo as given
// (never re-encoded) and its thumbnail (none when thumbnail.File has no
// Data), both uploaded as part of the send. The platform reads the sizes and makes the thumbnail (in the
// browser: createImageBitmap and OffscreenCanvas).
func (c *Client) CreateImageMessage(image, thumbnail ImageFile) (Message, error) {
	if err := checkFile(image.File, "file"); err != nil {
		return Message{}, err
	}
	content := &protocol.ImageContent{Width: image.Width, Height: image.Height}
	if thumbnail.File.Data == nil {
		// No thumbnail (the platform could not decode the image).
		return c.createWithFiles(content, []File{image.File}, []string{""})
	}
	if err := checkFile(thumbnail.File, "thumbnail"); err != nil {
		return Message{}, err
	}
	content.Thumbnail = protocol.Picture{Width: thumbnail.Width, Height: thumbnail.Height}
	return c.createWithFiles(content, []File{image.File, thumbnail.File}, []string{"", "thumbnail"})
}

// CreateVoiceMessage returns a local voice message of duration seconds.
func (c *Client) CreateVoiceMessage(file File, duration float64) (Message, error) {
	if err := checkFile(file, "file"); err != nil {
		return Message{}, err
	}
	return c.createWithFiles(&protocol.VoiceContent{Duration: duration}, []File{file}, []string{""})
}

// CreateVideoMessage returns a local video message of duration seconds
// with an optional snapshot (a still image, with its size).
func (c *Client) CreateVideoMessage(file File, duration float64, snapshot *ImageFile) (Message, error) {
	if err := checkFile(file, "file"); err != nil {
		return Message{}, err
	}
	content := &protocol.VideoContent{Duration: duration}
	files, fields := []File{file}, []string{""}
	if snapshot != nil {
		if err := checkFile(snapshot.File, "snapshot"); err != nil {
			return Message{}, err
		}
		content.Snapshot = &protocol.Picture{Width: snapshot.Width, Height: snapshot.Height}
		files, fields = append(files, snapshot.File), append(fields, "snapshot")
	}
	return c.createWithFiles(content, files, fields)
}

// CreateMessageWithFiles returns a local message of any content type
// with files uploaded into it as part of the send: files[i] goes into
// fields[i] of content ("" the content itself: its url, mimeType and
// size; a member name: that member object's url). The create methods
// above are built on it; it serves content types of the app's own
// (custom) that carry files.
func (c *Client) CreateMessageWithFiles(contentType string, content json.RawMessage, files []File, fields []string) (Message, error) {
	if len(files) == 0 || len(files) != len(fields) {
		return Message{}, errInvalid("every file needs its field")
	}
	for _, f := range files {
		if err := checkFile(f, "file"); err != nil {
			return Message{}, err
		}
	}
	if len(content) == 0 {
		content = json.RawMessage("{}")
	}
	return c.createWithFilesRaw(contentType, content, files, fields)
}

// sendChunks returns the chunks SendMessage stores with m: the bytes of
// its files, cut in pieces. A message with files that were not created
// here (a retry after a reload, or of a failed message) must be stored
// with them already.
func (s *session) sendChunks(ctx context.Context, m *Message) ([]Chunk, error) {
	if len(m.Uploads) == 0 {
		return nil, nil
	}
	files := s.c.attachedFiles(m.ClientMsgID)
	if files == nil {
		stored, err := s.store.Messages(ctx, []string{m.ClientMsgID})
		if err != nil {
			return nil, withCode(err)
		}
		if len(stored) == 0 || len(stored[0].Uploads) != len(m.Uploads) {
			return nil, errInvalid("the message's files are not held here: create the message again")
		}
		return nil, nil
	}
	if len(files) != len(m.Uploads) {
		return nil, errInvalid("the message's files do not match its uploads")
	}
	var out []Chunk
	for slot, f := range files {
		if f.Data.Len() != m.Uploads[slot].Size {
			return nil, errInvalid("the message's files do not match its uploads")
		}
		out = append(out, filePieces(m.ClientMsgID, slot, f.Data)...)
	}
	return out, nil
}

// UploadFile uploads a file outside a message (an avatar, a group's
// face) and returns where it is. onProgress, if set, is called with the
// bytes the server confirmed after each chunk. Nothing is stored: an
// upload cut short is started again by calling again.
func (c *Client) UploadFile(ctx context.Context, file File, onProgress func(sent, total int64)) (UploadResult, error) {
	s, err := c.session()
	if err != nil {
		return UploadResult{}, err
	}
	if err := checkFile(file, "file"); err != nil {
		return UploadResult{}, err
	}
	api := s.uploadAPI()
	mime := file.Type
	if mime == "" {
		mime = "application/octet-stream"
	}
	size := file.Data.Len()
	name := file.Name
	if name == "" {
		name = defaultFileName("", "file", mime)
	}
	r, err := api.start(ctx, startUploadReq{FileName: name, MimeType: mime, Size: size, Public: true})
	if err != nil {
		return UploadResult{}, err
	}
	var sent int64
	for i, off := 0, int64(0); off < size; i, off = i+1, off+r.ChunkSize {
		end := min(off+r.ChunkSize, size)
		if err := uploadChunkRetrying(ctx, s, api, r.UploadID, i, file.Data.Slice(off, end)); err != nil {
			return UploadResult{}, err
		}
		sent = end
		if onProgress != nil {
			onProgress(sent, size)
		}
	}
	return api.complete(ctx, r.UploadID)
}

// uploadChunkRetrying puts one chunk, trying again after errors that may
// pass, until ctx ends.
func uploadChunkRetrying(ctx context.Context, s *session, api uploadAPI, id string, index int, b Bytes) error {
	for attempt := 0; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout+s.chunkAllowance(b.Len()))
		err := api.put(pctx, id, index, []Bytes{b})
		cancel()
		if err == nil || !retryable(err) || ctx.Err() != nil || attempt >= 5 {
			return err
		}
		if !sleepCtx(ctx, backoff(attempt, 250*time.Millisecond, 5*time.Second)) {
			return withCode(ctx.Err())
		}
	}
}

// DeleteUnsentMessage removes a message that has no seq yet (sending or
// failed) with its outbox entry and its stored files: the way to cancel
// a send or its upload. A SendMessage waiting for it rejects with
// canceled. A message whose send may have reached the server (written
// and not answered yet, or its last attempt got no answer) is not
// unsent any more: invalid_argument, and it is sent or fails as any
// other, so a cancel racing a send has one outcome. conversationID may
// be "" (any).
func (c *Client) DeleteUnsentMessage(ctx context.Context, conversationID, clientMsgID string) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	if clientMsgID == "" || len(clientMsgID) > protocol.MaxClientMsgIDLen {
		return errInvalid("clientMsgID is missing or too long")
	}
	if !s.outbox.cancelClaim(clientMsgID) {
		return errInvalid("the message is being sent")
	}
	defer s.outbox.uncancel(clientMsgID)
	s.outbox.up.stop(clientMsgID)
	if _, err := s.apply(context.WithoutCancel(ctx), deleteUnsentInput{ConversationID: conversationID, ClientMsgID: clientMsgID}); err != nil {
		return withCode(err)
	}
	c.detach(clientMsgID)
	s.outbox.resolve(clientMsgID, Message{}, &Error{Code: protocol.CodeCanceled, Message: "the message was deleted before it was sent"})
	return nil
}
