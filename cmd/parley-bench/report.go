package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// latencies collects samples; percentiles are exact (nearest rank over
// the sorted samples), not estimated from buckets.
type latencies []time.Duration

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// summary is a latency distribution in milliseconds.
type summary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

func summarize(l latencies) summary {
	s := slices.Clone(l)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	out := summary{Count: len(s)}
	if len(s) == 0 {
		return out
	}
	out.P50, out.P90, out.P99 = ms(percentile(s, 50)), ms(percentile(s, 90)), ms(percentile(s, 99))
	out.Max = ms(s[len(s)-1])
	out.Mean = ms(sum / time.Duration(len(s)))
	return out
}

// metric is one reported number.
type metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Target, when set, is the goal this number is held to (text, e.g. "<= 20 KB").
	Target string `json:"target,omitempty"`
}

// result is what a scenario reports.
type result struct {
	Scenario  string             `json:"scenario"`
	Date      string             `json:"date"`
	Machine   machine            `json:"machine"`
	Params    map[string]any     `json:"params"`
	Metrics   []metric           `json:"metrics"`
	Latencies map[string]summary `json:"latencies,omitempty"`
	Notes     []string           `json:"notes,omitempty"`
}

func (r *result) add(name string, v float64, unit string) {
	r.Metrics = append(r.Metrics, metric{Name: name, Value: v, Unit: unit})
}

func (r *result) addTarget(name string, v float64, unit, target string) {
	r.Metrics = append(r.Metrics, metric{Name: name, Value: v, Unit: unit, Target: target})
}

func (r *result) latency(name string, l latencies) {
	if r.Latencies == nil {
		r.Latencies = map[string]summary{}
	}
	r.Latencies[name] = summarize(l)
}

func (r *result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// machine describes where the numbers were taken.
type machine struct {
	Cores    int    `json:"cores"`
	CPU      string `json:"cpu"`
	MemTotal string `json:"memTotal"`
	// LoadAvg is /proc/loadavg's 1, 5 and 15 minute load at the end of the run.
	LoadAvg string `json:"loadavg"`
	Go      string `json:"go"`
}

func thisMachine() machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
						m.MemTotal = fmt.Sprintf("%.1f GiB", kb/(1<<20))
					}
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

func (r *result) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *result) writeTable(w io.Writer) {
	fmt.Fprintf(w, "scenario %s  %s\n", r.Scenario, r.Date)
	fmt.Fprintf(w, "machine  %d cores, %s, %s, load %s, %s\n", r.Machine.Cores, r.Machine.CPU, r.Machine.MemTotal, r.Machine.LoadAvg, r.Machine.Go)
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var ps []string
	for _, k := range keys {
		ps = append(ps, fmt.Sprintf("%s=%v", k, r.Params[k]))
	}
	fmt.Fprintf(w, "params   %s\n\n", strings.Join(ps, " "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\tunit\ttarget")
	for _, m := range r.Metrics {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, formatValue(m.Value), m.Unit, m.Target)
	}
	tw.Flush()
	if len(r.Latencies) > 0 {
		fmt.Fprintln(w)
		names := make([]string, 0, len(r.Latencies))
		for k := range r.Latencies {
			names = append(names, k)
		}
		slices.Sort(names)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "latency (ms)\tcount\tp50\tp90\tp99\tmax\tmean\t")
		for _, n := range names {
			s := r.Latencies[n]
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", n, s.Count, s.P50, s.P90, s.P99, s.Max, s.Mean)
		}
		tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	if math.Abs(v) >= 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// cpuTime is this process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
