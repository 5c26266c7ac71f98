package core

import (
	"encoding/json"

	"parley/protocol"
)

// The step's decisions about uploads (the driver is uploads.go): what an
// upload's progress changes in the stored message and its outbox entry,
// and what deleting an unsent message removes. Pure, like step.go.

// uploadInput records the progress of one file of an unsent message:
// Upload replaces Message.Uploads[Slot]. Deadline, when later than the
// entry's, is its new deadline (an upload that makes progress does not
// time out). Content, when set, is the content with every file's url
// filled in: the uploads are done, the message is ready for its send,
// and its stored chunks are no longer needed.
type uploadInput struct {
	ClientMsgID string
	Slot        int
	Upload      Upload
	Deadline    int64
	Content     json.RawMessage
	// Announce makes the step announce the progress even if it did not
	// move (the first record of a worker: the app learns where a resumed
	// upload stands).
	Announce bool
}

func (uploadInput) inputKind() string { return "upload" }

// stepUpload applies an upload's progress to a message still sending; for
// any other (deleted, failed, sent meanwhile) it changes nothing and
// answers Value false, which stops the upload.
func stepUpload(l localState, in uploadInput) stepResult {
	var res stepResult
	m, ok := l.Msgs[in.ClientMsgID]
	if !ok || m.Status != StatusSending || in.Slot < 0 || in.Slot >= len(m.Uploads) {
		res.Value = false
		return res
	}
	before := m.Uploads[in.Slot].Sent
	m.Uploads = append([]Upload(nil), m.Uploads...)
	m.Uploads[in.Slot] = in.Upload
	if in.Content != nil {
		m.Content = in.Content
		res.Changes.RemovedChunks = []string{m.ClientMsgID}
	}
	res.Changes.Messages = []Message{m}
	if e, ok := l.Entries[m.ClientMsgID]; ok && (in.Deadline > e.Deadline || in.Content != nil && in.Deadline > 0) {
		e.Deadline = in.Deadline
		res.Changes.Outbox = []OutboxEntry{e}
	}
	var sent, total int64
	for _, u := range m.Uploads {
		sent += u.Sent
		total += u.Size
	}
	if in.Content == nil && (in.Announce || in.Upload.Sent != before) {
		res.Events = []Event{MessageProgress{ClientMsgID: m.ClientMsgID, ConversationID: m.ConversationID, BytesSent: sent, BytesTotal: total}}
	}
	res.Value = true
	return res
}

// deleteUnsentInput removes an unsent message (sending or failed) with
// its outbox entry and stored file: the app's way to cancel a send.
type deleteUnsentInput struct {
	ConversationID string
	ClientMsgID    string
}

func (deleteUnsentInput) inputKind() string { return "deleteUnsent" }

func stepDeleteUnsent(l localState, in deleteUnsentInput) (stepResult, error) {
	var res stepResult
	m, ok := l.Msgs[in.ClientMsgID]
	if !ok || (in.ConversationID != "" && m.ConversationID != in.ConversationID) {
		return res, &Error{Code: protocol.CodeNotFound, Message: "no unsent message " + in.ClientMsgID}
	}
	if m.Status == StatusSent || m.Seq > 0 {
		return res, errInvalid("message " + in.ClientMsgID + " was sent: it is no longer unsent")
	}
	if e, ok := l.Entries[m.ClientMsgID]; ok && m.Status == StatusSending && e.LastError == string(protocol.CodeNetwork) {
		// Its last send got no answer: the server may hold it, and the
		// next attempt (deduplicated) tells. Canceled now, it could
		// still arrive.
		return res, errInvalid("the message may have reached the server")
	}
	res.Changes = Changes{RemovedMessages: []string{m.ClientMsgID}, RemovedOutbox: []string{m.ClientMsgID}, RemovedChunks: []string{m.ClientMsgID}}
	res.Value = m
	return res, nil
}

// dropSentChunks removes the stored file chunks of messages res marks
// sent: the server holds the files now.
func dropSentChunks(res *stepResult) {
	for _, m := range res.Sent {
		res.Changes.RemovedChunks = append(res.Changes.RemovedChunks, m.ClientMsgID)
	}
	for _, m := range res.Resolved {
		res.Changes.RemovedChunks = append(res.Changes.RemovedChunks, m.ClientMsgID)
	}
}

// pendingUploads reports whether m has a file not yet on the server.
func (m *Message) pendingUploads() bool {
	for _, u := range m.Uploads {
		if u.Result == nil {
			return true
		}
	}
	return false
}

// placeholderURL stands for a file's url while it is uploaded, so that
// the content can be checked by its codec before anything is stored. The
// .invalid domain is reserved: it never resolves.
const placeholderURL = "https://upload.invalid/pending"

// fillContent returns content with the result of every upload in its
// place (see Upload.Field); an upload without a result gets a
// placeholder.
func fillContent(content json.RawMessage, ups []Upload) (json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if len(content) > 0 {
		if err := json.Unmarshal(content, &obj); err != nil {
			return nil, errInvalid("content is not a JSON object: " + err.Error())
		}
	}
	for _, u := range ups {
		r := UploadResult{URL: placeholderURL, MimeType: u.MimeType, Size: u.Size}
		if u.Result != nil {
			r = *u.Result
		}
		if r.MimeType == "" {
			r.MimeType = "application/octet-stream"
		}
		if u.Field == "" {
			obj["url"], _ = json.Marshal(r.URL)
			obj["mimeType"], _ = json.Marshal(r.MimeType)
			obj["size"], _ = json.Marshal(r.Size)
			continue
		}
		sub := map[string]json.RawMessage{}
		if raw, ok := obj[u.Field]; ok && len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &sub); err != nil {
				return nil, errInvalid("content." + u.Field + " is not a JSON object")
			}
		}
		sub["url"], _ = json.Marshal(r.URL)
		obj[u.Field], _ = json.Marshal(sub)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, errInvalid("content: " + err.Error())
	}
	return out, nil
}

// markMentions sets MentionedMe on the conversations of new messages from
// others that mention self (by ID or @all) and are unread: a fold writes
// those conversations in the same batch.
func markMentions(self string, res *stepResult) {
	mentioned := map[string]bool{}
	for _, m := range res.New {
		if m.SendID == self || m.ContentType != protocol.ContentMention {
			continue
		}
		c, err := protocol.DecodeContent(m.ContentType, m.Content)
		mc, ok := c.(*protocol.MentionContent)
		if err != nil || !ok {
			continue
		}
		if mc.AtAll || slicesContains(mc.AtUserIDs, self) {
			mentioned[m.ConversationID] = true
		}
	}
	set := func(cs []Conversation) {
		for i := range cs {
			switch {
			case cs[i].UnreadCount == 0:
				// Read (here or on another device): the mention was seen.
				cs[i].MentionedMe = false
			case mentioned[cs[i].ConversationID]:
				cs[i].MentionedMe = true
			}
		}
	}
	set(res.Changes.Conversations)
	set(res.Changed)
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
