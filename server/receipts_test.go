package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/protocol"
	"parley/server"
	"parley/server/bus"
)

// TestGroupReadReceipts: a read in a group pushes the new read counts to
// the senders of what it newly read, and to no one else; the readers and
// their read times are the sender's to see; a sender's sync reports the
// change (ReceiptVersion) and ReqReadCounts answers the counts.
func TestGroupReadReceipts(t *testing.T) {
	e := newEnv(t)
	a, b, c, d := e.dial(e.adminUser("alice")), e.dial(e.adminUser("bob")), e.dial(e.adminUser("carl")), e.dial(e.adminUser("dave"))
	var g protocol.Group
	a.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "g", MemberUserIDs: []string{"bob", "carl", "dave"}}, &g)
	conv := protocol.GroupConversationID(g.GroupID)
	for _, x := range []*client{a, b, c, d} {
		x.push(protocol.PushGroup)
	}
	var before protocol.SyncResp
	a.do(protocol.ReqSync, protocol.SyncReq{}, &before)
	a.sendText("a1", "", g.GroupID, "one")                      // seq 1
	a.sendText("a2", "", g.GroupID, "two")                      // seq 2
	b.sendText("b1", "", g.GroupID, "three")                    // seq 3: bob read 1 and 2 by sending
	for x, n := range map[*client]int{a: 1, b: 2, c: 3, d: 3} { // not one's own
		for range n {
			x.push(protocol.PushMessage)
		}
	}
	// The send moved bob's read seq but pushed no counts.
	a.noPush()

	c.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv, ReadSeq: 3}, nil)
	got := decode[protocol.ReadCounts](t, a.push(protocol.PushReadCounts))
	assert.Equal(t, conv, got.ConversationID)
	assert.Positive(t, got.ReceiptVersion)
	assert.Equal(t, []protocol.ReadCount{{ClientMsgID: "a1", Seq: 1, ReadCount: 2}, {ClientMsgID: "a2", Seq: 2, ReadCount: 2}}, got.Counts)
	bobs := decode[protocol.ReadCounts](t, b.push(protocol.PushReadCounts))
	assert.Equal(t, []protocol.ReadCount{{ClientMsgID: "b1", Seq: 3, ReadCount: 1}}, bobs.Counts)
	d.noPush() // whose messages were not read hears nothing
	c.noPush()

	var info protocol.ReadInfo
	a.do(protocol.ReqReadInfo, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "a2"}, &info)
	assert.Equal(t, 2, info.ReadCount)
	assert.Equal(t, 1, info.UnreadCount, "dave")
	require.Len(t, info.Readers, 2)
	readers := []string{info.Readers[0].UserID, info.Readers[1].UserID}
	assert.ElementsMatch(t, []string{"bob", "carl"}, readers)
	for _, r := range info.Readers {
		assert.Positive(t, r.ReadTime)
	}
	b.wantError(protocol.ReqReadInfo, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "a2"}, protocol.CodePermissionDenied)
	a.wantError(protocol.ReqReadInfo, protocol.MessageRefReq{ConversationID: conv, ClientMsgID: "nope"}, protocol.CodeNotFound)
	a.wantError(protocol.ReqReadInfo, protocol.MessageRefReq{ConversationID: protocol.SingleConversationID("alice", "bob"), ClientMsgID: "a2"}, protocol.CodeInvalidArgument)

	// Reading again, or less, changes nothing and tells nobody.
	c.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv, ReadSeq: 2}, nil)
	a.noPush()

	// Alice's sync reports the change; her counts are answered.
	var after protocol.SyncResp
	a.do(protocol.ReqSync, protocol.SyncReq{Cursor: before.Cursor}, &after)
	require.Len(t, after.Conversations, 1)
	assert.Equal(t, got.ReceiptVersion, after.Conversations[0].ReceiptVersion)
	var rc protocol.ReadCounts
	a.do(protocol.ReqReadCounts, protocol.ReadCountsReq{ConversationID: conv, FromSeq: 1}, &rc)
	assert.Equal(t, got, rc)
	a.do(protocol.ReqReadCounts, protocol.ReadCountsReq{ConversationID: conv, FromSeq: 2, ToSeq: 2}, &rc)
	assert.Equal(t, []protocol.ReadCount{{ClientMsgID: "a2", Seq: 2, ReadCount: 2}}, rc.Counts)
	a.wantError(protocol.ReqReadCounts, protocol.ReadCountsReq{ConversationID: conv, FromSeq: -1}, protocol.CodeInvalidArgument)
}

// countingBus counts the pushes published and the users they go to.
type countingBus struct {
	bus.Bus
	mu                 sync.Mutex
	events, recipients map[string]int
}

func (cb *countingBus) Publish(ctx context.Context, ev bus.Event) error {
	cb.mu.Lock()
	cb.events[ev.Type]++
	cb.recipients[ev.Type] += len(ev.UserIDs)
	cb.mu.Unlock()
	return cb.Bus.Publish(ctx, ev)
}

func (cb *countingBus) take(typ string) (events, recipients int) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	events, recipients = cb.events[typ], cb.recipients[typ]
	cb.events, cb.recipients = map[string]int{}, map[string]int{}
	return events, recipients
}

// BenchmarkGroupRead500 is one member's read in a 500-member group: the
// read covers the newest messages, from 10 senders. It reports the pushes
// the read sends (push.readCounts, and the reader's own state) and the
// users they go to; the rows it writes are BenchmarkGroupReadRows in the
// SQLite store. Each iteration first has each sender post one message
// (not counted) so that the read moves over 10 messages of 10 senders.
func BenchmarkGroupRead500(b *testing.B) {
	cb := &countingBus{Bus: bus.NewLocal(), events: map[string]int{}, recipients: map[string]int{}}
	e := newEnvOpts(b, envOpts{}, func(cfg *server.Config) { cfg.Bus, cfg.MaxGroupSize = cb, 500 })
	owner := e.dial(e.adminUser("m0"))
	var members []string
	for i := 1; i < 500; i++ {
		members = append(members, fmt.Sprint("m", i))
		e.adminUser(members[len(members)-1])
	}
	var g protocol.Group
	owner.do(protocol.ReqCreateGroup, protocol.CreateGroupReq{Name: "big", MemberUserIDs: members}, &g)
	conv := protocol.GroupConversationID(g.GroupID)
	senders := make([]*client, 10)
	for i := range senders {
		senders[i] = e.dial(e.token(members[i]))
	}
	reader := e.dial(e.token("m499"))
	for i := range 50 {
		senders[i%10].sendText(fmt.Sprint("warm", i), "", g.GroupID, "hi")
	}
	reader.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv}, nil)
	cb.take(protocol.PushReadCounts)
	var pushes, users, statePushes int
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for k, sd := range senders {
			sd.sendText(fmt.Sprint("m", i, "-", k), "", g.GroupID, "hi")
		}
		cb.take(protocol.PushMessage)
		b.StartTimer()
		reader.do(protocol.ReqMarkRead, protocol.MarkReadReq{ConversationID: conv}, nil)
		b.StopTimer()
		cb.mu.Lock()
		statePushes += cb.recipients[protocol.PushConversation]
		cb.mu.Unlock()
		ev, rc := cb.take(protocol.PushReadCounts)
		pushes, users = pushes+ev, users+rc
		b.StartTimer()
	}
	b.ReportMetric(float64(pushes)/float64(b.N), "readCountPushes/op")
	b.ReportMetric(float64(users)/float64(b.N), "readCountRecipients/op")
	b.ReportMetric(float64(statePushes)/float64(b.N), "statePushRecipients/op")
}
