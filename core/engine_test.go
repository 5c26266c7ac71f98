package core

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	"parley/protocol"
)

const (
	convAB = "si_alice_bob"
	convG  = "sg_team"
)

func pm(conv string, seq int64, from string) protocol.Message {
	to := "bob"
	if from == "bob" {
		to = "alice"
	}
	return protocol.Message{
		ClientMsgID: conv + "-" + strconv.FormatInt(seq, 10), ServerMsgID: "s" + strconv.FormatInt(seq, 10),
		ConversationID: conv, Seq: seq, SendID: from, RecvID: to, SessionType: protocol.SessionSingle,
		ContentType: protocol.ContentText, Content: json.RawMessage(`{"text":"m` + strconv.FormatInt(seq, 10) + `"}`),
		SendTime: 1000 + seq,
	}
}

func TestPlanPull(t *testing.T) {
	r := func(from, to int64, limit int) protocol.SeqRange {
		return protocol.SeqRange{ConversationID: convAB, FromSeq: from, ToSeq: to, Limit: limit}
	}
	cases := []struct {
		name                     string
		localMax, minSeq, maxSeq int64
		first                    bool
		want                     pullPlan
	}{
		{"up to date", 10, 1, 10, false, pullPlan{}},
		{"ahead of state", 12, 1, 10, false, pullPlan{}},
		{"empty conversation", 0, 1, 0, false, pullPlan{}},
		{"small gap", 7, 1, 10, false, pullPlan{Ranges: []protocol.SeqRange{r(8, 10, 3)}}},
		{"new conversation", 0, 1, 3, false, pullPlan{Ranges: []protocol.SeqRange{r(1, 3, 3)}}},
		{"joined late", 0, 50, 52, false, pullPlan{Ranges: []protocol.SeqRange{r(50, 52, 3)}}},
		{"gap split in pages", 0, 1, 1200, false, pullPlan{Ranges: []protocol.SeqRange{r(1, 500, 500), r(501, 1000, 500), r(1001, 1200, 200)}}},
		{"first sync small", 0, 1, 5, true, pullPlan{Ranges: []protocol.SeqRange{r(1, 5, 5)}}},
		{"first sync large takes latest page", 0, 1, 1000, true,
			pullPlan{Ranges: []protocol.SeqRange{r(1000-initialPullCount+1, 1000, initialPullCount)}, Tail: 1000 - initialPullCount + 1}},
		{"huge gap takes latest page", 10, 1, 10 + maxCatchUp + 1, false,
			pullPlan{Ranges: []protocol.SeqRange{r(10+maxCatchUp+1-499, 10+maxCatchUp+1, 500)}, Tail: 10 + maxCatchUp + 1 - 499}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := planPull(convAB, c.localMax, c.minSeq, c.maxSeq, c.first)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("planPull = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestPlanGaps(t *testing.T) {
	r := func(conv string, from, to int64) protocol.SeqRange {
		return protocol.SeqRange{ConversationID: conv, FromSeq: from, ToSeq: to, Limit: int(to - from + 1)}
	}
	conv := func(localMax int64) *Conversation {
		return &Conversation{ConversationID: convAB, LocalMaxSeq: localMax, MinSeq: 1}
	}
	cases := []struct {
		name      string
		convs     map[string]*Conversation
		held      map[string][]int64
		pushed    []protocol.Message
		want      []protocol.SeqRange
		wantTails map[string]int64
	}{
		{"next in line", map[string]*Conversation{convAB: conv(4)}, nil, []protocol.Message{pm(convAB, 5, "bob")}, nil, nil},
		{"duplicate", map[string]*Conversation{convAB: conv(9)}, nil, []protocol.Message{pm(convAB, 5, "bob")}, nil, nil},
		{"gap", map[string]*Conversation{convAB: conv(4)}, nil, []protocol.Message{pm(convAB, 8, "bob")}, []protocol.SeqRange{r(convAB, 5, 7)}, nil},
		{"batch fills its own gaps", map[string]*Conversation{convAB: conv(4)}, nil,
			[]protocol.Message{pm(convAB, 7, "bob"), pm(convAB, 5, "bob"), pm(convAB, 6, "bob")}, nil, nil},
		{"two holes", map[string]*Conversation{convAB: conv(1)}, nil,
			[]protocol.Message{pm(convAB, 3, "bob"), pm(convAB, 6, "bob")}, []protocol.SeqRange{r(convAB, 2, 2), r(convAB, 4, 5)}, nil},
		{"unknown conversation starting at 1", nil, nil, []protocol.Message{pm(convAB, 1, "bob")}, nil, nil},
		{"unknown group conversation starting later", nil, nil, []protocol.Message{pm(convG, 40, "bob"), pm(convG, 41, "bob")}, nil, map[string]int64{convG: 40}},
		{"unknown one-to-one conversation starts at 1", nil, nil, []protocol.Message{pm(convAB, 40, "bob"), pm(convAB, 41, "bob")}, []protocol.SeqRange{r(convAB, 1, 39)}, nil},
		{"own sends held above the run are not pulled", map[string]*Conversation{convAB: conv(2)}, map[string][]int64{convAB: {4, 6}},
			[]protocol.Message{pm(convAB, 7, "bob")}, []protocol.SeqRange{r(convAB, 3, 3), r(convAB, 5, 5)}, nil},
		{"huge gap", map[string]*Conversation{convAB: conv(1)}, nil, []protocol.Message{pm(convAB, maxCatchUp+10, "bob")}, nil, map[string]int64{convAB: maxCatchUp + 10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, tails := planGaps(c.convs, c.held, c.pushed)
			if !reflect.DeepEqual(got, c.want) || !reflect.DeepEqual(tails, c.wantTails) {
				t.Errorf("planGaps = %+v, %v; want %+v, %v", got, tails, c.want, c.wantTails)
			}
		})
	}
}

func TestPackPulls(t *testing.T) {
	var many []protocol.SeqRange
	for i := 0; i < 120; i++ {
		many = append(many, protocol.SeqRange{ConversationID: "c" + strconv.Itoa(i), FromSeq: 1, ToSeq: 1, Limit: 1})
	}
	big := []protocol.SeqRange{{Limit: 500}, {Limit: 500}, {Limit: 500}, {Limit: 500}, {Limit: 500}}
	cases := []struct {
		name  string
		in    []protocol.SeqRange
		sizes []int
	}{
		{"none", nil, nil},
		{"range count bound", many, []int{50, 50, 20}},
		{"message count bound", big, []int{4, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reqs := packPulls(c.in)
			var sizes []int
			n := 0
			for _, r := range reqs {
				sizes = append(sizes, len(r.Ranges))
				n += len(r.Ranges)
			}
			if !reflect.DeepEqual(sizes, c.sizes) || n != len(c.in) {
				t.Errorf("sizes = %v, want %v", sizes, c.sizes)
			}
		})
	}
}

func TestFold(t *testing.T) {
	stored := func(m protocol.Message) Message { return messageFromProto(&m, "") }
	pending := func(seq int64) Message {
		m := stored(pm(convAB, seq, "alice"))
		m.Seq, m.ServerMsgID, m.SendTime, m.Status = 0, "", 0, StatusSending
		return m
	}
	base := func(localMax, maxSeq, readSeq int64) *Conversation {
		return &Conversation{ConversationID: convAB, SessionType: protocol.SessionSingle, UserID: "bob",
			MinSeq: 1, MaxSeq: maxSeq, LocalMaxSeq: localMax, ReadSeq: readSeq, ServerReadSeq: readSeq, UnreadCount: maxSeq - readSeq}
	}
	type want struct {
		newSeqs     []int64 // announced
		written     []int64 // message seqs written
		sent        []string
		unread      int64
		localMax    int64
		maxSeq      int64
		readSeq     int64
		latest      int64
		changed     bool // conversationsChanged announced
		convWritten bool
	}
	cases := []struct {
		name  string
		local localState
		in    foldInput
		want  want
	}{
		{
			name:  "new message from peer in a new conversation",
			local: localState{Self: "alice"},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 1, "bob")}},
			want:  want{newSeqs: []int64{1}, written: []int64{1}, unread: 1, localMax: 1, maxSeq: 1, latest: 1, changed: true, convWritten: true},
		},
		{
			name: "a removed member's state counts what it missed up to the removal",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convG: {ConversationID: convG, SessionType: protocol.SessionGroup, GroupID: "team",
				MinSeq: 1, MaxSeq: 3, LocalMaxSeq: 3, ReadSeq: 3, ServerReadSeq: 3}}},
			in:   foldInput{States: []protocol.ConversationState{{ConversationID: convG, SessionType: protocol.SessionGroup, GroupID: "team", MinSeq: 1, MaxSeq: 5, ReadSeq: 3, Version: 9, GroupVersion: 9, Removed: true}}},
			want: want{unread: 2, localMax: 3, maxSeq: 5, readSeq: 3, changed: true, convWritten: true},
		},
		{
			name: "a removed member's missed messages, pulled up to the removal, are news",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convG: {ConversationID: convG, SessionType: protocol.SessionGroup, GroupID: "team",
				MinSeq: 1, MaxSeq: 3, LocalMaxSeq: 3, ReadSeq: 3, ServerReadSeq: 3}}},
			in: foldInput{States: []protocol.ConversationState{{ConversationID: convG, SessionType: protocol.SessionGroup, GroupID: "team", MinSeq: 1, MaxSeq: 5, ReadSeq: 3, Version: 9, GroupVersion: 9, Removed: true}},
				Messages: []protocol.Message{pm(convG, 4, "bob"), pm(convG, 5, "bob")}},
			want: want{newSeqs: []int64{4, 5}, written: []int64{4, 5}, unread: 2, localMax: 5, maxSeq: 5, readSeq: 3, latest: 5, changed: true, convWritten: true},
		},
		{
			name:  "duplicate changes nothing",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: withLatest(base(3, 3, 0), stored(pm(convAB, 3, "bob")))}, Msgs: map[string]Message{convAB + "-3": stored(pm(convAB, 3, "bob"))}},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 3, "bob")}},
			want:  want{unread: 3, localMax: 3, maxSeq: 3, latest: 3},
		},
		{
			name:  "push and pull of the same messages in one batch",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: base(2, 2, 2)}},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 4, "bob"), pm(convAB, 3, "bob"), pm(convAB, 4, "bob")}},
			want:  want{newSeqs: []int64{3, 4}, written: []int64{3, 4}, unread: 2, localMax: 4, maxSeq: 4, readSeq: 2, latest: 4, changed: true, convWritten: true},
		},
		{
			name:  "own message from another device is news and read",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: base(2, 2, 0)}},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 3, "alice")}},
			want:  want{newSeqs: []int64{3}, written: []int64{3}, unread: 0, localMax: 3, maxSeq: 3, readSeq: 3, latest: 3, changed: true, convWritten: true},
		},
		{
			name:  "own pending message found on the server resolves, not news",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: base(2, 2, 2)}, Msgs: map[string]Message{convAB + "-3": pending(3)}, Outbox: map[string]bool{convAB + "-3": true}},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 3, "alice")}},
			want:  want{written: []int64{3}, sent: []string{convAB + "-3"}, localMax: 3, maxSeq: 3, readSeq: 3, latest: 3, changed: true, convWritten: true},
		},
		{
			name:  "ack beyond a gap does not move the contiguous top",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: base(2, 2, 2)}, Msgs: map[string]Message{convAB + "-5": pending(5)}, Outbox: map[string]bool{convAB + "-5": true}},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 5, "alice")}},
			want:  want{written: []int64{5}, sent: []string{convAB + "-5"}, localMax: 2, maxSeq: 5, readSeq: 5, latest: 5, changed: true, convWritten: true},
		},
		{
			name: "the run continues through an own message acked ahead of it",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: withLatest(base(2, 4, 4), stored(pm(convAB, 4, "alice")))},
				Held: map[string][]int64{convAB: {4}}},
			in:   foldInput{Messages: []protocol.Message{pm(convAB, 3, "bob")}},
			want: want{newSeqs: []int64{3}, written: []int64{3}, localMax: 4, maxSeq: 4, readSeq: 4, latest: 4, convWritten: true},
		},
		{
			name:  "quiet stores without announcing",
			local: localState{Self: "alice"},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 1, "bob"), pm(convAB, 2, "bob")}, Quiet: true},
			want:  want{written: []int64{1, 2}, unread: 2, localMax: 2, maxSeq: 2, latest: 2, changed: true, convWritten: true},
		},
		{
			name:  "tail restarts the run",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: base(3, 3, 3)}},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 90, "bob"), pm(convAB, 91, "bob")}, Tails: map[string]int64{convAB: 90}},
			want:  want{newSeqs: []int64{90, 91}, written: []int64{90, 91}, unread: 88, localMax: 91, maxSeq: 91, readSeq: 3, latest: 91, changed: true, convWritten: true},
		},
		{
			name:  "push into an unknown conversation beyond seq 1 counts from there",
			local: localState{Self: "alice"},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 50, "bob")}, Tails: map[string]int64{convAB: 50}},
			want:  want{newSeqs: []int64{50}, written: []int64{50}, unread: 1, localMax: 50, maxSeq: 50, latest: 50, changed: true, convWritten: true},
		},
		{
			name:  "state moves read seq and max seq",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: base(5, 5, 1)}},
			in:    foldInput{States: []protocol.ConversationState{{ConversationID: convAB, SessionType: protocol.SessionSingle, PeerUserID: "bob", MaxSeq: 7, MinSeq: 1, ReadSeq: 5}}},
			want:  want{unread: 2, localMax: 5, maxSeq: 7, readSeq: 5, changed: true, convWritten: true},
		},
		{
			name:  "state behind the local read seq does not move it back",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: base(5, 5, 5)}},
			in:    foldInput{States: []protocol.ConversationState{{ConversationID: convAB, SessionType: protocol.SessionSingle, PeerUserID: "bob", MaxSeq: 5, MinSeq: 1, ReadSeq: 2}}},
			want:  want{},
		},
		{
			name: "an older state does not undo a newer pin",
			local: localState{Self: "alice", Convs: map[string]*Conversation{convAB: func() *Conversation {
				c := base(5, 5, 5)
				c.IsPinned, c.Version = true, 30
				return c
			}()}},
			in:   foldInput{States: []protocol.ConversationState{{ConversationID: convAB, SessionType: protocol.SessionSingle, PeerUserID: "bob", MaxSeq: 5, MinSeq: 1, ReadSeq: 5, Version: 20}}},
			want: want{unread: 0, localMax: 5, maxSeq: 5, readSeq: 5},
		},
		{
			name:  "message without seq is ignored",
			local: localState{Self: "alice"},
			in:    foldInput{Messages: []protocol.Message{pm(convAB, 0, "bob")}},
			want:  want{},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.local.Msgs == nil {
				c.local.Msgs = map[string]Message{}
			}
			res := fold(c.local, c.in)
			var newSeqs, written []int64
			for _, m := range res.New {
				newSeqs = append(newSeqs, m.Seq)
			}
			for _, m := range res.Changes.Messages {
				written = append(written, m.Seq)
				if m.Status != StatusSent {
					t.Errorf("written message %s has status %s", m.ClientMsgID, m.Status)
				}
			}
			var sent []string
			for _, m := range res.Sent {
				sent = append(sent, m.ClientMsgID)
			}
			if !reflect.DeepEqual(newSeqs, c.want.newSeqs) || !reflect.DeepEqual(written, c.want.written) || !reflect.DeepEqual(sent, c.want.sent) {
				t.Errorf("new %v written %v sent %v; want %v %v %v", newSeqs, written, sent, c.want.newSeqs, c.want.written, c.want.sent)
			}
			if !reflect.DeepEqual(res.Changes.RemovedOutbox, sent) {
				t.Errorf("RemovedOutbox = %v, want %v", res.Changes.RemovedOutbox, sent)
			}
			if (len(res.Changed) > 0) != c.want.changed {
				t.Errorf("Changed = %+v, want announced %v", res.Changed, c.want.changed)
			}
			if (len(res.Changes.Conversations) > 0) != c.want.convWritten {
				t.Fatalf("Conversations written = %+v, want %v", res.Changes.Conversations, c.want.convWritten)
			}
			if !c.want.convWritten {
				return
			}
			cv := res.Changes.Conversations[0]
			var latest int64
			if cv.LatestMessage != nil {
				latest = cv.LatestMessage.Seq
			}
			got := [5]int64{cv.UnreadCount, cv.LocalMaxSeq, cv.MaxSeq, cv.ReadSeq, latest}
			exp := [5]int64{c.want.unread, c.want.localMax, c.want.maxSeq, c.want.readSeq, c.want.latest}
			if got != exp {
				t.Errorf("unread, localMax, maxSeq, readSeq, latest = %v, want %v", got, exp)
			}
			// Folding the result again announces nothing and writes nothing new.
			l2 := localState{Self: c.local.Self, Convs: map[string]*Conversation{}, Msgs: map[string]Message{}}
			for i := range res.Changes.Conversations {
				cc := res.Changes.Conversations[i]
				l2.Convs[cc.ConversationID] = &cc
			}
			for _, m := range res.Changes.Messages {
				l2.Msgs[m.ClientMsgID] = m
			}
			again := fold(l2, foldInput{Messages: c.in.Messages, Tails: c.in.Tails})
			if len(again.New) != 0 || len(again.Changes.Messages) != 0 || len(again.Changed) != 0 || len(again.Sent) != 0 {
				t.Errorf("second fold not a no-op: %+v", again)
			}
		})
	}
}

