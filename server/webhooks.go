package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"parley/protocol"
	"parley/server/store"
	"parley/server/webhook"
)

// Webhook events. beforeSendMessage is synchronous (its answer decides the
// send); the others are queued in the store and delivered at least once.
const (
	EventBeforeSendMessage = "beforeSendMessage"
	EventAfterSendMessage  = "afterSendMessage"
	EventUserOnline        = "userOnline"
	EventUserOffline       = "userOffline"
	EventFriendAdded       = "friendAdded"
	EventGroupChanged      = "groupChanged"
	EventOfflinePush       = "offlinePush"
)

// WebhookEvents lists every event, in the order docs/integrating.md
// describes them.
var WebhookEvents = []string{
	EventBeforeSendMessage, EventAfterSendMessage, EventUserOnline, EventUserOffline,
	EventFriendAdded, EventGroupChanged, EventOfflinePush,
}

// Webhook failure policies (WebhookConfig.FailurePolicy).
const (
	WebhookAllow  = "allow"
	WebhookReject = "reject"
)

// WebhookConfig configures the webhooks sent to the application's
// backend. The zero value sends none.
type WebhookConfig struct {
	// URL receives every enabled event as a signed JSON POST; empty
	// disables webhooks.
	URL string
	// Secret signs them (package webhook); required with URL.
	Secret string
	// Events are the events sent; empty is all of WebhookEvents.
	Events []string
	// Timeout bounds one attempt of a queued event; default 10s.
	Timeout time.Duration
	// BeforeSendTimeout is beforeSendMessage's deadline; default 2s. It
	// bounds how long one connection's requests wait for the backend.
	BeforeSendTimeout time.Duration
	// FailurePolicy decides a send when beforeSendMessage fails (no answer
	// in time, a non-2xx status, an unreadable answer): WebhookAllow
	// (default) or WebhookReject.
	FailurePolicy string
	// MaxAttempts bounds the attempts of a queued event before it is
	// given up (logged and counted); default 15, about 9 hours of backoff.
	MaxAttempts int
	// OfflinePushWindow gathers the messages to one offline user within
	// it into one offlinePush; default 2s. The window's messages wait in
	// the store (store.OfflinePushes), so a restart inside it loses none.
	OfflinePushWindow time.Duration
	// Client sends the requests; nil is a client of the server's own.
	Client *http.Client
}

func (c WebhookConfig) withDefaults() WebhookConfig {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.BeforeSendTimeout <= 0 {
		c.BeforeSendTimeout = 2 * time.Second
	}
	if c.FailurePolicy == "" {
		c.FailurePolicy = WebhookAllow
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 15
	}
	if c.OfflinePushWindow <= 0 {
		c.OfflinePushWindow = 2 * time.Second
	}
	if c.Client == nil {
		c.Client = &http.Client{}
	}
	c.Events = slices.Clone(c.Events)
	return c
}

func (c WebhookConfig) check() error {
	if c.URL == "" {
		return nil
	}
	if c.Secret == "" {
		return errors.New("server: a webhook URL needs a webhook secret")
	}
	if c.FailurePolicy != WebhookAllow && c.FailurePolicy != WebhookReject {
		return fmt.Errorf("server: unknown webhook failure policy %q (want %s or %s)", c.FailurePolicy, WebhookAllow, WebhookReject)
	}
	for _, ev := range c.Events {
		if !slices.Contains(WebhookEvents, ev) {
			return fmt.Errorf("server: unknown webhook event %q", ev)
		}
	}
	return nil
}

// webhookBody is the JSON body of every webhook.
type webhookBody struct {
	// ID is the idempotency key, also sent as X-Parley-Delivery.
	ID         string `json:"id"`
	Event      string `json:"event"`
	CreateTime int64  `json:"createTime"`
	Data       any    `json:"data"`
}

// Webhook retry backoff: first retry after a second, doubling, at most an hour.
const (
	webhookBackoffMin = time.Second
	webhookBackoffMax = time.Hour
	// webhookLeaseSlack is added to the attempt timeout for a job's lease.
	webhookLeaseSlack = 30 * time.Second
	webhookBatch      = 16
	// webhookParallel bounds the deliveries in flight on one node.
	webhookParallel = 4
	// webhookPoll is how often the queue is looked at when nothing woke
	// the sender (jobs due later, or queued by another node).
	webhookPoll = time.Second
	// maxWebhookReply bounds a beforeSendMessage answer.
	maxWebhookReply = 1 << 20
)

type webhookMetrics struct {
	sent       *prometheus.CounterVec
	failed     *prometheus.CounterVec
	dropped    *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	beforeSend *prometheus.CounterVec
	// pushOnline counts offline-push batches ended unsent: the recipient
	// was online on a node when the window ended.
	pushOnline prometheus.Counter
}

