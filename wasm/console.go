//go:build js

package main

import (
	"context"
	"log/slog"
	"syscall/js"
)

// consoleHandler writes slog records to the browser console (console.debug,
// info, warn or error by level), where app developers look.
type consoleHandler struct {
	level slog.Level
	attrs []slog.Attr
	group string
}

func (h *consoleHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *consoleHandler) Handle(_ context.Context, r slog.Record) error {
	method := "debug"
	switch {
	case r.Level >= slog.LevelError:
		method = "error"
	case r.Level >= slog.LevelWarn:
		method = "warn"
	case r.Level >= slog.LevelInfo:
		method = "info"
	}
	msg := "parley: " + r.Message
	add := func(a slog.Attr) bool {
		k := a.Key
		if h.group != "" {
			k = h.group + "." + k
		}
		msg += " " + k + "=" + a.Value.String()
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	console := js.Global().Get("console")
	if console.Type() == js.TypeObject {
		console.Call(method, msg)
	}
	return nil
}

func (h *consoleHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &n
}

func (h *consoleHandler) WithGroup(name string) slog.Handler {
	n := *h
	if n.group != "" {
		name = n.group + "." + name
	}
	n.group = name
	return &n
}
