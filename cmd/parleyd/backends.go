package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"parley/server/bus"
	"parley/server/natsbus"
	"parley/server/store"
	"parley/server/store/postgres"
	"parley/server/store/sqlite"
)

// openStore opens the store that -store names: "sqlite" (or empty) for
// parley.db in dataDir, created if missing, or a postgres:// URL. kind names
// it for the logs, which must not show the URL: it may hold a password.
func openStore(ctx context.Context, spec, dataDir string) (st store.Store, kind string, err error) {
	switch {
	case spec == "" || spec == "sqlite":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, "", fmt.Errorf("data dir: %w", err)
		}
		st, err := sqlite.Open(ctx, filepath.Join(dataDir, "parley.db"))
		if err != nil {
			return nil, "", err
		}
		return st, "sqlite", nil
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		st, err := postgres.Open(ctx, spec)
		if err != nil {
			return nil, "", err
		}
		return st, "postgres", nil
	default:
		return nil, "", fmt.Errorf("unknown store (want sqlite or postgres://…)")
	}
}

// openBus opens the bus that -bus names: "local" (or empty) for one node,
// or a nats:// URL (optionally with ?subject=…) shared by several.
func openBus(ctx context.Context, spec string, log *slog.Logger) (b bus.Bus, kind string, err error) {
	switch {
	case spec == "" || spec == "local":
		return bus.NewLocal(), "local", nil
	case strings.HasPrefix(spec, "nats://"):
		nb, err := natsbus.Connect(ctx, natsbus.Config{URL: spec, Logger: log})
		if err != nil {
			return nil, "", err
		}
		return nb, "nats", nil
	default:
		return nil, "", fmt.Errorf("unknown bus %q (want local or nats://…)", spec)
	}
}