func newWebhookMetrics(reg *prometheus.Registry) *webhookMetrics {
	m := &webhookMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_webhook_sent_total", Help: "Webhook requests answered with 2xx, by event.",
		}, []string{"event"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_webhook_failed_total", Help: "Webhook requests that failed (error, timeout or non-2xx), by event.",
		}, []string{"event"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_webhook_dropped_total", Help: "Queued webhooks given up after their last attempt, by event.",
		}, []string{"event"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_webhook_duration_seconds",
			Help:    "Webhook request latency, failures included, by event.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"event"}),
		beforeSend: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_webhook_before_send_total",
			Help: "beforeSendMessage decisions: allow, reject, replace, or policy_allow / policy_reject when the backend failed.",
		}, []string{"decision"}),
		pushOnline: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_webhook_offline_push_online_total",
			Help: "Offline-push batches not sent: the recipient was online on a node when the window ended.",
		}),
	}
	reg.MustRegister(m.sent, m.failed, m.dropped, m.latency, m.beforeSend, m.pushOnline)
	return m
}

// webhooks sends the webhooks: beforeSendMessage inline, the others from
// the store's queue on a goroutine of its own.
type webhooks struct {
	cfg     WebhookConfig
	secret  []byte
	enabled map[string]bool
	st      interface {
		store.Webhooks
		store.OfflinePushes
	}
	log   *slog.Logger
	m     *webhookMetrics
	nowMs func() int64
	// offline turns due offline-push batches into their offlinePush; nil
	// when offlinePush is not sent.
	offline func(context.Context, []store.OfflinePushBatch)
	window  time.Duration

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// newWebhooks returns nil when no URL is configured. The sender runs
// until stop.
func (s *Server) newWebhooks() *webhooks {
	cfg := s.cfg.Webhook // defaults filled in by Config.withDefaults
	if cfg.URL == "" {
		return nil
	}
	w := &webhooks{
		cfg: cfg, secret: []byte(cfg.Secret), enabled: map[string]bool{},
		st: s.store, log: s.log, m: newWebhookMetrics(s.metrics.reg), nowMs: s.nowMs, window: cfg.OfflinePushWindow,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	for _, ev := range cmpOr(cfg.Events, WebhookEvents) {
		w.enabled[ev] = true
	}
	if w.on(EventOfflinePush) {
		// w, not s.webhooks: the sender starts before New sets that.
		w.offline = func(ctx context.Context, bs []store.OfflinePushBatch) { s.flushOfflinePushes(ctx, w, bs) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.run(ctx)
	return w
}

func cmpOr[T any](a, b []T) []T {
	if len(a) > 0 {
		return a
	}
	return b
}

// on reports whether ev is sent; false on a nil webhooks (none configured).
func (w *webhooks) on(ev string) bool { return w != nil && w.enabled[ev] }

// stop stops the sender; deliveries in flight are abandoned and retried
// by the next start or another node (at least once). Offline pushes still
// gathering wait in the store for the end of their window.
func (w *webhooks) stop() {
	if w == nil {
		return
	}
	w.cancel()
	<-w.done
}

// job builds a queued delivery of ev; id is its idempotency key.
func (w *webhooks) job(ev, id string, data any) (store.WebhookJob, error) {
	now := w.nowMs()
	body, err := json.Marshal(webhookBody{ID: id, Event: ev, CreateTime: now, Data: data})
	if err != nil {
		return store.WebhookJob{}, fmt.Errorf("webhook %s: %w", ev, err)
	}
	return store.WebhookJob{ID: id, Event: ev, Body: body, NextAttempt: now, CreateTime: now}, nil
}

// enqueue queues events for delivery. A failure to queue is logged: the
// event it would have announced has already happened.
func (w *webhooks) enqueue(ctx context.Context, jobs ...store.WebhookJob) {
	if len(jobs) == 0 {
		return
	}
	if err := w.st.EnqueueWebhooks(ctx, jobs); err != nil {
		w.log.Error("webhook: enqueue failed", "event", jobs[0].Event, "jobs", len(jobs), "err", err)
		return
	}
	w.poke()
}

// send queues one event if it is enabled.
func (w *webhooks) send(ctx context.Context, ev string, data any) {
	if !w.on(ev) {
		return
	}
	j, err := w.job(ev, randomID("wh", 12), data)
	if err != nil {
		w.log.Error("webhook: encode", "event", ev, "err", err)
		return
	}
	w.enqueue(ctx, j)
}

// run delivers due jobs until ctx ends. It reads the wall clock, not the
// server's Clock: a test's frozen clock would stop retries.
func (w *webhooks) run(ctx context.Context) {
	defer close(w.done)
	sem := make(chan struct{}, webhookParallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(webhookPoll)
	defer tick.Stop()
	for {
		w.pushDue(ctx)
		now := time.Now()
		jobs, err := w.st.LeaseWebhooks(ctx, now.UnixMilli(), now.Add(w.cfg.Timeout+webhookLeaseSlack).UnixMilli(), webhookBatch)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("webhook: lease failed", "err", err)
		}
		for _, j := range jobs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				w.attempt(ctx, j)
			}()
		}
		if len(jobs) == webhookBatch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-tick.C:
		}
	}
}

// pushDue turns the offline-push batches whose window ended into
// offlinePush jobs.
func (w *webhooks) pushDue(ctx context.Context) {
	if w.offline == nil {
		return
	}
	for ctx.Err() == nil {
		now := time.Now()
		batches, err := w.st.LeaseOfflinePushes(ctx, now.UnixMilli(), now.Add(webhookLeaseSlack).UnixMilli(), webhookBatch, maxPushMessages)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("webhook: lease offline pushes failed", "err", err)
			}
			return
		}
		if len(batches) > 0 {
			w.offline(ctx, batches)
		}
		if len(batches) < webhookBatch {
			return
		}
	}
}