func withLatest(c *Conversation, m Message) *Conversation {
	c.LatestMessage = &m
	c.UpdatedAt = m.SendTime
	return c
}

func TestBackoff(t *testing.T) {
	for n := 0; n < 20; n++ {
		d := backoff(n, 100, 1000)
		exp := int64(100) << n
		if exp > 1000 || n > 10 {
			exp = 1000
		}
		if int64(d) < exp/2 || int64(d) > exp {
			t.Errorf("backoff(%d) = %d, want in [%d, %d]", n, d, exp/2, exp)
		}
	}
}

func TestSortConversations(t *testing.T) {
	at := func(id string, pinned bool, sendTime, updated int64) Conversation {
		c := Conversation{ConversationID: id, IsPinned: pinned, UpdatedAt: updated}
		if sendTime > 0 {
			c.LatestMessage = &Message{SendTime: sendTime}
		}
		return c
	}
	cs := []Conversation{
		at("a", false, 100, 900), // read or pinned late: still sorted by its message
		at("b", false, 200, 200),
		at("c", true, 50, 50),
		at("d", false, 0, 150), // no message yet: its own update time
		at("e", false, 200, 200),
		at("f", true, 60, 60),
	}
	sortConversations(cs)
	var got []string
	for _, c := range cs {
		got = append(got, c.ConversationID)
	}
	want := []string{"f", "c", "b", "e", "d", "a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestWSBaseURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://127.0.0.1:8080", "ws://127.0.0.1:8080/ws"},
		{"https://chat.example.com/", "wss://chat.example.com/ws"},
		{"https://example.com/parley/?x=1#f", "wss://example.com/parley/ws"},
		{"WS://h:1", "ws://h:1/ws"},
		{"", ""},
		{"127.0.0.1:8080", ""},
		{"ftp://x", ""},
		{"http://", ""},
		{"http://a b", ""},
	}
	for _, c := range cases {
		got, err := wsBaseURL(c.in)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("wsBaseURL(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if got := queryEscape("a+b/c=d ~._-Z9é"); got != "a%2Bb%2Fc%3Dd%20~._-Z9%C3%A9" {
		t.Errorf("queryEscape = %q", got)
	}
}

