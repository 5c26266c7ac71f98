package core

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"

	"parley/protocol"
)

// simStore applies Changes the way a Store must, for the simulation below.
type simStore struct {
	convs  map[string]Conversation
	msgs   map[string]Message
	outbox map[string]bool
	cursor int64
}

func (s *simStore) local(self string, convIDs, msgIDs []string) localState {
	l := localState{Self: self, Convs: map[string]*Conversation{}, Msgs: map[string]Message{}, Outbox: map[string]bool{}}
	for _, id := range convIDs {
		if c, ok := s.convs[id]; ok {
			l.Convs[id] = &c
		}
	}
	for _, id := range convIDs {
		for cid, seqs := range s.held(id) {
			if l.Held == nil {
				l.Held = map[string][]int64{}
			}
			l.Held[cid] = seqs
		}
	}
	for _, id := range msgIDs {
		if m, ok := s.msgs[id]; ok {
			l.Msgs[id] = m
		}
		if s.outbox[id] {
			l.Outbox[id] = true
		}
	}
	return l
}

// held lists the seqs stored above a conversation's LocalMaxSeq, ascending.
func (s *simStore) held(conv string) map[string][]int64 {
	c := s.convs[conv]
	var seqs []int64
	for _, m := range s.msgs {
		if m.ConversationID == conv && m.Seq > c.LocalMaxSeq+1 {
			seqs = append(seqs, m.Seq)
		}
	}
	if len(seqs) == 0 {
		return nil
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return map[string][]int64{conv: seqs}
}

func (s *simStore) apply(ch Changes) {
	for _, c := range ch.Conversations {
		s.convs[c.ConversationID] = c
	}
	for _, m := range ch.Messages {
		s.msgs[m.ClientMsgID] = m
	}
	for _, id := range ch.RemovedOutbox {
		delete(s.outbox, id)
	}
	if ch.Cursor != nil {
		s.cursor = *ch.Cursor
	}
}

// TestSimulatedDelivery drives the engine's decisions through random
// schedules of pushes (delivered, delayed, reordered, lost), acks (lost or
// late), reconnects with sync, and checks what the app would see: every
// message stored once, dense, announced at most once and in seq order, the
// user's own messages resolved and never announced, and the unread count.
func TestSimulatedDelivery(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		simulate(t, seed)
		if t.Failed() {
			t.Fatalf("failed with seed %d", seed)
		}
	}
}

