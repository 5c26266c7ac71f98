package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley/protocol"
)

// The message load shared by direct and group: senders send at a total
// rate or flat out, every send is timed to its ack, and every push.message
// to its receipt. A message's clientMsgID carries its send time (offset
// from the run's base time, on the monotonic clock), so a receipt needs
// no shared table.

// recorder collects one client's samples. It is written only from that
// client's reader goroutine and read after the client has closed.
type recorder struct {
	ack      latencies
	delivery latencies
	// deliveredIDs lists the clientMsgIDs received, in order, for group
	// fan-out completion; kept only when wanted.
	deliveredIDs []string
}

// loadRun is one run of the load.
type loadRun struct {
	base     time.Time
	size     int
	keepIDs  bool
	sent     atomic.Int64
	acked    atomic.Int64
	dup      atomic.Int64
	limited  atomic.Int64
	failed   atomic.Int64
	received atomic.Int64
	startNs  int64        // ns since base when sending began
	lastAck  atomic.Int64 // ns since base
	lastRecv atomic.Int64
	firstErr atomic.Value // string
}

func newLoadRun(size int) *loadRun { return &loadRun{base: time.Now(), size: size} }

func (l *loadRun) since(t time.Time) int64 { return int64(t.Sub(l.base)) }

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// onPush returns the push handler of a receiving client.
func (l *loadRun) onPush(rec *recorder) func(*protocol.Frame, time.Time) {
	return func(f *protocol.Frame, at time.Time) {
		if f.Type != protocol.PushMessage {
			return
		}
		var m struct {
			ClientMsgID string `json:"clientMsgID"`
		}
		if json.Unmarshal(f.Data, &m) != nil {
			return
		}
		sentAt, ok := sendTimeOf(m.ClientMsgID)
		if !ok {
			return // not ours (setup traffic)
		}
		now := l.since(at)
		rec.delivery = append(rec.delivery, time.Duration(now-sentAt))
		if l.keepIDs {
			rec.deliveredIDs = append(rec.deliveredIDs, m.ClientMsgID)
		}
		l.received.Add(1)
		storeMax(&l.lastRecv, now)
	}
}

// msgID is "L<sender>.<n>.<ns since base>".
func msgID(sender, n int, sentAt int64) string {
	return "L" + strconv.Itoa(sender) + "." + strconv.Itoa(n) + "." + strconv.FormatInt(sentAt, 10)
}

func sendTimeOf(id string) (int64, bool) {
	if !strings.HasPrefix(id, "L") {
		return 0, false
	}
	i := strings.LastIndexByte(id, '.')
	if i < 0 {
		return 0, false
	}
	ns, err := strconv.ParseInt(id[i+1:], 10, 64)
	return ns, err == nil
}

// sender is one sending client and where its messages go.
type sender struct {
	cl      *client
	rec     *recorder
	recvID  string
	groupID string
}

// send runs every sender for d: at rate messages per second in total
// (scheduled, so a late send's latency counts from when it was due), or
// flat out with window sends in flight each. It returns when the sends
// have been made; acks may still be on their way.
func (l *loadRun) send(ctx context.Context, senders []sender, rate float64, d time.Duration, window int) {
	l.startNs = l.since(time.Now())
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if rate > 0 {
				interval := time.Duration(float64(len(senders)) / rate * float64(time.Second))
				l.paced(ctx, i, &senders[i], interval, time.Duration(i)*interval/time.Duration(len(senders)))
			} else {
				l.flatOut(ctx, i, &senders[i], window)
			}
		}()
	}
	wg.Wait()
}

// maxInFlight stays under the server's 64 sends in flight per connection.
const maxInFlight = 60

func (l *loadRun) paced(ctx context.Context, idx int, s *sender, interval, offset time.Duration) {
	slots := make(chan struct{}, maxInFlight)
	due := time.Now().Add(offset)
	t := time.NewTimer(time.Until(due))
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		l.sendOne(s, msgID(idx, n, l.since(due)), func() { <-slots })
		due = due.Add(interval)
		t.Reset(time.Until(due))
	}
}

func (l *loadRun) flatOut(ctx context.Context, idx int, s *sender, window int) {
	slots := make(chan struct{}, min(max(window, 1), maxInFlight))
	for n := 0; ; n++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if ctx.Err() != nil {
			return
		}
		l.sendOne(s, msgID(idx, n, l.since(time.Now())), func() { <-slots })
	}
}

