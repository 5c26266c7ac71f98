package core_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// shiftedClock is the real clock plus an offset a test moves forward, as
// if time passed while the page was closed.
type shiftedClock struct{ offset atomic.Int64 }

func (c *shiftedClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *shiftedClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func hasStatus(id string, st core.MessageStatus) func([]core.Event) bool {
	return func(evs []core.Event) bool {
		for _, ev := range evs {
			if s, ok := ev.(core.MessageStatusChanged); ok && s.Message.ClientMsgID == id && s.Message.Status == st {
				return true
			}
		}
		return false
	}
}

// A reload does not restart a message's send timeout: the deadline is
// stored with the outbox entry.
func TestOutboxDeadlineSurvivesReload(t *testing.T) {
	ctx := context.Background()
	clock := &shiftedClock{}
	fs := &fakeServer{dialErr: errors.New("server away")}
	st := mem.New()
	c, _ := newTestClient(t, fs, st, func(cfg *core.Config) {
		cfg.SendTimeout = time.Hour
		cfg.Now = clock.now
	})
	require.NoError(t, c.Login(ctx, "me", "tok"))
	m, err := c.CreateTextMessage("hi")
	require.NoError(t, err)
	sendCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	start := clock.now()
	_, err = c.SendMessage(sendCtx, m, "bob", "")
	cancel()
	require.Equal(t, protocol.CodeTimeout, protocol.CodeOf(err), "the call gives up; the message stays in the outbox")

	entries, err := st.Reopen().Outbox(ctx)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.InDelta(t, start.Add(time.Hour).UnixMilli(), entries[0].Deadline, 1000, "deadline stored")
	assert.InDelta(t, start.UnixMilli(), entries[0].EnqueuedAt, 1000, "enqueue time stored")

	// The page is closed for 59 minutes, then opened again.
	require.NoError(t, c.Logout(ctx))
	clock.advance(59 * time.Minute)
	c2, rec := newTestClient(t, fs, st, func(cfg *core.Config) {
		cfg.SendTimeout = time.Hour
		cfg.Now = clock.now
	})
	require.NoError(t, c2.Login(ctx, "me", "tok"))
	// The outbox looks at its entries again after every connection
	// attempt: let it do so a few times.
	dials := fs.dials.Load()
	require.Eventually(t, func() bool { return fs.dials.Load() > dials+5 }, 10*time.Second, time.Millisecond)
	onlyUnsent(t, c2, core.StatusSending, "") // within its deadline

	// Two minutes later the original hour is over (not an hour after the
	// reload).
	clock.advance(2 * time.Minute)
	rec.waitFor(t, "the message failing at its stored deadline", hasStatus(m.ClientMsgID, core.StatusFailed))
	onlyUnsent(t, c2, core.StatusFailed, protocol.CodeTimeout)
}

// Attempts and LastError are written for sends refused for a while.
func TestOutboxRecordsAttempts(t *testing.T) {
	ctx := context.Background()
	fs := &fakeServer{}
	var mu sync.Mutex
	refuse := true
	fs.handle = func(f *protocol.Frame) (any, *protocol.Error, bool) {
		mu.Lock()
		r := refuse
		mu.Unlock()
		if f.Type == protocol.ReqSend && r {
			return nil, &protocol.Error{Code: protocol.CodeRateLimited}, true
		}
		a, e := defaultAnswer(fs, f)
		return a, e, true
	}
	st := mem.New()
	c, rec := newTestClient(t, fs, st, nil)
	require.NoError(t, c.Login(ctx, "me", "tok"))
	m, err := c.CreateTextMessage("hi")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := c.SendMessage(ctx, m, "bob", ""); done <- err }()
	require.Eventually(t, func() bool {
		es, err := st.Reopen().Outbox(ctx)
		return err == nil && len(es) == 1 && es[0].Attempts >= 2
	}, 10*time.Second, 5*time.Millisecond, "attempts counted")
	es, err := st.Reopen().Outbox(ctx)
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, string(protocol.CodeRateLimited), es[0].LastError)
	mu.Lock()
	refuse = false
	mu.Unlock()
	require.NoError(t, <-done)
	rec.waitFor(t, "sent", hasStatus(m.ClientMsgID, core.StatusSent))
	es, err = st.Reopen().Outbox(ctx)
	require.NoError(t, err)
	assert.Empty(t, es, "the entry leaves the outbox once sent")
}

// A message resumed from an earlier session starts its attempt with one
// sending, like a new one.
func TestResumedSendAnnouncesSending(t *testing.T) {
	ctx := context.Background()
	fs := &fakeServer{dialErr: errors.New("server away")}
	st := mem.New()
	c, _ := newTestClient(t, fs, st, nil)
	require.NoError(t, c.Login(ctx, "me", "tok"))
	m, err := c.CreateTextMessage("hi")
	require.NoError(t, err)
	sctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err = c.SendMessage(sctx, m, "bob", "")
	cancel()
	require.Error(t, err)
	require.NoError(t, c.Logout(ctx))

	fs.set(func(s *fakeServer) { s.dialErr = nil })
	c2, rec := newTestClient(t, fs, st, nil)
	require.NoError(t, c2.Login(ctx, "me", "tok"))
	rec.waitFor(t, "sent", hasStatus(m.ClientMsgID, core.StatusSent))
	c2.WaitEvents()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, []core.MessageStatus{core.StatusSending, core.StatusSent}, statuses(rec.events, m.ClientMsgID))
}
