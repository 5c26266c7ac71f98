package core

import (
	"context"
	"errors"
	"sync"
	"time"

	"parley/protocol"
)

// The driver of uploads: a message with files (Message.Uploads) is stored
// with their bytes (its chunks) by SendMessage; the sender leaves it, and
// the messages behind it in its conversation, until a worker here moved
// every file to the server and filled their urls into the content. The
// worker resumes from what the server says it holds (GET of the upload),
// so a reload, a crash or a server restart costs at most the chunks in
// flight. Every write goes through the writer (uploadInput).
//
// Deadline policy: a message's outbox deadline (SendTimeout after the
// send) is pushed on by every confirmed chunk to SendTimeout plus the
// time the next chunk takes at Config.UploadMinRate; once the files are
// up, the message has SendTimeout for its send as any other. So a large
// file on a slow link never times out while it moves, and a stalled one
// fails (with the code of its last error) a SendTimeout after it stopped.

// uploads tracks the workers of one session.
type uploads struct {
	mu      sync.Mutex
	running map[string]context.CancelFunc // by ClientMsgID
}

// start runs a worker for message id unless one runs.
func (u *uploads) start(s *session, id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.running == nil {
		u.running = make(map[string]context.CancelFunc)
	}
	if _, ok := u.running[id]; ok {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	u.running[id] = cancel
	s.goBackground(func() {
		defer func() {
			u.mu.Lock()
			delete(u.running, id)
			u.mu.Unlock()
			cancel()
			s.outbox.wake()
		}()
		s.runUpload(ctx, id)
	})
}

// stop ends the worker of message id, if one runs.
func (u *uploads) stop(id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if cancel, ok := u.running[id]; ok {
		cancel()
	}
}

// busy reports how many workers run.
func (u *uploads) busy() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.running)
}

// errUploadStopped: the message is no longer sending (deleted, failed or
// sent meanwhile), so its upload ends.
var errUploadStopped = errors.New("core: the message is no longer sending")

func (s *session) uploadAPI() uploadAPI {
	return uploadAPI{http: s.cfg.HTTP, base: httpBase(s.cfg.ServerURL), token: s.currentToken()}
}

// runUpload moves message id's files to the server, retrying what may
// succeed later until the message's deadline, and fails the message on a
// refusal or at the deadline.
func (s *session) runUpload(ctx context.Context, id string) {
	api := s.uploadAPI()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		err := s.uploadOnce(ctx, api, id)
		if err == nil || errors.Is(err, errUploadStopped) || ctx.Err() != nil {
			return
		}
		code := protocol.CodeOf(err)
		if !retryable(err) {
			s.cfg.Logger.Warn("upload refused", "clientMsgID", id, "err", err)
			s.outbox.fail(Message{ClientMsgID: id}, code)
			return
		}
		s.cfg.Logger.Debug("upload interrupted", "clientMsgID", id, "err", err)
		if deadline, ok := s.uploadDeadline(ctx, id); ok && !s.cfg.Now().Before(deadline) {
			s.outbox.fail(Message{ClientMsgID: id}, code)
			return
		}
		if !sleepCtx(ctx, backoff(attempt, 250*time.Millisecond, 5*time.Second)) {
			return
		}
	}
}

// uploadDeadline is the stored deadline of id's outbox entry.
func (s *session) uploadDeadline(ctx context.Context, id string) (time.Time, bool) {
	es, err := s.store.Outbox(ctx)
	if err != nil {
		return time.Time{}, false
	}
	for _, e := range es {
		if e.ClientMsgID == id {
			return s.outbox.deadline(e), true
		}
	}
	return time.Time{}, false
}

// chunkAllowance is how long one chunk of n bytes may take at the slowest
// rate that is not a stall.
func (s *session) chunkAllowance(n int64) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(s.cfg.UploadMinRate)
}

// uploadOnce runs the uploads of id from where they are to the end.
func (s *session) uploadOnce(ctx context.Context, api uploadAPI, id string) error {
	ms, err := s.store.Messages(ctx, []string{id})
	if err != nil {
		return withCode(err)
	}
	if len(ms) == 0 || ms[0].Status != StatusSending {
		return errUploadStopped
	}
	m := ms[0]
	for slot := range m.Uploads {
		if m.Uploads[slot].Result != nil {
			continue
		}
		up, err := s.uploadSlot(ctx, api, m, slot)
		if err != nil {
			return err
		}
		m.Uploads[slot] = up
	}
	content, err := fillContent(m.Content, m.Uploads)
	if err != nil {
		return err
	}
	last := len(m.Uploads) - 1
	res, err := s.apply(ctx, uploadInput{ClientMsgID: id, Slot: last, Upload: m.Uploads[last], Content: content,
		Deadline: s.cfg.Now().Add(s.cfg.SendTimeout).UnixMilli()})
	if err != nil {
		return withCode(err)
	}
	if ok, _ := res.Value.(bool); !ok {
		return errUploadStopped
	}
	return nil
}

