package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// failingStore fails the failAt-th Apply that writes messages: after
// committing it (the outcome a browser may report as unknown) or instead
// of it.
type failingStore struct {
	core.Store
	mu        sync.Mutex
	n, failAt int
	commit    bool
}

var errUnknownOutcome = errors.New("transaction outcome unknown")

func (s *failingStore) Apply(ctx context.Context, ch *core.Changes) error {
	s.mu.Lock()
	if len(ch.Messages) > 0 {
		s.n++
	}
	fail := s.n == s.failAt && len(ch.Messages) > 0
	s.mu.Unlock()
	if !fail {
		return s.Store.Apply(ctx, ch)
	}
	if s.commit {
		if err := s.Store.Apply(ctx, ch); err != nil {
			return err
		}
	}
	return errUnknownOutcome
}

// oneConvServer serves one conversation with bob whose messages are pushed
// to the client, and answers sync and pull from them.
type oneConvServer struct {
	*fakeServer
	msgs []protocol.Message
}

func newOneConvServer() *oneConvServer {
	s := &oneConvServer{fakeServer: &fakeServer{}}
	s.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		s.mu.Lock()
		msgs := append([]protocol.Message(nil), s.msgs...)
		s.mu.Unlock()
		n := int64(len(msgs))
		switch f.Type {
		case protocol.ReqSync:
			var req protocol.SyncReq
			_ = json.Unmarshal(f.Data, &req)
			resp := protocol.SyncResp{Conversations: []protocol.ConversationState{}, Cursor: n}
			if req.Cursor < n {
				resp.Conversations = []protocol.ConversationState{{ConversationID: protocol.SingleConversationID("me", "bob"),
					SessionType: protocol.SessionSingle, PeerUserID: "bob", MinSeq: 1, MaxSeq: n, Version: n}}
			}
			return resp, nil, true
		case protocol.ReqPull:
			var req protocol.PullReq
			_ = json.Unmarshal(f.Data, &req)
			out := []protocol.Message{}
			for _, r := range req.Ranges {
				for _, m := range msgs {
					if m.Seq >= r.FromSeq && (m.Seq <= r.ToSeq || r.ToSeq == 0) {
						out = append(out, m)
					}
				}
			}
			return protocol.PullResp{Messages: out}, nil, true
		}
		r, e := defaultAnswer(s.fakeServer, f)
		return r, e, true
	}
	return s
}

// send stores a message from bob and pushes it.
func (s *oneConvServer) send(seq int64) {
	m := protocol.Message{ClientMsgID: fmt.Sprint("c", seq), ServerMsgID: fmt.Sprint("s", seq),
		ConversationID: protocol.SingleConversationID("me", "bob"), Seq: seq, SendID: "bob", RecvID: "me",
		SessionType: protocol.SessionSingle, ContentType: protocol.ContentText,
		Content: []byte(fmt.Sprintf(`{"text":"t%d"}`, seq)), SendTime: 1000 + seq}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	s.push(protocol.PushMessage, m)
}

func announced(evs []core.Event) map[int64]int {
	out := map[int64]int{}
	for _, ev := range evs {
		if nm, ok := ev.(core.NewMessages); ok {
			for _, m := range nm.Messages {
				out[m.Seq]++
			}
		}
	}
	return out
}

// A write of pushed messages that fails, whether or not it committed, at
// any point of a burst, still announces every message exactly once: the
// redone write announces what it stores, and what turns out stored after
// all is announced when that is found.
func TestFailedWriteAnnouncesOnce(t *testing.T) {
	const burst = 6
	for _, commit := range []bool{false, true} {
		for failAt := 1; failAt <= 3; failAt++ {
			t.Run(fmt.Sprintf("commit=%v/write%d", commit, failAt), func(t *testing.T) {
				ctx := context.Background()
				srv := newOneConvServer()
				srv.send(1) // before login: history of the first sync, not news
				st := mem.New()
				fst := &failingStore{failAt: failAt + 1, commit: commit} // +1: the first sync's write
				c, rec := newTestClient(t, srv.fakeServer, st, func(cfg *core.Config) {
					cfg.OpenStore = func(context.Context, string) (core.Store, error) {
						fst.Store = st.Reopen()
						return fst, nil
					}
				})
				require.NoError(t, c.Login(ctx, "me", "tok"))
				rec.waitFor(t, "first sync", func(evs []core.Event) bool {
					for _, ev := range evs {
						if sp, ok := ev.(core.SyncProgressed); ok && sp.Phase == core.SyncFinish {
							return true
						}
					}
					return false
				})
				// Three bursts of two, each announced before the next: at
				// least three writes, whichever of them fails.
				for seq := int64(2); seq <= burst+1; seq += 2 {
					srv.send(seq)
					srv.send(seq + 1)
					rec.waitFor(t, "the burst announced", func(evs []core.Event) bool {
						return len(announced(evs)) == int(seq)
					})
				}
				c.WaitEvents()
				rec.mu.Lock()
				got := announced(rec.events)
				rec.mu.Unlock()
				for seq := int64(2); seq <= burst+1; seq++ {
					assert.Equal(t, 1, got[seq], "seq %d announced", seq)
				}
				assert.Zero(t, got[1], "the first sync's history is not news")
				h, err := c.HistoryMessages(ctx, protocol.SingleConversationID("me", "bob"), 0, 20)
				require.NoError(t, err)
				assert.Len(t, h.Messages, burst+1)
			})
		}
	}
}
