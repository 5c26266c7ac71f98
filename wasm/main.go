//go:build js

package main

import (
	"context"
	"log/slog"
	"os"
	"syscall/js"
	"time"

	wasmwrapper "parley/wasm_wrapper"
)

// Version is the SDK version; package.json carries the same.
const Version = "0.1.0"

func main() {
	key := "__parley"
	if len(os.Args) > 1 && os.Args[1] != "" {
		key = os.Args[1]
	}
	api := js.Global().Get("Object").New()
	api.Set("version", Version)
	// Lives as long as the page: never released.
	api.Set("createClient", wasmwrapper.Promise(newLogger("warn"), func(args []js.Value) (any, error) {
		return createClient(args)
	}))
	js.Global().Set(key, api)
	select {}
}

// createClient decodes createClient's options and builds a client handle.
func createClient(args []js.Value) (any, error) {
	a := wasmwrapper.Object("createClient", args, 0)
	opts := clientOptions{
		ServerURL: a.RequiredString("serverURL"),
		DBName:    a.String("dbName"),
		LogLevel:  a.String("logLevel"),
		// Up to a year, in ms.
		TokenWillExpireBefore: time.Duration(a.Int("tokenWillExpireBefore", 0, 0, 365*24*3600*1000)) * time.Millisecond,
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	h, err := newHandle(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	return h.obj, nil
}

// newLogger returns a logger writing to the browser console at level and
// above ("debug", "info", "warn", "error"; "off" or unknown: "warn").
func newLogger(level string) *slog.Logger {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "error":
		l = slog.LevelError
	case "off":
		l = slog.LevelError + 100
	default:
		l = slog.LevelWarn
	}
	return slog.New(&consoleHandler{level: l})
}
