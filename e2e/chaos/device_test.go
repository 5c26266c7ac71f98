package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/core"
	"parley/core/mem"
	"parley/protocol"
)

// target is somewhere a device can send to.
type target struct {
	conv    string
	recvID  string
	groupID string
}

// attempt is one message a device created and handed to SendMessage.
type attempt struct {
	conv string
	text string
	// The SendMessage call's outcome once it returned.
	returned bool
	seq      int64 // > 0: acknowledged with this seq
	code     protocol.Code
}

// device is one client of one user: a memory store that outlives the
// core.Clients logged in on it (a reload is a new Client on the same
// store), and a record of every event any of them emitted.
type device struct {
	t      testing.TB
	name   string
	userID string
	token  string
	store  *mem.Store
	url    string

	mu         sync.Mutex
	c          *core.Client
	changed    chan struct{}
	synced     bool
	announced  map[string]int   // clientMsgID -> times in newMessages
	nAnnounced int              // messages in newMessages, in all
	lastSeq    map[string]int64 // conversation -> last announced seq
	problems   []string
	attempts   map[string]*attempt
	total      int64
	sawTotal   bool
	reloads    int

	sends sync.WaitGroup // SendMessage calls still running

	jmu     sync.Mutex
	journal []string // every write to the store, in short, for explaining failures
	session int      // Clients logged in so far
}

// journalStore notes every batch written to the store.
type journalStore struct {
	*mem.Store
	d       *device
	session int
}

func (j *journalStore) Apply(ctx context.Context, ch *core.Changes) error {
	err := j.Store.Apply(ctx, ch)
	var b strings.Builder
	fmt.Fprintf(&b, "%s s%d", time.Now().Format("15:04:05.000"), j.session)
	if err != nil {
		fmt.Fprintf(&b, " err=%v", err)
	}
	for _, c := range ch.Conversations {
		fmt.Fprintf(&b, " conv{%s max=%d local=%d read=%d}", c.ConversationID, c.MaxSeq, c.LocalMaxSeq, c.ReadSeq)
	}
	for _, m := range ch.Messages {
		fmt.Fprintf(&b, " msg{%s %d %s %.6s}", m.ConversationID, m.Seq, m.Status, m.ClientMsgID)
	}
	if len(ch.RemovedOutbox) > 0 {
		fmt.Fprintf(&b, " -outbox%d", len(ch.RemovedOutbox))
	}
	j.d.jmu.Lock()
	j.d.journal = append(j.d.journal, b.String())
	j.d.jmu.Unlock()
	return err
}

// journalFor returns the journal lines that mention conv.
func (d *device) journalFor(conv string) []string {
	d.jmu.Lock()
	defer d.jmu.Unlock()
	var out []string
	for _, l := range d.journal {
		if strings.Contains(l, conv) {
			out = append(out, l)
		}
	}
	return out
}

func newDevice(t testing.TB, name, userID, token, url string) *device {
	return &device{
		t: t, name: name, userID: userID, token: token, url: url, store: mem.New(),
		changed:   make(chan struct{}),
		announced: map[string]int{}, lastSeq: map[string]int64{}, attempts: map[string]*attempt{},
	}
}

// login starts a new Client on the device's store.
func (d *device) login() error {
	d.jmu.Lock()
	d.session++
	session := d.session
	d.jmu.Unlock()
	cfg := core.Config{
		ServerURL: d.url,
		OpenStore: func(ctx context.Context, id string) (core.Store, error) {
			if id != d.userID {
				return nil, errors.New("unexpected user")
			}
			return &journalStore{Store: d.store.Reopen(), d: d, session: session}, nil
		},
		Dialer:            core.NativeDialer{},
		ReconnectMinDelay: 10 * time.Millisecond,
		ReconnectMaxDelay: 200 * time.Millisecond,
		HeartbeatInterval: 5 * time.Second,
		SendTimeout:       *flagSendTO,
	}
	c, err := core.New(cfg)
	if err != nil {
		return err
	}
	c.On(d.record)
	if err := c.Login(context.Background(), d.userID, d.token); err != nil {
		return err
	}
	d.mu.Lock()
	d.c = c
	d.mu.Unlock()
	return nil
}

