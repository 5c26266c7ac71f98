package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"parley/server"
)

// webhookOptions are the -webhook-… flags (docs/integrating.md).
type webhookOptions struct {
	url, secret, events, policy string
	timeout, beforeSendTimeout  time.Duration
	offlinePushWindow           time.Duration
}

// register adds the webhook flags to fs, with their environment variables
// as defaults.
func (w *webhookOptions) register(fs *flag.FlagSet, getenv func(string) string) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	dur := func(name string) (time.Duration, error) {
		v := getenv(name)
		if v == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return d, nil
	}
	fs.StringVar(&w.url, "webhook-url", env("PARLEY_WEBHOOK_URL", ""), "the backend URL that receives the webhooks; empty sends none (PARLEY_WEBHOOK_URL)")
	fs.StringVar(&w.secret, "webhook-secret", env("PARLEY_WEBHOOK_SECRET", ""), "the secret that signs the webhooks; required with -webhook-url (PARLEY_WEBHOOK_SECRET)")
	fs.StringVar(&w.events, "webhook-events", env("PARLEY_WEBHOOK_EVENTS", ""),
		"comma-separated events to send; empty = all: "+strings.Join(server.WebhookEvents, ",")+" (PARLEY_WEBHOOK_EVENTS)")
	fs.StringVar(&w.policy, "webhook-failure-policy", env("PARLEY_WEBHOOK_FAILURE_POLICY", server.WebhookAllow),
		"allow or reject the sends beforeSendMessage could not check (PARLEY_WEBHOOK_FAILURE_POLICY)")
	for _, d := range []struct {
		p         *time.Duration
		flag, env string
		help      string
	}{
		{&w.timeout, "webhook-timeout", "PARLEY_WEBHOOK_TIMEOUT", "one attempt of a queued webhook; 0 = 10s"},
		{&w.beforeSendTimeout, "webhook-before-send-timeout", "PARLEY_WEBHOOK_BEFORE_SEND_TIMEOUT", "beforeSendMessage's deadline; 0 = 2s"},
		{&w.offlinePushWindow, "webhook-offline-push-window", "PARLEY_WEBHOOK_OFFLINE_PUSH_WINDOW", "messages to an offline user within it make one offlinePush; 0 = 2s"},
	} {
		def, err := dur(d.env)
		if err != nil {
			return err
		}
		fs.DurationVar(d.p, d.flag, def, d.help+" ("+d.env+")")
	}
	return nil
}

// config is the server's WebhookConfig; server.New checks it.
func (w *webhookOptions) config() server.WebhookConfig {
	var events []string
	for _, ev := range strings.Split(w.events, ",") {
		if ev = strings.TrimSpace(ev); ev != "" {
			events = append(events, ev)
		}
	}
	return server.WebhookConfig{
		URL: w.url, Secret: w.secret, Events: events, FailurePolicy: w.policy,
		Timeout: w.timeout, BeforeSendTimeout: w.beforeSendTimeout, OfflinePushWindow: w.offlinePushWindow,
	}
}
