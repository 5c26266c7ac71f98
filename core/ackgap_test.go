package core_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// TestAckBeyondGapPullsOwnLostMessage: the server stores a message but its
// ack never arrives, so the message fails here; the next message is acked
// above it. An own message is never pushed back to its sender, so only a
// pull below the ack finds that the failed one was stored after all (found
// by the chaos run, e2e/chaos).
func TestAckBeyondGapPullsOwnLostMessage(t *testing.T) {
	conv := protocol.SingleConversationID("me", "bob")
	fs := &fakeServer{}
	var stored []protocol.Message // the server's conversation
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		switch f.Type {
		case protocol.ReqSend:
			var req protocol.SendReq
			_ = json.Unmarshal(f.Data, &req)
			fs.mu.Lock()
			defer fs.mu.Unlock()
			for _, m := range stored {
				if m.ClientMsgID == req.ClientMsgID {
					return protocol.SendResp{ConversationID: conv, ServerMsgID: m.ServerMsgID, Seq: m.Seq, SendTime: m.SendTime, Duplicate: true}, nil, true
				}
			}
			seq := int64(len(stored) + 1)
			m := protocol.Message{ClientMsgID: req.ClientMsgID, ServerMsgID: "s" + req.ClientMsgID, ConversationID: conv, Seq: seq,
				SendID: "me", RecvID: "bob", SessionType: protocol.SessionSingle, ContentType: req.ContentType, Content: req.Content, SendTime: 1000 + seq}
			stored = append(stored, m)
			if seq == 1 {
				return nil, nil, false // stored, but the ack is lost
			}
			return protocol.SendResp{ConversationID: conv, ServerMsgID: m.ServerMsgID, Seq: seq, SendTime: m.SendTime}, nil, true
		case protocol.ReqPull:
			var req protocol.PullReq
			_ = json.Unmarshal(f.Data, &req)
			fs.mu.Lock()
			defer fs.mu.Unlock()
			out := []protocol.Message{}
			for _, r := range req.Ranges {
				for _, m := range stored {
					if m.ConversationID == r.ConversationID && m.Seq >= r.FromSeq && (r.ToSeq == 0 || m.Seq <= r.ToSeq) {
						out = append(out, m)
					}
				}
			}
			return protocol.PullResp{Messages: out}, nil, true
		}
		r, e := defaultAnswer(fs, f)
		return r, e, true
	}
	st := mem.New()
	c, _ := newTestClient(t, fs, st, func(cfg *core.Config) { cfg.SendTimeout = 300 * time.Millisecond })
	ctx := context.Background()
	if err := c.Login(ctx, "me", "tok"); err != nil {
		t.Fatal(err)
	}
	first, _ := c.CreateTextMessage("lost ack")
	if _, err := c.SendMessage(ctx, first, "bob", ""); protocol.CodeOf(err) != protocol.CodeTimeout {
		t.Fatalf("first send: %v, want timeout", err)
	}
	second, _ := c.CreateTextMessage("acked")
	if sent, err := c.SendMessage(ctx, second, "bob", ""); err != nil || sent.Seq != 2 {
		t.Fatalf("second send = %+v, %v", sent, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms, err := st.Reopen().Messages(ctx, []string{first.ClientMsgID})
		cv, cerr := st.Reopen().Conversation(ctx, conv)
		if err == nil && cerr == nil && len(ms) == 1 && ms[0].Status == core.StatusSent && ms[0].Seq == 1 && cv.LocalMaxSeq == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stored message stays %+v here; conversation %+v (%v, %v)", ms, cv, err, cerr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