// gather records messages to offline recipients in the store and wakes
// the sender when their window ends. A failure is logged: the messages
// are stored, only their push is lost.
func (w *webhooks) gather(ctx context.Context, pushes []store.PendingPush) {
	if len(pushes) == 0 {
		return
	}
	// The wall clock, as the sender's: see run.
	if err := w.st.AddOfflinePushes(ctx, pushes, time.Now().Add(w.window).UnixMilli()); err != nil {
		w.log.Error("webhook: recording offline pushes failed", "pushes", len(pushes), "err", err)
		return
	}
	time.AfterFunc(w.window, w.poke)
}

// poke wakes the sender.
func (w *webhooks) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// attempt delivers j once and records the outcome.
func (w *webhooks) attempt(ctx context.Context, j store.WebhookJob) {
	_, err := w.post(ctx, j.Event, j.ID, j.Body, w.cfg.Timeout)
	// The outcome is recorded even as the server stops.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ctx.Err() != nil {
		// Shutting down: the job is due again at once (the next start, or
		// another node), not after its lease, and the attempt not counted.
		if err := w.st.RetryWebhook(rctx, j.ID, j.Attempts, time.Now().UnixMilli(), "interrupted by shutdown"); err != nil {
			w.log.Warn("webhook: release job", "id", j.ID, "err", err)
		}
		return
	}
	if err == nil {
		if err := w.st.DeleteWebhook(rctx, j.ID); err != nil {
			w.log.Warn("webhook: delete delivered job", "id", j.ID, "err", err)
		}
		return
	}
	attempts := j.Attempts + 1
	if attempts >= w.cfg.MaxAttempts {
		w.m.dropped.WithLabelValues(j.Event).Inc()
		w.log.Error("webhook: giving up", "event", j.Event, "id", j.ID, "attempts", attempts, "err", err)
		if err := w.st.DeleteWebhook(rctx, j.ID); err != nil {
			w.log.Warn("webhook: delete abandoned job", "id", j.ID, "err", err)
		}
		return
	}
	next := time.Now().Add(webhookBackoff(attempts)).UnixMilli()
	if err := w.st.RetryWebhook(rctx, j.ID, attempts, next, err.Error()); err != nil {
		w.log.Warn("webhook: record retry", "id", j.ID, "err", err)
	}
}

// webhookBackoff is the wait after the n-th failed attempt: doubling from
// webhookBackoffMin up to webhookBackoffMax, with ±20% jitter so that a
// backend coming back is not hit by every job at once.
func webhookBackoff(n int) time.Duration {
	d := webhookBackoffMax
	if n < 32 {
		d = min(webhookBackoffMin<<(n-1), webhookBackoffMax)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// post sends one signed request and returns the answer's body; an error
// for a failed request or a non-2xx status.
func (w *webhooks) post(ctx context.Context, ev, id string, body []byte, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	reply, err := w.do(ctx, ev, id, body)
	w.m.latency.WithLabelValues(ev).Observe(time.Since(start).Seconds())
	if err != nil {
		w.m.failed.WithLabelValues(ev).Inc()
		return nil, err
	}
	w.m.sent.WithLabelValues(ev).Inc()
	return reply, nil
}

func (w *webhooks) do(ctx context.Context, ev, id string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "parleyd-webhook/1")
	req.Header.Set(webhook.HeaderEvent, ev)
	req.Header.Set(webhook.HeaderDelivery, id)
	webhook.Sign(req.Header, w.secret, time.Now(), body)
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookReply))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("webhook: status %d", resp.StatusCode)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: reading the answer: %w", err)
	}
	return reply, nil
}

