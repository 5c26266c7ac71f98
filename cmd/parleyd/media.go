package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"parley/server"
	"parley/server/files"
)

// mediaOptions are the flags of uploads, downloads and previews.
type mediaOptions struct {
	files, publicURL, previewAllow string
	maxFileBytes, uploadQuota      int64
}

// register adds the media flags to fs, with their environment defaults.
func (m *mediaOptions) register(fs *flag.FlagSet, getenv func(string) string) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envInt64 := func(name string) (int64, error) {
		v := getenv(name)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return n, nil
	}
	fs.StringVar(&m.files, "files", env("PARLEY_FILES", ""), "where uploads are kept: empty for <data>/files, or s3://bucket?endpoint=host:port&… (PARLEY_FILES)")
	fs.StringVar(&m.publicURL, "public-url", env("PARLEY_PUBLIC_URL", ""), "the server's address as clients reach it, the base of file URLs; empty: each request's host (PARLEY_PUBLIC_URL)")
	fs.StringVar(&m.previewAllow, "preview-allow", env("PARLEY_PREVIEW_ALLOW", ""), "comma-separated networks (CIDR) link previews may fetch from although not public (PARLEY_PREVIEW_ALLOW)")
	var err error
	if m.maxFileBytes, err = envInt64("PARLEY_MAX_FILE_BYTES"); err != nil {
		return err
	}
	fs.Int64Var(&m.maxFileBytes, "max-file-bytes", m.maxFileBytes, "largest upload; 0 = 104857600 (100 MiB) (PARLEY_MAX_FILE_BYTES)")
	if m.uploadQuota, err = envInt64("PARLEY_UPLOAD_QUOTA"); err != nil {
		return err
	}
	fs.Int64Var(&m.uploadQuota, "upload-quota", m.uploadQuota, "bytes of uploads per user; 0 = 10737418240 (10 GiB) (PARLEY_UPLOAD_QUOTA)")
	return nil
}

// config opens the file store and returns the server's media settings.
// kind names the store for the logs (an s3:// URL may hold keys).
func (m *mediaOptions) config(ctx context.Context, dataDir string) (cfg server.MediaConfig, kind string, err error) {
	cfg = server.MediaConfig{PublicURL: m.publicURL, MaxFileBytes: m.maxFileBytes, QuotaBytes: m.uploadQuota}
	for _, s := range strings.Split(m.previewAllow, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return cfg, "", fmt.Errorf("-preview-allow %q: %w", s, err)
		}
		cfg.PreviewAllow = append(cfg.PreviewAllow, p)
	}
	switch {
	case m.files == "" || m.files == "local":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return cfg, "", fmt.Errorf("data dir: %w", err)
		}
		cfg.Files, err = files.OpenLocal(filepath.Join(dataDir, "files"))
		kind = "local"
	case strings.HasPrefix(m.files, "s3://"):
		var c files.S3Config
		if c, err = files.ParseS3URL(m.files); err != nil {
			return cfg, "", err
		}
		cfg.Files, err = files.OpenS3(ctx, c)
		kind = "s3"
	default:
		err = fmt.Errorf("unknown -files (want empty for local disk, or s3://…)")
	}
	return cfg, kind, err
}