// logout ends the current Client; its unsent messages stay in the store.
func (d *device) logout() error {
	d.mu.Lock()
	c := d.c
	d.c = nil
	d.mu.Unlock()
	if c == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := c.Logout(ctx)
	c.WaitEvents()
	return err
}

// reload is what a page reload does: a new Client on the same store.
func (d *device) reload() error {
	if err := d.logout(); err != nil {
		return fmt.Errorf("%s: logout: %w", d.name, err)
	}
	d.mu.Lock()
	d.reloads++
	d.mu.Unlock()
	return d.login()
}

func (d *device) client() *core.Client {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.c
}

func (d *device) problem(format string, args ...any) {
	d.problems = append(d.problems, d.name+": "+fmt.Sprintf(format, args...))
}

func (d *device) record(ev core.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch ev := ev.(type) {
	case core.NewMessages:
		for _, m := range ev.Messages {
			d.announced[m.ClientMsgID]++
			d.nAnnounced++
			if n := d.announced[m.ClientMsgID]; n > 1 {
				d.problem("message %s (%s seq %d) announced %d times", m.ClientMsgID, m.ConversationID, m.Seq, n)
			}
			if d.attempts[m.ClientMsgID] != nil {
				d.problem("own message %s (%s seq %d) announced as new", m.ClientMsgID, m.ConversationID, m.Seq)
			}
			if m.Seq <= d.lastSeq[m.ConversationID] {
				d.problem("announced out of order in %s: seq %d after %d", m.ConversationID, m.Seq, d.lastSeq[m.ConversationID])
			}
			d.lastSeq[m.ConversationID] = m.Seq
		}
	case core.TotalUnreadCountChanged:
		d.total, d.sawTotal = ev.Count, true
	case core.SyncProgressed:
		if ev.Phase == core.SyncFinish && ev.Err == "" {
			d.synced = true
		}
	}
	close(d.changed)
	d.changed = make(chan struct{})
}

// waitSynced waits for the end of the first catch-up.
func (d *device) waitSynced(timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		d.mu.Lock()
		ok, ch := d.synced, d.changed
		d.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("%s: first catch-up did not finish within %v", d.name, timeout)
		}
	}
}

// send creates a message and sends it in the background; false if the
// device is between Clients.
func (d *device) send(tg target, text string) bool {
	c := d.client()
	if c == nil {
		return false
	}
	m, err := c.CreateTextMessage(text)
	if err != nil {
		return false
	}
	a := &attempt{conv: tg.conv, text: text}
	d.mu.Lock()
	d.attempts[m.ClientMsgID] = a
	d.mu.Unlock()
	d.sends.Add(1)
	go func() {
		defer d.sends.Done()
		sent, err := c.SendMessage(context.Background(), m, tg.recvID, tg.groupID)
		d.mu.Lock()
		defer d.mu.Unlock()
		a.returned = true
		if err != nil {
			a.code = protocol.CodeOf(err)
			return
		}
		if sent.Status != core.StatusSent || sent.Seq <= 0 || sent.ConversationID != tg.conv {
			d.problem("SendMessage returned %+v", sent)
		}
		a.seq = sent.Seq
	}()
	return true
}

// markRead marks a conversation read in the background.
func (d *device) markRead(conv string) {
	c := d.client()
	if c == nil {
		return
	}
	d.sends.Add(1)
	go func() {
		defer d.sends.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.MarkConversationAsRead(ctx, conv) //nolint:errcheck // the end state is what is checked
	}()
}

// react adds (add) or removes the user's emoji on the latest message the
// device holds of conv, in the background.
func (d *device) react(conv string, add bool, emoji string) {
	c := d.client()
	if c == nil {
		return
	}
	cv, err := d.store.Reopen().Conversation(context.Background(), conv)
	if err != nil || cv.LatestMessage == nil || cv.LatestMessage.Seq <= 0 {
		return
	}
	id := cv.LatestMessage.ClientMsgID
	d.sends.Add(1)
	go func() {
		defer d.sends.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.ReactMessage(ctx, conv, id, emoji, add) //nolint:errcheck // the end state is what is checked
	}()
}