// BeforeSendData is the data of beforeSendMessage: the message about to
// be stored.
type BeforeSendData struct {
	SendID         string          `json:"sendID"`
	RecvID         string          `json:"recvID,omitempty"`
	GroupID        string          `json:"groupID,omitempty"`
	ConversationID string          `json:"conversationID"`
	ClientMsgID    string          `json:"clientMsgID"`
	ContentType    string          `json:"contentType"`
	Content        json.RawMessage `json:"content"`
}

// BeforeSendReply is the backend's answer to beforeSendMessage. An empty
// 2xx body allows the message.
type BeforeSendReply struct {
	// Action is "allow" (also ""), "reject" or "replace".
	Action string `json:"action"`
	// Code and Message are the reason the sender gets for a reject. Code
	// is lower-snake; an empty one, or one the SDK would retry on, becomes
	// message_rejected.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// ContentType (default: the message's) and Content replace the
	// message's content; they must pass protocol.CheckContent.
	ContentType string          `json:"contentType,omitempty"`
	Content     json.RawMessage `json:"content,omitempty"`
}

var reasonCode = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// reservedCode reports whether a backend's reason code would change what
// the SDK does with the send (retry, reconnect) rather than fail it.
func reservedCode(c protocol.Code) bool {
	switch c {
	case protocol.CodeNetwork, protocol.CodeTimeout, protocol.CodeCanceled, protocol.CodeTokenExpired,
		protocol.CodeUnauthenticated, protocol.CodeNotLoggedIn, protocol.CodeClosed, protocol.CodeRateLimited,
		protocol.CodeUnavailable, protocol.CodeInternal:
		return true
	}
	return false
}

// beforeSend asks the backend about nm (when beforeSendMessage is on) and
// returns the message to store, or the refusal for its sender.
func (s *Server) beforeSend(ctx context.Context, nm store.NewMessage) (store.NewMessage, error) {
	w := s.webhooks
	if !w.on(EventBeforeSendMessage) {
		return nm, nil
	}
	m := nm.Message()
	id := randomID("wh", 12)
	body, err := json.Marshal(webhookBody{ID: id, Event: EventBeforeSendMessage, CreateTime: s.nowMs(), Data: BeforeSendData{
		SendID: nm.SendID, RecvID: nm.RecvID, GroupID: nm.GroupID, ConversationID: m.ConversationID,
		ClientMsgID: nm.ClientMsgID, ContentType: nm.ContentType, Content: nm.Content,
	}})
	if err != nil {
		return nm, fmt.Errorf("webhook: %w", err)
	}
	reply, err := w.post(ctx, EventBeforeSendMessage, id, body, w.cfg.BeforeSendTimeout)
	var r BeforeSendReply
	if err == nil && len(bytes.TrimSpace(reply)) > 0 {
		if jerr := json.Unmarshal(reply, &r); jerr != nil {
			err = fmt.Errorf("webhook: unreadable answer: %w", jerr)
		}
	}
	if err == nil && r.Action != "" && r.Action != "allow" && r.Action != "reject" && r.Action != "replace" {
		err = fmt.Errorf("webhook: unknown action %q", r.Action)
	}
	if err != nil {
		s.log.Warn("webhook: beforeSendMessage failed, policy applies", "policy", w.cfg.FailurePolicy, "err", err)
		if w.cfg.FailurePolicy == WebhookReject {
			w.m.beforeSend.WithLabelValues("policy_reject").Inc()
			return nm, protocol.Errorf(protocol.CodeUnavailable, "the message could not be checked; try again later")
		}
		w.m.beforeSend.WithLabelValues("policy_allow").Inc()
		return nm, nil
	}
	switch r.Action {
	case "reject":
		w.m.beforeSend.WithLabelValues("reject").Inc()
		code := protocol.Code(r.Code)
		if !reasonCode.MatchString(r.Code) || reservedCode(code) {
			code = protocol.CodeMessageRejected
		}
		msg := r.Message
		if msg == "" {
			msg = "the message was refused"
		}
		return nm, &protocol.Error{Code: code, Message: truncate(msg, 200)}
	case "replace":
		typ := r.ContentType
		if typ == "" {
			typ = nm.ContentType
		}
		content, err := protocol.CheckContent(typ, r.Content)
		if err != nil {
			// Sending the original would ignore what the backend asked
			// for: refuse the message instead.
			w.m.beforeSend.WithLabelValues("reject").Inc()
			s.log.Warn("webhook: beforeSendMessage replaced the content with an invalid one", "err", err)
			return nm, protocol.Errorf(protocol.CodeMessageRejected, "the message was refused")
		}
		w.m.beforeSend.WithLabelValues("replace").Inc()
		nm.ContentType, nm.Content = typ, content
		return nm, nil
	default:
		w.m.beforeSend.WithLabelValues("allow").Inc()
		return nm, nil
	}
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