func simulate(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	const self, peer = "alice", "bob"
	conv := protocol.SingleConversationID(self, peer)
	n := 20 + rng.IntN(60)

	// The server's messages; some are this device's own sends.
	server := make([]protocol.Message, 0, n)
	own := map[string]bool{}
	otherDevice := map[string]bool{}
	st := &simStore{convs: map[string]Conversation{}, msgs: map[string]Message{}, outbox: map[string]bool{}}
	for i := 1; i <= n; i++ {
		from := peer
		id := "m" + strconv.Itoa(i)
		switch r := rng.IntN(100); {
		case r < 15:
			from = self
			own[id] = true
			// Stored as sending before it went out.
			st.msgs[id] = Message{ClientMsgID: id, ConversationID: conv, SendID: self, RecvID: peer,
				SessionType: protocol.SessionSingle, ContentType: protocol.ContentText, Text: id, Status: StatusSending}
			st.outbox[id] = true
		case r < 25:
			from = self
			otherDevice[id] = true
		}
		m := pm(conv, int64(i), from)
		m.ClientMsgID = id
		if from == self {
			m.RecvID = peer
		}
		server = append(server, m)
	}

	announced := map[string]int{}
	var announcedSeqs []int64
	resolved := map[string]bool{}
	run := func(in foldInput) {
		var convIDs, msgIDs []string
		convIDs = append(convIDs, conv)
		// Read back only what the session reads back (loadStored).
		before := st.local(self, convIDs, nil)
		for i := range in.Messages {
			m := &in.Messages[i]
			if mayBeStored(&before, m, st.outbox[m.ClientMsgID]) {
				msgIDs = append(msgIDs, m.ClientMsgID)
			}
		}
		res := fold(st.local(self, convIDs, msgIDs), in)
		st.apply(res.Changes)
		for _, m := range res.New {
			announced[m.ClientMsgID]++
			announcedSeqs = append(announcedSeqs, m.Seq)
		}
		for _, m := range res.Sent {
			resolved[m.ClientMsgID] = true
		}
	}
	pullFrom := func(committed int, ranges []protocol.SeqRange) []protocol.Message {
		var out []protocol.Message
		for _, r := range ranges {
			to := r.ToSeq
			if to == 0 || to > int64(committed) {
				to = int64(committed)
			}
			from := r.FromSeq
			if r.Latest && to-from+1 > int64(r.Limit) {
				from = to - int64(r.Limit) + 1
			}
			for s := from; s <= to && (r.Latest || s < from+int64(r.Limit)); s++ {
				out = append(out, server[s-1])
			}
		}
		return out
	}
	readSeq := func(committed int) int64 {
		var r int64
		for i := 0; i < committed; i++ {
			if server[i].SendID == self {
				r = server[i].Seq
			}
		}
		return r
	}
	syncNow := func(committed int, first bool) {
		state := protocol.ConversationState{ConversationID: conv, SessionType: protocol.SessionSingle, PeerUserID: peer,
			MaxSeq: int64(committed), MinSeq: 1, ReadSeq: readSeq(committed), Version: int64(committed)}
		var localMax int64
		if c, ok := st.convs[conv]; ok {
			localMax = c.LocalMaxSeq
		}
		p := planPull(conv, localMax, 1, int64(committed), first)
		in := foldInput{States: []protocol.ConversationState{state}, Messages: pullFrom(committed, p.Ranges), Quiet: first}
		if p.Tail != 0 {
			in.Tails = map[string]int64{conv: p.Tail}
		}
		cur := int64(committed)
		in.Cursor = &cur
		run(in)
	}
	deliver := func(committed int, batch []protocol.Message) {
		var convs map[string]*Conversation
		if c, ok := st.convs[conv]; ok {
			convs = map[string]*Conversation{conv: &c}
		}
		ranges, tails := planGaps(convs, st.held(conv), batch)
		msgs := append(pullFrom(committed, ranges), batch...)
		run(foldInput{Messages: msgs, Tails: tails})
	}

	syncNow(0, false) // a returning client: nothing yet
	var delayed []protocol.Message
	var lateAcks []protocol.Message
	for committed := 1; committed <= n; committed++ {
		m := server[committed-1]
		switch r := rng.IntN(100); {
		case own[m.ClientMsgID] && r < 60:
			// The ack (as the message the ack describes), now or later.
			if rng.IntN(2) == 0 {
				run(foldInput{Messages: []protocol.Message{m}})
			} else {
				lateAcks = append(lateAcks, m)
			}
		case own[m.ClientMsgID]:
			// Ack lost: found by a later pull or sync.
		case r < 60:
			deliver(committed, []protocol.Message{m})
		case r < 85:
			delayed = append(delayed, m)
		default:
			// Lost with a dropped connection.
		}
		if len(delayed) > 0 && rng.IntN(4) == 0 {
			rng.Shuffle(len(delayed), func(i, j int) { delayed[i], delayed[j] = delayed[j], delayed[i] })
			deliver(committed, delayed)
			delayed = nil
		}
		if len(lateAcks) > 0 && rng.IntN(3) == 0 {
			run(foldInput{Messages: lateAcks[:1]})
			lateAcks = lateAcks[1:]
		}
		if rng.IntN(10) == 0 {
			delayed = nil // reconnect: queued pushes are gone
			syncNow(committed, false)
		}
	}
	if len(delayed) > 0 {
		deliver(n, delayed)
	}
	for _, m := range lateAcks {
		run(foldInput{Messages: []protocol.Message{m}})
	}
	syncNow(n, false)

	// Every message once, dense, sent.
	bySeq := map[int64]string{}
	for id, m := range st.msgs {
		if m.Status != StatusSent {
			t.Errorf("seed %d: %s has status %s", seed, id, m.Status)
		}
		if other, dup := bySeq[m.Seq]; dup {
			t.Errorf("seed %d: seq %d held by %s and %s", seed, m.Seq, other, id)
		}
		bySeq[m.Seq] = id
	}
	if len(bySeq) != n {
		t.Errorf("seed %d: %d messages stored, want %d", seed, len(bySeq), n)
	}
	c := st.convs[conv]
	if c.LocalMaxSeq != int64(n) || c.MaxSeq != int64(n) || c.LatestMessage == nil || c.LatestMessage.Seq != int64(n) {
		t.Errorf("seed %d: conversation %+v", seed, c)
	}
	if want := int64(n) - readSeq(n); c.UnreadCount != want {
		t.Errorf("seed %d: unread %d, want %d", seed, c.UnreadCount, want)
	}
	if len(st.outbox) != 0 {
		t.Errorf("seed %d: outbox left %v", seed, st.outbox)
	}
	// Announced: everything not sent by this device, once, in order.
	for _, m := range server {
		id := m.ClientMsgID
		switch {
		case own[id] && announced[id] > 0:
			t.Errorf("seed %d: own message %s announced", seed, id)
		case own[id] && !resolved[id]:
			t.Errorf("seed %d: own message %s never resolved", seed, id)
		case !own[id] && announced[id] != 1:
			t.Errorf("seed %d: message %s announced %d times", seed, id, announced[id])
		}
	}
	if !sort.SliceIsSorted(announcedSeqs, func(i, j int) bool { return announcedSeqs[i] < announcedSeqs[j] }) {
		t.Errorf("seed %d: announced out of order: %v", seed, announcedSeqs)
	}
	_ = otherDevice
}
