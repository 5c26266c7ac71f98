package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/core"
	"parley/protocol"
)

// sentMsg is one send written on the wire and what came back before the kill.
type sentMsg struct {
	req   protocol.SendReq
	conv  string
	acked bool
	ack   protocol.SendResp
}

// pipeliner writes sends on one raw connection without waiting for their
// answers, and collects the answers as they come.
type pipeliner struct {
	c    *websocket.Conn
	mu   sync.Mutex
	sent map[string]*sentMsg // by request id
	acks chan struct{}       // one per ack
	done chan struct{}       // the reader stopped
}

func newPipeliner(ctx context.Context, addr, token string) (*pipeliner, error) {
	r, err := dialRaw(ctx, addr, token)
	if err != nil {
		return nil, err
	}
	p := &pipeliner{c: r.c, sent: map[string]*sentMsg{}, acks: make(chan struct{}, 100000), done: make(chan struct{})}
	go p.read()
	return p, nil
}

func (p *pipeliner) read() {
	defer close(p.done)
	for {
		_, b, err := p.c.Read(context.Background())
		if err != nil {
			return
		}
		f, err := protocol.DecodeFrame(b)
		if err != nil || f.ID == "" || f.Type != protocol.ReqSend || f.Error != nil {
			continue
		}
		var ack protocol.SendResp
		if protocol.DecodeData(f.Data, &ack) != nil {
			continue
		}
		p.mu.Lock()
		if m := p.sent[f.ID]; m != nil {
			m.acked, m.ack = true, ack
		}
		p.mu.Unlock()
		p.acks <- struct{}{}
	}
}

// send writes one send; false once the connection is gone.
func (p *pipeliner) send(id string, m *sentMsg) bool {
	b, err := protocol.EncodeFrame(id, protocol.ReqSend, m.req)
	if err != nil {
		panic(err)
	}
	p.mu.Lock()
	p.sent[id] = m
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.c.Write(ctx, websocket.MessageText, b); err != nil {
		p.mu.Lock()
		delete(p.sent, id) // never on the wire as far as we know
		p.mu.Unlock()
		return false
	}
	return true
}

func textContent(s string) json.RawMessage {
	b, _ := json.Marshal(protocol.TextContent{Text: s})
	return b
}

