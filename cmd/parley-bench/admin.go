package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley/protocol"
)

// admin calls parleyd's admin API, so the tool works against any parleyd
// whose admin secret it has.
type admin struct {
	base, secret string
	hc           *http.Client
}

func newAdmin(base, secret string) *admin {
	return &admin{base: strings.TrimSuffix(base, "/"), secret: secret, hc: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
}

func (a *admin) post(ctx context.Context, path string, body, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		var eb protocol.ErrorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error.Code != "" {
			return resp.StatusCode, &eb.Error
		}
		return resp.StatusCode, fmt.Errorf("POST %s: HTTP %d", path, resp.StatusCode)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("POST %s: %w", path, err)
		}
	}
	return resp.StatusCode, nil
}

// ensureUser creates a user; one that exists already is fine, so runs
// with the same -prefix reuse their users.
func (a *admin) ensureUser(ctx context.Context, userID string) error {
	_, err := a.post(ctx, "/api/v1/admin/users", protocol.AdminCreateUserReq{UserID: userID}, nil)
	if protocol.CodeOf(err) == protocol.CodeAlreadyExists {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create user %s: %w", userID, err)
	}
	return nil
}

func (a *admin) token(ctx context.Context, userID string) (string, error) {
	var tr protocol.TokenResp
	if _, err := a.post(ctx, "/api/v1/admin/tokens", protocol.AdminTokenReq{UserID: userID, Platform: protocol.PlatformWeb}, &tr); err != nil {
		return "", fmt.Errorf("token for %s: %w", userID, err)
	}
	return tr.Token, nil
}

// usersAndTokens creates the users (if missing) and mints a token for each,
// with a few requests in parallel.
func (a *admin) usersAndTokens(ctx context.Context, ids []string, parallel int) ([]string, error) {
	tokens := make([]string, len(ids))
	err := forEach(ctx, len(ids), parallel, func(ctx context.Context, i int) error {
		if err := a.ensureUser(ctx, ids[i]); err != nil {
			return err
		}
		t, err := a.token(ctx, ids[i])
		tokens[i] = t
		return err
	})
	return tokens, err
}

// users creates the users (if missing), with a few requests in parallel.
func (a *admin) users(ctx context.Context, ids []string, parallel int) error {
	return forEach(ctx, len(ids), parallel, func(ctx context.Context, i int) error { return a.ensureUser(ctx, ids[i]) })
}

// forEach runs fn(0..n-1) on up to parallel goroutines and returns the
// first error, after which no new calls start.
func forEach(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if parallel < 1 {
		parallel = 1
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
loop:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break loop
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// serverStats are the numbers read from the server's /metrics (and /proc
// when its PID is known).
type serverStats struct {
	RSS         float64 // bytes
	HeapInuse   float64
	StackInuse  float64
	Goroutines  float64
	Connections float64
	MessagesIn  float64
	MessagesOut float64
	CPUSeconds  float64
	// Commits and CommittedMessages count the committer's batches.
	Commits, CommittedMessages float64
	// All holds every sample by its name with labels, e.g.
	// parley_request_duration_seconds_sum{type="sync"}.
	All map[string]float64
}

// delta is how much the sample name grew from s to after.
func (s serverStats) delta(after serverStats, name string) float64 {
	return after.All[name] - s.All[name]
}

func (a *admin) scrape(ctx context.Context, pid int) (serverStats, error) {
	s := serverStats{All: map[string]float64{}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return s, err
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// The value is after the last space: label values may hold spaces
		// (route="GET /ws").
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || strings.HasPrefix(line, "#") {
			continue
		}
		name, val := line[:i], line[i+1:]
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		s.All[name] = v
		switch name {
		case "process_resident_memory_bytes":
			s.RSS = v
		case "go_memstats_heap_inuse_bytes":
			s.HeapInuse = v
		case "go_memstats_stack_inuse_bytes":
			s.StackInuse = v
		case "go_goroutines":
			s.Goroutines = v
		case "parley_ws_connections":
			s.Connections = v
		case "parley_messages_in_total":
			s.MessagesIn = v
		case "parley_messages_out_total":
			s.MessagesOut = v
		case "process_cpu_seconds_total":
			s.CPUSeconds = v
		case "parley_commit_batch_messages_count":
			s.Commits = v
		case "parley_commit_batch_messages_sum":
			s.CommittedMessages = v
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if pid > 0 {
		rss, err := procRSS(pid)
		if err != nil {
			return s, err
		}
		s.RSS = rss
	}
	return s, nil
}

// procRSS reads VmRSS of a process from /proc.
func procRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb * 1024, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
