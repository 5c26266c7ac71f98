// Command parley-bench drives a running parleyd over loopback with the raw
// WebSocket protocol, so that what it measures is the server alone, and
// prints a table (or JSON with -json).
//
// Scenarios, chosen with -scenario:
//
//	idle     N authenticated connections held open: server memory per
//	         connection and the time to connect them all.
//	direct   P pairs exchanging one-to-one messages at -rate or flat out:
//	         messages stored and delivered per second, end-to-end latency.
//	pipeline one sender connection with -window sends in flight, -count
//	         messages to one receiver: stored/s, delivered/s, send→push.
//	sequential  the same with one send at a time (window 1).
//	group    a group of G members, O of them online, with S senders:
//	         deliveries per second, fan-out latency; with -reads, the
//	         cost of read receipts.
//	catchup  a user with C conversations of which K changed while away:
//	         catch-up time, bytes on the wire, messages per second.
//	seed     creates a user with C conversations of M messages each and
//	         prints its token (for the browser benchmark).
//
// Users and data are made through the admin API and the users' own
// requests, so the tool works against any parleyd whose admin secret it
// is given. Every loop is bounded in count and in time. See
// docs/benchmarks.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "parley-bench:", err)
		os.Exit(1)
	}
}

// config holds every flag; each scenario reads the ones it needs.
type config struct {
	scenario    string
	server      string
	adminSecret string
	prefix      string
	pid         int
	jsonOut     bool
	compress    bool
	timeout     time.Duration
	parallel    int
	size        int
	debugURL    string
	profileDir  string

	// idle
	conns int
	hold  time.Duration

	// direct and group
	pairs    int
	rate     float64
	duration time.Duration
	window   int

	// pipeline and sequential
	count int

	// group
	members int
	online  int
	senders int
	reads   int

	// catchup and seed
	conversations int
	changed       int
	perConv       int
	user          string

	// log prints progress to stderr, so that stdout carries only the result.
	log func(format string, args ...any)
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	var c config
	fs := flag.NewFlagSet("parley-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.scenario, "scenario", "", "idle, direct, pipeline, sequential, group, catchup or seed (required)")
	fs.StringVar(&c.server, "server", "http://127.0.0.1:8080", "parleyd base URL")
	fs.StringVar(&c.adminSecret, "admin-secret", os.Getenv("PARLEY_ADMIN_SECRET"), "parleyd admin secret (PARLEY_ADMIN_SECRET)")
	fs.StringVar(&c.prefix, "prefix", "", "user ID prefix; default a fresh one per run (reuse one to reuse its users)")
	fs.IntVar(&c.pid, "pid", 0, "parleyd's PID: read its memory from /proc instead of /metrics")
	fs.BoolVar(&c.jsonOut, "json", false, "print the result as JSON instead of a table")
	fs.BoolVar(&c.compress, "compress", false, "negotiate permessage-deflate, as browsers do")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.IntVar(&c.parallel, "parallel", 32, "setup requests and dials in parallel")
	fs.IntVar(&c.size, "size", 100, "bytes of text per message")
	fs.StringVar(&c.debugURL, "debug", "", "parleyd's debug (pprof) base URL, e.g. http://127.0.0.1:6060 (parleyd -debug-addr)")
	fs.StringVar(&c.profileDir, "profile-dir", "", "with -debug: save server profiles here (CPU of the send phase; heap of idle)")

	fs.IntVar(&c.conns, "conns", 1000, "idle: connections to open")
	fs.DurationVar(&c.hold, "hold", 10*time.Second, "idle: how long to hold them before measuring")

	fs.IntVar(&c.pairs, "pairs", 100, "direct: pairs of users; both of a pair send")
	fs.Float64Var(&c.rate, "rate", 0, "direct, group: total messages per second sent; 0 = flat out")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "direct, group: how long to send")
	fs.IntVar(&c.window, "window", 0, "direct, group, pipeline: sends in flight per sender when flat out (default 8; pipeline 32)")

	fs.IntVar(&c.count, "count", 0, "pipeline, sequential: messages to send (default 10000; sequential 500)")

	fs.IntVar(&c.members, "members", 100, "group: members")
	fs.IntVar(&c.online, "online", 0, "group: members connected (the first ones; senders among them); default all")
	fs.IntVar(&c.senders, "senders", 1, "group: members that send")
	fs.IntVar(&c.reads, "reads", 0, "group: every online member that does not send marks the group read after every N messages it receives; 0 = no reads")

	fs.IntVar(&c.conversations, "conversations", 1000, "catchup, seed: conversations of the user")
	fs.IntVar(&c.changed, "changed", 100, "catchup: conversations that change while the user is away")
	fs.IntVar(&c.perConv, "per-conv", 100, "catchup: new messages in each changed conversation; seed: messages per conversation")
	fs.StringVar(&c.user, "user", "", "seed: the user's ID (default <prefix>-u)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if c.adminSecret == "" {
		return nil, errors.New("the admin secret is required: -admin-secret or PARLEY_ADMIN_SECRET")
	}
	if c.prefix == "" {
		c.prefix = "b" + strconv.FormatInt(time.Now().Unix()%1_000_000_000, 36)
	}
	if c.window == 0 {
		c.window = 8
		if c.scenario == "pipeline" {
			c.window = 32
		}
	}
	if c.count == 0 {
		c.count = 10000
		if c.scenario == "sequential" {
			c.count = 500
		}
	}
	if c.size < 1 || c.size > 32<<10 {
		return nil, errors.New("-size must be 1 to 32768")
	}
	return &c, nil
}

type scenarioFunc func(ctx context.Context, c *config, r *result) error

var scenarios = map[string]scenarioFunc{
	"idle":       runIdle,
	"direct":     runDirect,
	"group":      runGroup,
	"pipeline":   runPipeline,
	"sequential": runPipeline,
	"catchup":    runCatchup,
	"seed":       runSeed,
}

func run(args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	fn, ok := scenarios[c.scenario]
	if !ok {
		return fmt.Errorf("unknown -scenario %q; one of idle, direct, pipeline, sequential, group, catchup, seed", c.scenario)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	r := &result{Scenario: c.scenario, Params: map[string]any{"server": c.server, "prefix": c.prefix}}
	c.log = func(format string, args ...any) {
		fmt.Fprintf(stderr, "[%s] %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	err = fn(ctx, c, r)
	r.Date = time.Now().UTC().Format(time.RFC3339)
	r.Machine = thisMachine()
	if err != nil {
		return err
	}
	if c.jsonOut {
		return r.writeJSON(stdout)
	}
	r.writeTable(stdout)
	return nil
}

// userIDs returns n user IDs <prefix>-<kind><i>.
func userIDs(prefix, kind string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = prefix + "-" + kind + strconv.Itoa(i)
	}
	return ids
}

// text returns a message body of n bytes starting with tag.
func text(tag string, n int) string {
	if len(tag) >= n {
		return tag
	}
	return tag + " " + strings.Repeat("x", n-len(tag)-1)
}
