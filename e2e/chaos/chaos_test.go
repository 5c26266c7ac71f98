package chaos

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/core"
	"parley/protocol"
)

var (
	flagSeed     = flag.Uint64("chaos.seed", 1, "seed of the chaos run's schedule (printed; rerun with it)")
	flagDuration = flag.Duration("chaos.duration", 20*time.Second, "how long the chaos run sends and breaks things")
	flagSoak     = flag.Bool("chaos.soak", false, "long soak: 10 minutes of chaos unless -chaos.duration is set higher")
	flagSendTO   = flag.Duration("chaos.sendtimeout", 0, "the SDK's SendTimeout (0: its default); short values make messages fail")
	flagDownMax  = flag.Duration("chaos.downmax", 1500*time.Millisecond, "longest time the server stays down after a stop or kill")
)

// run counts what the chaos run did.
type run struct {
	created, acked, failed, refused int
	cuts, cutAlls, restarts, kills  int
	killsInFlight, reloads          int
	offlineReloads                  int
}

// TestChaos has several users, some with two devices, send in one-to-one
// and group conversations while the harness cuts connections, restarts
// parleyd gracefully, kills it with SIGKILL and reloads clients, all on a
// seeded schedule. Afterwards it checks that nothing was lost, doubled,
// reordered or announced twice, and that unread counts add up.
func TestChaos(t *testing.T) {
	seed := *flagSeed
	duration := *flagDuration
	if *flagSoak && duration < 10*time.Minute {
		duration = 10 * time.Minute
	}
	t.Logf("chaos: seed %d, duration %v (rerun: -chaos.seed=%d -chaos.duration=%v)", seed, duration, seed, duration)
	rng := rand.New(rand.NewPCG(seed, 0x9a7e1e))

	srv := newParleyd(t)
	srv.start()
	px := newProxy(t, srv.addr)

	// Six users; u1 and u2 have two devices each.
	users := []string{"u1", "u2", "u3", "u4", "u5", "u6"}
	for _, u := range users {
		srv.user(u)
	}
	g1 := srv.group("u1", "four", []string{"u2", "u3", "u4"})
	g2 := srv.group("u5", "three", []string{"u1", "u6"})
	pairs := [][2]string{{"u1", "u2"}, {"u1", "u3"}, {"u2", "u4"}, {"u3", "u5"}, {"u5", "u6"}, {"u4", "u6"}, {"u2", "u2"}}
	targets := map[string][]target{}
	members := map[string][]string{} // conversation -> users
	for _, p := range pairs {
		conv := protocol.SingleConversationID(p[0], p[1])
		targets[p[0]] = append(targets[p[0]], target{conv: conv, recvID: p[1]})
		if p[1] != p[0] {
			targets[p[1]] = append(targets[p[1]], target{conv: conv, recvID: p[0]})
			members[conv] = []string{p[0], p[1]}
		} else {
			members[conv] = []string{p[0]}
		}
	}
	// In a fixed order (not by the groups' random IDs), so that a seed
	// picks the same targets in every run.
	for _, g := range []struct {
		id      string
		members []string
	}{{g1, []string{"u1", "u2", "u3", "u4"}}, {g2, []string{"u5", "u1", "u6"}}} {
		conv := protocol.GroupConversationID(g.id)
		for _, u := range g.members {
			targets[u] = append(targets[u], target{conv: conv, groupID: g.id})
		}
		members[conv] = g.members
	}

	var devices []*device
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u] = srv.token(u)
		names := []string{u + "/a"}
		if u == "u1" || u == "u2" {
			names = append(names, u+"/b")
		}
		for _, name := range names {
			d := newDevice(t, name, u, srv.token(u), px.url())
			devices = append(devices, d)
		}
	}
	for _, d := range devices {
		if err := d.login(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.logout() })
	}
	for _, d := range devices {
		if err := d.waitSynced(60 * time.Second); err != nil {
			t.Fatal(err)
		}
	}

	// Senders: each device on its own seeded stream.
	var st run
	ctx, stopSending := context.WithCancel(context.Background())
	var senders sync.WaitGroup
	for i, d := range devices {
		drng := rand.New(rand.NewPCG(seed, uint64(i+1)))
		tgs := targets[d.userID]
		senders.Add(1)
		go func() {
			defer senders.Done()
			for n := 1; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Duration(100+drng.IntN(300)) * time.Millisecond):
				}
				tg := tgs[drng.IntN(len(tgs))]
				switch r := drng.IntN(40); {
				case r < 5:
					d.markRead(tg.conv)
				case r < 7:
					d.react(tg.conv, drng.IntN(2) == 0, []string{"👍", "🎉", "😂"}[drng.IntN(3)])
				case r < 9:
					// A burst: many sends queued at once fill the outbox's window.
					for k := 5 + drng.IntN(20); k > 0; k-- {
						n++
						d.send(tgs[drng.IntN(len(tgs))], fmt.Sprintf("%s #%d", d.name, n))
					}
				default:
					d.send(tg, fmt.Sprintf("%s #%d", d.name, n))
				}
			}
		}()
	}

	// The chaos schedule.
	inFlight := func() bool {
		for _, d := range devices {
			es, err := d.store.Reopen().Outbox(context.Background())
			if err == nil && len(es) > 0 {
				return true
			}
		}
		return false
	}
	// down keeps the server away for a while, sometimes with a client
	// reloading meanwhile (it starts offline from its store).
	down := func(rng *rand.Rand) {
		switch rng.IntN(4) {
		case 0:
		case 1:
			d := devices[rng.IntN(len(devices))]
			if err := d.reload(); err != nil {
				t.Fatal(err)
			}
			st.reloads++
			st.offlineReloads++
		default:
			time.Sleep(time.Duration(rng.Int64N(int64(*flagDownMax) + 1)))
		}
	}
	end := time.Now().Add(duration)
	for time.Now().Before(end) {
		time.Sleep(time.Duration(150+rng.IntN(450)) * time.Millisecond)
		switch r := rng.IntN(100); {
		case r < 35:
			live := px.live()
			for k := 1 + rng.IntN(3); k > 0 && len(live) > 0; k-- {
				i := rng.IntN(len(live))
				if px.cut(live[i]) {
					st.cuts++
				}
				live = append(live[:i], live[i+1:]...)
			}
		case r < 45:
			px.cutAll()
			st.cutAlls++
		case r < 57:
			srv.stop()
			down(rng)
			srv.start()
			st.restarts++
		case r < 77:
			// Mid-send: wait a moment for a message in flight.
			for wait := time.Now().Add(time.Second); !inFlight() && time.Now().Before(wait); {
				time.Sleep(time.Millisecond)
			}
			if inFlight() {
				st.killsInFlight++
			}
			srv.kill()
			down(rng)
			srv.start()
			st.kills++
		case r < 90:
			d := devices[rng.IntN(len(devices))]
			if err := d.reload(); err != nil {
				t.Fatal(err)
			}
			st.reloads++
		}
	}
	stopSending()
	senders.Wait()
	t.Logf("chaos: stopped after %v; waiting for convergence", duration)

	// Convergence: outboxes empty and every device agreeing with the
	// server on every conversation's max seq and read seq.
	auditCtx, cancelAudit := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancelAudit()
	var truth map[string]map[string]protocol.ConversationState // user -> conv -> state
	deadline := time.Now().Add(90 * time.Second)
	for {
		var why string
		truth, why = converged(auditCtx, srv, tokens, devices)
		if why == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no convergence within 90s after the chaos stopped: %s\n%s", why, explain(auditCtx, srv, tokens, devices))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, d := range devices {
		waitGroup(t, &d.sends, 60*time.Second, d.name+": SendMessage calls")
		if c := d.client(); c != nil {
			c.WaitEvents()
		}
	}

	// The server's messages, read over the raw protocol.
	checks := map[string]int{}
	check := func(name string, ok bool, format string, args ...any) {
		t.Helper()
		checks[name]++
		if !ok {
			t.Errorf(name+": "+format, args...)
		}
	}
	server := map[string][]protocol.Message{} // conv -> messages in seq order
	seqOf := map[string]int64{}               // clientMsgID -> seq
	for conv, ms := range members {
		r, err := dialRaw(auditCtx, srv.addr, tokens[ms[0]])
		if err != nil {
			t.Fatal(err)
		}
		max := truth[ms[0]][conv].MaxSeq
		msgs, err := r.messages(auditCtx, conv, max)
		r.close()
		if err != nil {
			t.Fatal(err)
		}
		server[conv] = msgs
		check("server: conversation holds seqs 1..max", int64(len(msgs)) == max, "%s: %d messages, max seq %d", conv, len(msgs), max)
		for i, m := range msgs {
			check("server: seq dense and in order", m.Seq == int64(i+1), "%s: message %d has seq %d", conv, i, m.Seq)
			_, dup := seqOf[m.ClientMsgID]
			check("server: clientMsgID stored once", !dup, "%s: clientMsgID %s at seq %d and before", conv, m.ClientMsgID, m.Seq)
			seqOf[m.ClientMsgID] = m.Seq
		}
	}

	// Every message a device created: acknowledged and on the server once,
	// or failed; the SendMessage answer, if one came, agrees.
	for _, d := range devices {
		d.mu.Lock()
		attempts := d.attempts
		problems := d.problems
		nAnnounced := d.nAnnounced
		d.mu.Unlock()
		const eventsCheck = "events: each announced at most once, in seq order, never one's own"
		checks[eventsCheck] += nAnnounced
		for _, p := range problems {
			check(eventsCheck, false, "%s", p)
		}
		ids := make([]string, 0, len(attempts))
		for id := range attempts {
			ids = append(ids, id)
		}
		stored, err := d.store.Reopen().Messages(auditCtx, ids)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]core.Message{}
		for _, m := range stored {
			byID[m.ClientMsgID] = m
		}
		for id, a := range attempts {
			m, ok := byID[id]
			if ok {
				st.created++
			} else {
				// SendMessage ran into a logout before storing it: it was
				// refused, never accepted.
				check("client: created message stored or refused at once", a.returned && a.code == protocol.CodeNotLoggedIn, "%s: %s (%q) neither stored nor refused (%+v)", d.name, id, a.text, *a)
				_, onServer := seqOf[id]
				check("server: refused message absent", !onServer, "%s: %s refused but stored", d.name, id)
				st.refused++
				continue
			}
			switch m.Status {
			case core.StatusSent:
				st.acked++
				check("client: acked message on the server at its seq", seqOf[id] == m.Seq && m.Seq > 0, "%s: %s stored with seq %d, server seq %d", d.name, id, m.Seq, seqOf[id])
				if a.returned && a.code == "" {
					check("client: SendMessage's seq is the server's", a.seq == seqOf[id], "%s: %s answered seq %d, server %d", d.name, id, a.seq, seqOf[id])
				}
			case core.StatusFailed:
				st.failed++
				_, onServer := seqOf[id]
				check("client: failed message not on the server", !onServer, "%s: %s failed (%s) but stored at seq %d", d.name, id, m.ErrorCode, seqOf[id])
			default:
				check("client: every message acked or failed", false, "%s: %s (%q) still %s", d.name, id, a.text, m.Status)
			}
		}
	}
	// Nothing on the server that no client created.
	created := map[string]bool{}
	for _, d := range devices {
		for id := range d.attempts {
			created[id] = true
		}
	}
	for conv, msgs := range server {
		for _, m := range msgs {
			check("server: every message was created by a client", created[m.ClientMsgID], "%s seq %d: unknown clientMsgID %s", conv, m.Seq, m.ClientMsgID)
		}
	}

	// Every member device holds exactly the server's messages, in seq
	// order; each message from elsewhere was announced exactly once; unread
	// counts are what the messages and read seqs say.
	for _, d := range devices {
		s := d.store.Reopen()
		var sum int64
		for conv, ms := range members {
			if !contains(ms, d.userID) {
				continue
			}
			want := server[conv]
			got, err := s.MessagesBySeq(auditCtx, conv, 1, int64(len(want))+1000)
			if err != nil {
				t.Fatal(err)
			}
			same := len(got) == len(want)
			for i := 0; same && i < len(got); i++ {
				same = got[i].ClientMsgID == want[i].ClientMsgID && got[i].Seq == want[i].Seq && got[i].Status == core.StatusSent
			}
			check("device: holds every message once in seq order", same, "%s %s: holds %s, server %s", d.name, conv, seqList(got), protoSeqList(want))
			for i := 0; same && i < len(got); i++ {
				check("device: reactions as on the server", reactionsText(got[i].Reactions) == protoReactionsText(want[i].Reactions, d.userID),
					"%s %s seq %d: %s, server %s", d.name, conv, got[i].Seq, reactionsText(got[i].Reactions), protoReactionsText(want[i].Reactions, d.userID))
			}
			d.mu.Lock()
			for _, m := range want {
				if d.attempts[m.ClientMsgID] != nil {
					continue
				}
				check("events: every message from elsewhere announced once", d.announced[m.ClientMsgID] == 1, "%s: %s seq %d announced %d times", d.name, conv, m.Seq, d.announced[m.ClientMsgID])
			}
			d.mu.Unlock()
			cv, err := s.Conversation(auditCtx, conv)
			if err != nil {
				t.Fatal(err)
			}
			srvState := truth[d.userID][conv]
			var unread int64
			for _, m := range want {
				if m.Seq > srvState.ReadSeq && m.Seq >= srvState.MinSeq {
					unread++
				}
			}
			check("unread: device count = messages above the read seq", cv.UnreadCount == unread && cv.ReadSeq == srvState.ReadSeq,
				"%s %s: unread %d (read seq %d), want %d (server read seq %d)", d.name, conv, cv.UnreadCount, cv.ReadSeq, unread, srvState.ReadSeq)
			sum += unread
		}
		c := d.client()
		total, err := c.TotalUnreadCount(auditCtx)
		if err != nil {
			t.Fatal(err)
		}
		d.mu.Lock()
		last, saw := d.total, d.sawTotal
		d.mu.Unlock()
		check("unread: total = sum, and the last totalUnreadCountChanged said so", total == sum && (last == sum || !saw && sum == 0),
			"%s: TotalUnreadCount %d, last event %d, sum %d", d.name, total, last, sum)
	}

	var msgs int
	for _, ms := range server {
		msgs += len(ms)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chaos summary (seed %d, %v, %d devices of %d users, %d conversations):\n", seed, duration, len(devices), len(users), len(members))
	fmt.Fprintf(&b, "  messages: %d created, %d acked, %d failed, %d refused at logout; %d stored on the server\n", st.created, st.acked, st.failed, st.refused, msgs)
	fmt.Fprintf(&b, "  faults: %d connections cut, %d cut-all, %d graceful restarts, %d SIGKILLs (%d with sends in flight), %d client reloads (%d while the server was down)\n",
		st.cuts, st.cutAlls, st.restarts, st.kills, st.killsInFlight, st.reloads, st.offlineReloads)
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  check %-75s %d\n", n, checks[n])
	}
	t.Log(b.String())
	if msgs == 0 || st.acked == 0 {
		t.Errorf("the run stored nothing: it proves nothing")
	}
}

