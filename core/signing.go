package core

// Signed file URLs (docs/protocol.md §9): a message's content stores each
// file's lasting URL, which the server serves only through a URL signed
// for one viewer. The app is handed messages whose file URLs are signed
// for the user (SignFileURLs), refreshed before they expire; what is
// stored, forwarded or merged keeps the lasting ones (unsignContent).

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley/protocol"
)

// signMargin is how long before its expiry a signed URL is asked for again.
const signMargin = 10 * time.Minute

type signedFiles struct {
	urls    map[string]string
	expires time.Time
}

// signer caches the signed URLs of one session, by message.
type signer struct {
	mu    sync.Mutex
	cache map[string]signedFiles // conversationID + "#" + seq
}

func signKey(conv string, seq int64) string { return conv + "#" + strconv.FormatInt(seq, 10) }

// SignFileURLs returns ms with the file URLs of their contents replaced by
// URLs signed for the user, which any <img>, <video> or <a> of the app can
// load; messages without files, or whose URLs cannot be signed now
// (offline), come back as they are. Signed URLs are cached until shortly
// before they expire.
func (c *Client) SignFileURLs(ctx context.Context, ms []Message) []Message {
	s, err := c.session()
	if err != nil || len(ms) == 0 {
		return ms
	}
	var need []protocol.MessageRef
	now := s.cfg.Now()
	s.sign.mu.Lock()
	if s.sign.cache == nil {
		s.sign.cache = make(map[string]signedFiles)
	}
	for _, m := range ms {
		if m.Seq <= 0 || len(fileURLs(&m)) == 0 {
			continue
		}
		if e, ok := s.sign.cache[signKey(m.ConversationID, m.Seq)]; ok && now.Add(signMargin).Before(e.expires) {
			continue
		}
		need = append(need, protocol.MessageRef{ConversationID: m.ConversationID, Seq: m.Seq})
	}
	s.sign.mu.Unlock()
	for len(need) > 0 {
		batch := need[:min(len(need), protocol.MaxSignMessages)]
		need = need[len(batch):]
		body, _ := json.Marshal(protocol.FileSignReq{Messages: batch})
		var resp protocol.FileSignResp
		sctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		err := s.uploadAPI().call(sctx, "POST", protocol.FilesPath+"/sign", "application/json", []Bytes{ByteSlice(body)}, &resp)
		cancel()
		if err != nil {
			s.cfg.Logger.Debug("signing file URLs", "err", err)
			break
		}
		s.sign.mu.Lock()
		for _, sm := range resp.Messages {
			if sm.Error == nil {
				s.sign.cache[signKey(sm.ConversationID, sm.Seq)] = signedFiles{urls: sm.URLs, expires: time.UnixMilli(resp.ExpiresAt)}
			}
		}
		s.sign.mu.Unlock()
	}
	out := make([]Message, len(ms))
	s.sign.mu.Lock()
	defer s.sign.mu.Unlock()
	for i, m := range ms {
		out[i] = m
		if e, ok := s.sign.cache[signKey(m.ConversationID, m.Seq)]; ok && m.Seq > 0 {
			if raw, err := mapStrings(m.Content, func(v string) string {
				if u, ok := e.urls[v]; ok {
					return u
				}
				return v
			}); err == nil {
				out[i].Content = raw
			}
		}
	}
	return out
}

// fileURLs lists the file URLs of m's content.
func fileURLs(m *Message) []string {
	if m.ContentType == protocol.ContentText || len(m.Content) == 0 {
		return nil
	}
	c, err := protocol.DecodeContent(m.ContentType, m.Content)
	if err != nil {
		return nil
	}
	return protocol.ContentURLs(c)
}

// unsignContent returns content with every URL signed by the server
// (its files' addresses with a query) back to its lasting form.
func (s *session) unsignContent(content json.RawMessage) json.RawMessage {
	prefix := httpBase(s.cfg.ServerURL) + protocol.FilesPath + "/"
	if !bytes.Contains(content, []byte(protocol.FilesPath+"/")) {
		return content
	}
	out, err := mapStrings(content, func(v string) string {
		if i := strings.IndexByte(v, '?'); i >= 0 && strings.Contains(v, protocol.FilesPath+"/") && (strings.HasPrefix(v, prefix) || strings.Contains(v, "&s=")) {
			return v[:i]
		}
		return v
	})
	if err != nil {
		return content
	}
	return out
}

// mapStrings returns raw with every string value v replaced by fn(v).
func mapStrings(raw json.RawMessage, fn func(string) string) (json.RawMessage, error) {
	if len(raw) == 0 {
		return raw, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return fn(x)
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = walk(x[k])
			}
		}
		return v
	}
	return json.Marshal(walk(v))
}
