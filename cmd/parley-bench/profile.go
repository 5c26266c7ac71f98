package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// profiler fetches pprof profiles from parleyd's debug port (parleyd
// -debug-addr) into a folder, when both -debug and -profile-dir are set.
type profiler struct {
	debugURL, dir, scenario string
}

func (c *config) profiler() *profiler {
	if c.debugURL == "" || c.profileDir == "" {
		return nil
	}
	return &profiler{debugURL: c.debugURL, dir: c.profileDir, scenario: c.scenario}
}

// fetch saves debugURL/debug/pprof/<what> as <scenario>.<name>.pprof.
func (p *profiler) fetch(ctx context.Context, what, name string) (string, error) {
	if p == nil {
		return "", nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.debugURL+"/debug/pprof/"+what, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("pprof %s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("pprof %s: HTTP %d", what, resp.StatusCode)
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(p.dir, p.scenario+"."+name+".pprof")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// cpuDuring starts a CPU profile of d (at most 30 s) and returns a
// function that waits for it and notes where it went.
func (p *profiler) cpuDuring(ctx context.Context, d time.Duration, r *result) func() {
	if p == nil {
		return func() {}
	}
	d = min(d, 30*time.Second)
	done := make(chan struct{})
	var path string
	var err error
	go func() {
		defer close(done)
		path, err = p.fetch(ctx, "profile?seconds="+strconv.Itoa(max(1, int(d.Seconds()))), "cpu")
	}()
	return func() {
		<-done
		if err != nil {
			r.note("CPU profile: %v", err)
		} else {
			r.note("server CPU profile of the send phase: %s", path)
		}
	}
}