// converged reads the server's conversation states for every user and
// reports why the devices do not agree with them yet ("" when they do).
func converged(ctx context.Context, srv *parleyd, tokens map[string]string, devices []*device) (map[string]map[string]protocol.ConversationState, string) {
	truth := map[string]map[string]protocol.ConversationState{}
	for u, tok := range tokens {
		r, err := dialRaw(ctx, srv.addr, tok)
		if err != nil {
			return nil, "dial: " + err.Error()
		}
		sts, err := r.states(ctx)
		r.close()
		if err != nil {
			return nil, "sync: " + err.Error()
		}
		truth[u] = sts
	}
	for _, d := range devices {
		s := d.store.Reopen()
		es, err := s.Outbox(ctx)
		if err != nil {
			return nil, err.Error()
		}
		if len(es) > 0 {
			return nil, fmt.Sprintf("%s: %d messages in the outbox", d.name, len(es))
		}
		for conv, want := range truth[d.userID] {
			cv, err := s.Conversation(ctx, conv)
			if err != nil {
				return nil, fmt.Sprintf("%s: %s: %v", d.name, conv, err)
			}
			if cv.ChangesVersion < want.MessageVersion && !want.Removed {
				return nil, fmt.Sprintf("%s: %s: changes applied up to version %d, server %d", d.name, conv, cv.ChangesVersion, want.MessageVersion)
			}
			if cv.MaxSeq != want.MaxSeq || cv.LocalMaxSeq != want.MaxSeq || cv.ReadSeq != want.ReadSeq {
				held, _ := s.MessagesBySeq(ctx, conv, max(cv.LocalMaxSeq-2, 1), want.MaxSeq)
				return nil, fmt.Sprintf("%s: %s: max %d local %d read %d; server max %d read %d; held from local-2: %s",
					d.name, conv, cv.MaxSeq, cv.LocalMaxSeq, cv.ReadSeq, want.MaxSeq, want.ReadSeq, seqList(held))
			}
		}
	}
	return truth, ""
}