func TestContinuePulls(t *testing.T) {
	fwd := func(conv string, from, to int64) protocol.SeqRange {
		return protocol.SeqRange{ConversationID: conv, FromSeq: from, ToSeq: to, Limit: int(to - from + 1)}
	}
	const other = "si_alice_carol"
	cases := []struct {
		name   string
		ranges []protocol.SeqRange
		got    []protocol.Message
		want   []protocol.SeqRange
	}{
		{"complete", []protocol.SeqRange{fwd(convAB, 1, 3)}, []protocol.Message{pm(convAB, 1, "bob"), pm(convAB, 2, "bob"), pm(convAB, 3, "bob")}, nil},
		{"cut short", []protocol.SeqRange{fwd(convAB, 1, 500)}, []protocol.Message{pm(convAB, 1, "bob"), pm(convAB, 2, "bob")}, []protocol.SeqRange{fwd(convAB, 3, 500)}},
		{"nothing returned is the end", []protocol.SeqRange{fwd(convAB, 1, 500)}, nil, nil},
		{"two ranges of one conversation", []protocol.SeqRange{fwd(convAB, 1, 500), fwd(convAB, 501, 900)},
			[]protocol.Message{pm(convAB, 1, "bob"), pm(convAB, 2, "bob")}, []protocol.SeqRange{fwd(convAB, 3, 500)}},
		{"latest ranges are never continued", []protocol.SeqRange{{ConversationID: convAB, FromSeq: 1, ToSeq: 90, Limit: 20, Latest: true}},
			[]protocol.Message{pm(convAB, 80, "bob")}, nil},
		{"per conversation", []protocol.SeqRange{fwd(convAB, 1, 4), fwd(other, 1, 4)},
			[]protocol.Message{pm(convAB, 1, "bob"), pm(convAB, 4, "bob"), pm(other, 2, "bob")}, []protocol.SeqRange{fwd(other, 3, 4)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := continuePulls(c.ranges, c.got); !reflect.DeepEqual(got, c.want) {
				t.Errorf("continuePulls = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestUnsentReads(t *testing.T) {
	convs := []Conversation{
		{ConversationID: "a", ReadSeq: 5, ServerReadSeq: 5},
		{ConversationID: "b", ReadSeq: 7, ServerReadSeq: 3},
		{ConversationID: "c", ReadSeq: 0, ServerReadSeq: 0},
		{ConversationID: "d", ReadSeq: 2, ServerReadSeq: 4},
		{ConversationID: "e", DraftText: "later", DraftPending: true},
		{ConversationID: "f", DraftText: "sent"},
		{ConversationID: "g", ReadSeq: 9, ServerReadSeq: 2, DraftText: "x", DraftPending: true, Removed: true}, // the server refuses both
	}
	got, drafts := unsentReads(convs)
	want := []protocol.MarkReadReq{{ConversationID: "b", ReadSeq: 7}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unsentReads = %+v, want %+v", got, want)
	}
	wantDrafts := []protocol.SetDraftReq{{ConversationID: "e", DraftText: "later"}}
	if !reflect.DeepEqual(drafts, wantDrafts) {
		t.Errorf("unsentReads drafts = %+v, want %+v", drafts, wantDrafts)
	}
}