// record stores the progress of one slot. With moved (a chunk was
// confirmed, or the server's upload was started) it extends the deadline
// by the send timeout plus the time the next chunk of next bytes may
// take; a retry that got nowhere does not.
func (s *session) record(ctx context.Context, id string, slot int, up Upload, next int64, moved, announce bool) error {
	var d int64
	if moved {
		d = s.cfg.Now().Add(s.cfg.SendTimeout + s.chunkAllowance(next)).UnixMilli()
	}
	res, err := s.apply(ctx, uploadInput{ClientMsgID: id, Slot: slot, Upload: up, Deadline: d, Announce: announce})
	if err != nil {
		return withCode(err)
	}
	if ok, _ := res.Value.(bool); !ok {
		return errUploadStopped
	}
	return nil
}

// uploadSlot uploads one file of m: it starts (or resumes) the server's
// upload, puts the chunks the server does not hold and completes it.
func (s *session) uploadSlot(ctx context.Context, api uploadAPI, m Message, slot int) (Upload, error) {
	up := m.Uploads[slot]
	var received []int
	if up.UploadID != "" {
		st, err := api.status(ctx, up.UploadID)
		switch {
		case protocol.CodeOf(err) == protocol.CodeNotFound:
			// The server forgot it (expired, cleaned up): start over.
			up.UploadID, up.ChunkSize, up.Sent = "", 0, 0
		case err != nil:
			return up, err
		case st.ChunkSize < minChunkSize || st.ChunkSize > maxChunkSize || st.Size != up.Size:
			return up, &Error{Code: protocol.CodeInternal, Message: "upload: the server's upload does not match the file"}
		default:
			up.ChunkSize, received = st.ChunkSize, st.Received
		}
	}
	started := up.UploadID == ""
	if started {
		r, err := api.start(ctx, startUploadReq{FileName: up.FileName, MimeType: up.MimeType, Size: up.Size})
		if err != nil {
			return up, err
		}
		up.UploadID, up.ChunkSize = r.UploadID, r.ChunkSize
	}
	n := int((up.Size + up.ChunkSize - 1) / up.ChunkSize)
	have := make([]bool, n)
	up.Sent = 0
	for _, i := range received {
		if i >= 0 && i < n && !have[i] {
			have[i] = true
			up.Sent += min(up.Size, int64(i+1)*up.ChunkSize) - int64(i)*up.ChunkSize
		}
	}
	if err := s.record(ctx, m.ClientMsgID, slot, up, uploadWindow*up.ChunkSize, started, true); err != nil {
		return up, err
	}
	// Up to uploadWindow chunks are in flight, so that the link carries
	// the next chunk while the server stores the last one (each is
	// durable before it is confirmed). Only this loop touches up.
	type putDone struct {
		n   int64
		err error
	}
	done := make(chan putDone)
	pctx, cancelPuts := context.WithCancel(ctx)
	defer cancelPuts()
	var failed error
	for next, inFlight := 0, 0; ; {
		for failed == nil && inFlight < uploadWindow && next < n {
			i := next
			next++
			if have[i] {
				continue
			}
			from, to := int64(i)*up.ChunkSize, min(up.Size, int64(i+1)*up.ChunkSize)
			parts, err := s.storedRange(pctx, m.ClientMsgID, slot, from, to)
			if err != nil {
				failed = err
				break
			}
			inFlight++
			go func() {
				// The chunks in flight share the link: each may take
				// the time of all of them.
				cctx, cancel := context.WithTimeout(pctx, s.cfg.RequestTimeout+s.chunkAllowance(uploadWindow*(to-from)))
				defer cancel()
				done <- putDone{to - from, api.put(cctx, up.UploadID, i, parts)}
			}()
		}
		if inFlight == 0 {
			break
		}
		d := <-done
		inFlight--
		switch {
		case failed != nil:
		case d.err != nil:
			failed = d.err
			cancelPuts()
		default:
			up.Sent += d.n
			if err := s.record(ctx, m.ClientMsgID, slot, up, uploadWindow*up.ChunkSize, true, false); err != nil {
				failed = err
				cancelPuts()
			}
		}
	}
	if failed != nil {
		return up, failed
	}
	r, err := api.complete(ctx, up.UploadID)
	if err != nil {
		return up, err
	}
	up.Result = &r
	return up, s.record(ctx, m.ClientMsgID, slot, up, 0, true, false)
}

// uploadWindow is how many chunks of one file are in flight at once.
const uploadWindow = 3

// storedRange returns the stored pieces of bytes [from, to) of slot's
// file, checked to be all there.
func (s *session) storedRange(ctx context.Context, id string, slot int, from, to int64) ([]Bytes, error) {
	pieces, err := s.store.Chunks(ctx, id, slot, int(from/ChunkBytes), int((to-1)/ChunkBytes))
	if err != nil {
		return nil, withCode(err)
	}
	parts := chunkParts(pieces, from, to)
	var got int64
	for _, p := range parts {
		got += p.Len()
	}
	if got != to-from {
		return nil, &Error{Code: protocol.CodeInternal, Message: "upload: the stored file is incomplete"}
	}
	return parts, nil
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