// sendOne sends one message and calls done once it is acked or failed.
// A rate_limited answer is retried with the same clientMsgID after a
// pause, as the SDK does; its latency still counts from the first try.
func (l *loadRun) sendOne(s *sender, id string, done func()) {
	sentAt, _ := sendTimeOf(id)
	body, _ := json.Marshal(protocol.TextContent{Text: text(id, l.size)})
	req := protocol.SendReq{ClientMsgID: id, RecvID: s.recvID, GroupID: s.groupID, ContentType: protocol.ContentText, Content: body}
	l.sent.Add(1)
	var try func()
	try = func() {
		err := s.cl.start(protocol.ReqSend, req, func(f *protocol.Frame, at time.Time) {
			switch {
			case f.Error == nil:
				now := l.since(at)
				s.rec.ack = append(s.rec.ack, time.Duration(now-sentAt))
				l.acked.Add(1)
				if strings.Contains(string(f.Data), `"duplicate":true`) {
					l.dup.Add(1)
				}
				storeMax(&l.lastAck, now)
				done()
			case f.Error.Code == protocol.CodeRateLimited:
				l.limited.Add(1)
				time.AfterFunc(50*time.Millisecond, try)
			default:
				l.failed.Add(1)
				l.firstErr.CompareAndSwap(nil, f.Error.Error())
				done()
			}
		})
		if err != nil {
			l.failed.Add(1)
			l.firstErr.CompareAndSwap(nil, err.Error())
			done()
		}
	}
	try()
}

// drain waits until every send is answered and want() deliveries have
// arrived, or until grace passes.
func (l *loadRun) drain(ctx context.Context, want func() int64, grace time.Duration) bool {
	deadline := time.Now().Add(grace)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if l.acked.Load()+l.failed.Load() >= l.sent.Load() && l.received.Load() >= want() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// report adds the load's numbers to r. deliveriesPer is how many pushes
// one stored message should make.
func (l *loadRun) report(r *result, recs []*recorder, deliveriesPer int, sendFor time.Duration) {
	var ack, del latencies
	for _, rec := range recs {
		ack = append(ack, rec.ack...)
		del = append(del, rec.delivery...)
	}
	acked, recv := l.acked.Load(), l.received.Load()
	r.add("messages sent", float64(l.sent.Load()), "")
	r.add("messages stored (acked)", float64(acked), "")
	r.add("deliveries received", float64(recv), "")
	r.add("deliveries expected", float64((acked-l.dup.Load())*int64(deliveriesPer)), "")
	r.add("rate_limited answers (retried)", float64(l.limited.Load()), "")
	r.add("failed sends", float64(l.failed.Load()), "")
	if la := time.Duration(l.lastAck.Load() - l.startNs); la > 0 {
		r.add("stored per second", round1(float64(acked)/la.Seconds()), "msg/s")
	}
	if lr := time.Duration(l.lastRecv.Load() - l.startNs); lr > 0 {
		r.add("delivered per second", round1(float64(recv)/lr.Seconds()), "deliveries/s")
	}
	r.add("send phase", sendFor.Seconds(), "s")
	r.latency("send→ack", ack)
	r.latency("send→receipt", del)
	if e, ok := l.firstErr.Load().(string); ok {
		r.note("first send error: %s", e)
	}
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// phase is what a scenario notes as its sending starts, for finish.
type phase struct {
	start     time.Time
	toolStart time.Duration
	before    serverStats
	after     serverStats // set by finish
	profWait  func()
}

// begin scrapes the server and starts the CPU profile of the send phase.
func (l *loadRun) begin(ctx context.Context, c *config, r *result, a *admin) *phase {
	before, _ := a.scrape(ctx, c.pid)
	p := &phase{start: time.Now(), toolStart: cpuTime(), before: before}
	p.profWait = c.profiler().cpuDuring(ctx, c.duration, r)
	return p
}

// finish waits for the acks and want() deliveries, closes the clients and
// reports the run: deliveriesPer pushes per stored message.
func (l *loadRun) finish(ctx context.Context, c *config, r *result, a *admin, p *phase, sendFor time.Duration,
	want func() int64, clients []*client, recs []*recorder, deliveriesPer int) {
	if !l.drain(ctx, want, 15*time.Second) {
		r.note("not every send was answered or delivered within 15 s of the end of sending")
	}
	after, _ := a.scrape(ctx, c.pid)
	p.after = after
	toolCPU := cpuTime() - p.toolStart
	p.profWait()
	noteUnexpectedCloses(r, clients)
	closeAll(clients) // the recorders are read below, once their readers have stopped
	l.report(r, recs, deliveriesPer, sendFor)
	serverCPU(r, p.before, after)
	r.add("tool CPU time during run", round1(toolCPU.Seconds()), "s")
}