// TestCrashAckedSurvivesKill pipelines sends on several connections, kills
// parleyd with SIGKILL while they are in flight, and checks after the
// restart (before anyone resends) that every acknowledged message is
// there at its seq; then resends everything with the same clientMsgIDs and
// checks each is stored exactly once.
func TestCrashAckedSurvivesKill(t *testing.T) {
	srv := newParleyd(t)
	srv.start()
	for _, u := range []string{"a", "b", "c"} {
		srv.user(u)
	}
	g := srv.group("a", "crash", []string{"b", "c"})
	gconv := protocol.GroupConversationID(g)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Four connections (a has two), each sending to the group and to a
	// one-to-one conversation, under the per-connection burst limit.
	type sender struct {
		user string
		p    *pipeliner
		msgs []*sentMsg
	}
	var senders []*sender
	for _, u := range []string{"a", "a", "b", "c"} {
		p, err := newPipeliner(ctx, srv.addr, srv.token(u))
		if err != nil {
			t.Fatal(err)
		}
		defer p.c.CloseNow()
		senders = append(senders, &sender{user: u, p: p})
	}
	const perConn = 150
	for i, s := range senders {
		peer := map[string]string{"a": "b", "b": "c", "c": "a"}[s.user]
		for n := 0; n < perConn; n++ {
			m := &sentMsg{req: protocol.SendReq{ClientMsgID: fmt.Sprintf("k%d-%03d", i, n), ContentType: protocol.ContentText,
				Content: textContent(fmt.Sprintf("conn %d msg %d", i, n))}}
			if n%2 == 0 {
				m.req.GroupID, m.conv = g, gconv
			} else {
				m.req.RecvID, m.conv = peer, protocol.SingleConversationID(s.user, peer)
			}
			s.msgs = append(s.msgs, m)
		}
	}
	var writers sync.WaitGroup
	for _, s := range senders {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for n, m := range s.msgs {
				if !s.p.send(strconv.Itoa(n+1), m) {
					return
				}
				time.Sleep(500 * time.Microsecond) // spread the sends over several commits
			}
		}()
	}
	// Kill once a fifth of the sends were acknowledged: the rest are being
	// written, committed and answered at that moment.
	total := perConn * len(senders)
	acks := 0
	merged := make(chan struct{}, total)
	for _, s := range senders {
		go func() {
			for {
				select {
				case <-s.p.acks:
					merged <- struct{}{}
				case <-s.p.done:
					return
				}
			}
		}()
	}
	deadline := time.After(2 * time.Minute)
	for acks < total/5 {
		select {
		case <-merged:
			acks++
		case <-deadline:
			t.Fatalf("only %d acks within 2 minutes", acks)
		}
	}
	srv.kill()
	for _, s := range senders {
		<-s.p.done
	}
	writers.Wait()

	// What was on the wire, and what was acknowledged, once the dust settled.
	var written, acked []*sentMsg
	for _, s := range senders {
		s.p.mu.Lock()
		for _, m := range s.msgs {
			for _, x := range s.p.sent {
				if x == m {
					written = append(written, m)
					if m.acked {
						acked = append(acked, m)
					}
				}
			}
		}
		s.p.mu.Unlock()
	}

	srv.start()
	audit := func(label string) map[string][]protocol.Message {
		byConv := map[string][]protocol.Message{}
		r, err := dialRaw(ctx, srv.addr, srv.token("a"))
		if err != nil {
			t.Fatal(err)
		}
		defer r.close()
		sts, err := r.states(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for conv, st := range sts {
			msgs, err := r.messages(ctx, conv, st.MaxSeq)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for i, m := range msgs {
				if m.Seq != int64(i+1) {
					t.Errorf("%s: %s: message %d has seq %d (not dense)", label, conv, i, m.Seq)
				}
				if seen[m.ClientMsgID] {
					t.Errorf("%s: %s: clientMsgID %s stored twice", label, conv, m.ClientMsgID)
				}
				seen[m.ClientMsgID] = true
			}
			if int64(len(msgs)) != st.MaxSeq {
				t.Errorf("%s: %s: %d messages, max seq %d", label, conv, len(msgs), st.MaxSeq)
			}
			byConv[conv] = msgs
		}
		return byConv
	}
	after := audit("after the restart")
	// b->c is not a's conversation: read it as b.
	{
		r, err := dialRaw(ctx, srv.addr, srv.token("b"))
		if err != nil {
			t.Fatal(err)
		}
		conv := protocol.SingleConversationID("b", "c")
		sts, err := r.states(ctx)
		if err != nil {
			t.Fatal(err)
		}
		after[conv], err = r.messages(ctx, conv, sts[conv].MaxSeq)
		r.close()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := map[string]map[int64]string{}
	for conv, msgs := range after {
		at[conv] = map[int64]string{}
		for _, m := range msgs {
			at[conv][m.Seq] = m.ClientMsgID
		}
	}
	for _, m := range acked {
		if got := at[m.conv][m.ack.Seq]; got != m.req.ClientMsgID {
			t.Errorf("acked %s (seq %d in %s) lost after SIGKILL: seq holds %q", m.req.ClientMsgID, m.ack.Seq, m.conv, got)
		}
	}
	stored := 0
	for _, msgs := range after {
		stored += len(msgs)
	}
	t.Logf("crash: %d sends written, %d acked before SIGKILL, %d stored after restart (%d committed but unanswered)",
		len(written), len(acked), stored, stored-len(acked))

	// Resend everything that was written, as a client's outbox does: the
	// acked ones come back as duplicates with their seq, the rest are
	// stored now or were stored before; each ends up stored once.
	for i, s := range senders {
		r, err := dialRaw(ctx, srv.addr, srv.token(s.user))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range s.msgs {
			var resp protocol.SendResp
			for {
				err = r.call(ctx, protocol.ReqSend, m.req, &resp)
				if protocol.CodeOf(err) != protocol.CodeRateLimited {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("resend %s on connection %d: %v", m.req.ClientMsgID, i, err)
			}
			if m.acked && (!resp.Duplicate || resp.Seq != m.ack.Seq || resp.ServerMsgID != m.ack.ServerMsgID) {
				t.Errorf("resent acked %s: got %+v, want duplicate of %+v", m.req.ClientMsgID, resp, m.ack)
			}
		}
		r.close()
	}
	final := audit("after the resends")
	final[protocol.SingleConversationID("b", "c")] = nil // a cannot read it; counted below
	n := 0
	for _, msgs := range final {
		n += len(msgs)
	}
	r, err := dialRaw(ctx, srv.addr, srv.token("b"))
	if err != nil {
		t.Fatal(err)
	}
	bc, err := r.messages(ctx, protocol.SingleConversationID("b", "c"), 1<<30)
	r.close()
	if err != nil {
		t.Fatal(err)
	}
	n += len(bc)
	if n != total {
		t.Errorf("after resending all %d messages the server holds %d", total, n)
	}
}

// TestCrashOutboxResendsOnce has SDK clients send through their outboxes,
// kills parleyd with SIGKILL mid-stream, checks every acknowledged message
// after the restart while the clients are still kept away, then lets them
// reconnect and checks that every message ends up stored exactly once and
// acknowledged with its seq.
func TestCrashOutboxResendsOnce(t *testing.T) {
	srv := newParleyd(t)
	srv.start()
	px := newProxy(t, srv.addr)
	for _, u := range []string{"a", "b", "c"} {
		srv.user(u)
	}
	g := srv.group("a", "crash", []string{"b", "c"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var devices []*device
	for _, name := range []string{"a/1", "a/2", "b/1", "c/1"} {
		u := name[:1]
		d := newDevice(t, name, u, srv.token(u), px.url())
		if err := d.login(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.logout() })
		devices = append(devices, d)
	}
	for _, d := range devices {
		if err := d.waitSynced(60 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	const perDevice = 60
	peer := map[string]string{"a": "b", "b": "c", "c": "a"}
	for _, d := range devices {
		for n := 0; n < perDevice; n++ {
			tg := target{conv: protocol.GroupConversationID(g), groupID: g}
			if n%3 == 0 {
				tg = target{conv: protocol.SingleConversationID(d.userID, peer[d.userID]), recvID: peer[d.userID]}
			}
			if !d.send(tg, fmt.Sprintf("%s %d", d.name, n)) {
				t.Fatal("device not logged in")
			}
		}
	}
	ackedNow := func() map[string]int64 {
		out := map[string]int64{}
		for _, d := range devices {
			d.mu.Lock()
			for id, a := range d.attempts {
				if a.returned && a.seq > 0 {
					out[id] = a.seq
				}
			}
			d.mu.Unlock()
		}
		return out
	}
	total := perDevice * len(devices)
	for wait := time.Now().Add(2 * time.Minute); len(ackedNow()) < total/4; {
		if time.Now().After(wait) {
			t.Fatalf("only %d acks within 2 minutes", len(ackedNow()))
		}
		time.Sleep(time.Millisecond)
	}
	px.refuse.Store(true) // nobody reconnects until the audit is done
	srv.kill()
	px.cutAll()
	acked := ackedNow() // acks that arrived before the connections died
	convOf := map[string]string{}
	for _, d := range devices {
		for id, a := range d.attempts {
			convOf[id] = a.conv
		}
	}

	srv.start()
	serverMsgs := func() map[string][]protocol.Message {
		out := map[string][]protocol.Message{}
		for _, u := range []string{"a", "b"} {
			r, err := dialRaw(ctx, srv.addr, srv.token(u))
			if err != nil {
				t.Fatal(err)
			}
			sts, err := r.states(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for conv, st := range sts {
				if out[conv] != nil {
					continue
				}
				if out[conv], err = r.messages(ctx, conv, st.MaxSeq); err != nil {
					t.Fatal(err)
				}
			}
			r.close()
		}
		return out
	}
	before := serverMsgs()
	seqOf := map[string]int64{}
	for _, msgs := range before {
		for _, m := range msgs {
			seqOf[m.ClientMsgID] = m.Seq
		}
	}
	for id, seq := range acked {
		if seqOf[id] != seq {
			t.Errorf("acked %s (seq %d in %s) lost after SIGKILL (found at %d)", id, seq, convOf[id], seqOf[id])
		}
	}
	stored := len(seqOf)
	t.Logf("crash: %d messages in outboxes, %d acked before SIGKILL, %d stored after restart", total, len(acked), stored)

	px.refuse.Store(false)
	for _, d := range devices {
		waitGroup(t, &d.sends, 2*time.Minute, d.name+": SendMessage calls")
	}
	after := serverMsgs()
	seqOf = map[string]int64{}
	for conv, msgs := range after {
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				t.Errorf("%s: message %d has seq %d (not dense)", conv, i, m.Seq)
			}
			if _, dup := seqOf[m.ClientMsgID]; dup {
				t.Errorf("%s: %s stored twice", conv, m.ClientMsgID)
			}
			seqOf[m.ClientMsgID] = m.Seq
		}
	}
	if len(seqOf) != total {
		t.Errorf("server holds %d messages, %d were sent", len(seqOf), total)
	}
	for _, d := range devices {
		for id, a := range d.attempts {
			if a.seq == 0 || a.seq != seqOf[id] {
				t.Errorf("%s: %s answered seq %d (%s), server seq %d", d.name, id, a.seq, a.code, seqOf[id])
			}
			if old, ok := acked[id]; ok && old != a.seq {
				t.Errorf("%s: %s acked twice with different seqs %d and %d", d.name, id, old, a.seq)
			}
		}
		es, err := d.store.Reopen().Outbox(ctx)
		if err != nil || len(es) != 0 {
			t.Errorf("%s: outbox %d entries (%v)", d.name, len(es), err)
		}
		ms, err := d.store.Reopen().Messages(ctx, keys(d.attempts))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Status != core.StatusSent || m.Seq != seqOf[m.ClientMsgID] {
				t.Errorf("%s: stored %s as %s seq %d, server seq %d", d.name, m.ClientMsgID, m.Status, m.Seq, seqOf[m.ClientMsgID])
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