func waitGroup(t *testing.T, wg *sync.WaitGroup, timeout time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("%s did not return within %v", what, timeout)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func seqList(ms []core.Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%d:%.6s ", m.Seq, m.ClientMsgID)
	}
	return fmt.Sprintf("%d [%s]", len(ms), strings.TrimSpace(clip(b.String())))
}

func protoSeqList(ms []protocol.Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%d:%.6s ", m.Seq, m.ClientMsgID)
	}
	return fmt.Sprintf("%d [%s]", len(ms), strings.TrimSpace(clip(b.String())))
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:300] + " … " + s[len(s)-300:]
	}
	return s
}

// explain describes, for a failed convergence, every message a device lacks
// above its contiguous run: who sent it and what the sender's store says.
func explain(ctx context.Context, srv *parleyd, tokens map[string]string, devices []*device) string {
	var b strings.Builder
	for _, d := range devices {
		r, err := dialRaw(ctx, srv.addr, tokens[d.userID])
		if err != nil {
			return err.Error()
		}
		sts, err := r.states(ctx)
		if err != nil {
			r.close()
			return err.Error()
		}
		s := d.store.Reopen()
		for conv, st := range sts {
			cv, err := s.Conversation(ctx, conv)
			if err != nil || cv.LocalMaxSeq >= st.MaxSeq {
				continue
			}
			j := d.journalFor(conv)
			if len(j) > 40 {
				j = j[len(j)-40:]
			}
			fmt.Fprintf(&b, "%s %s: %+v\n  journal:\n    %s\n", d.name, conv, cv, strings.Join(j, "\n    "))
			msgs, _ := r.messages(ctx, conv, st.MaxSeq)
			for _, m := range msgs {
				if m.Seq <= cv.LocalMaxSeq {
					continue
				}
				held, _ := s.Messages(ctx, []string{m.ClientMsgID})
				fmt.Fprintf(&b, "%s %s seq %d: %s from %s; held here as %+v\n", d.name, conv, m.Seq, m.ClientMsgID, m.SendID, held)
				for _, o := range devices {
					o.mu.Lock()
					if a := o.attempts[m.ClientMsgID]; a != nil {
						fmt.Fprintf(&b, "  created by %s: %+v\n", o.name, *a)
						hs, _ := o.store.Reopen().Messages(ctx, []string{m.ClientMsgID})
						fmt.Fprintf(&b, "  its store: %+v\n", hs)
					}
					o.mu.Unlock()
				}
			}
		}
		r.close()
	}
	return b.String()
}

// reactionsText and protoReactionsText write a message's reactions as
// the device holds them and as the server's copy shows them to userID,
// for comparison.
func reactionsText(rs []core.Reaction) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s×%d%v%v ", r.Emoji, r.Count, r.UserIDs, r.ReactedByMe)
	}
	return b.String()
}

func protoReactionsText(rs []protocol.Reaction, userID string) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s×%d%v%v ", r.Emoji, len(r.UserIDs), r.UserIDs[:min(len(r.UserIDs), 10)], contains(r.UserIDs, userID))
	}
	return b.String()
}
