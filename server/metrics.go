package server

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are registered on a registry of the Server's own, so that several
// Servers can run in one process (tests).
type metrics struct {
	reg             *prometheus.Registry
	connections     prometheus.Gauge
	messagesIn      prometheus.Counter
	messagesOut     prometheus.Counter
	pushes          *prometheus.CounterVec
	requests        *prometheus.HistogramVec
	errors          *prometheus.CounterVec
	batchSize       prometheus.Histogram
	slowDisconnects prometheus.Counter
	// floodDisconnects counts connections closed for flooding.
	floodDisconnects prometheus.Counter
	// badFrameDisconnects counts connections closed for bad frames: too
	// many malformed, id-less or too large, or one beyond the hard limit.
	badFrameDisconnects prometheus.Counter
	httpRequests        *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "parley_ws_connections", Help: "Open WebSocket connections.",
		}),
		messagesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_messages_in_total", Help: "Messages stored (duplicates excluded).",
		}),
		messagesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_messages_out_total", Help: "push.message frames queued to connections.",
		}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_pushes_total", Help: "Push frames queued to connections, by type.",
		}, []string{"type"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_request_duration_seconds",
			Help:    "WebSocket request latency from read to response queued, by request type.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_errors_total", Help: "Error responses (WebSocket and HTTP), by code.",
		}, []string{"code"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "parley_commit_batch_messages",
			Help:    "Messages per group commit.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		slowDisconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_slow_consumer_disconnects_total", Help: "Connections closed because their send queue was full.",
		}),
		floodDisconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_flood_disconnects_total", Help: "Connections closed because they kept sending while rate-limited.",
		}),
		badFrameDisconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_bad_frame_disconnects_total", Help: "Connections closed for bad frames (too many malformed, id-less or too large ones, or one over the hard read limit).",
		}),
		httpRequests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_http_request_duration_seconds",
			Help:    "HTTP request latency by route and status (WebSocket upgrades: until the upgrade).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
	}
	m.reg.MustRegister(m.connections, m.messagesIn, m.messagesOut, m.pushes, m.requests, m.errors, m.batchSize,
		m.slowDisconnects, m.floodDisconnects, m.badFrameDisconnects, m.httpRequests,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// statusWriter records the status of a response for the HTTP metrics. It
// keeps http.Hijacker working for the WebSocket upgrade.
type statusWriter struct {
	http.ResponseWriter
	status   int
	hijacked func()
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = http.StatusSwitchingProtocols
		w.hijacked()
	}
	return conn, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe wraps next so that each request's latency is recorded by route
// pattern (a bounded set) and status.
func (m *metrics) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		done := false
		record := func(status int) {
			if done {
				return
			}
			done = true
			route := r.Pattern
			if route == "" {
				route = "other"
			}
			m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
		}
		sw := &statusWriter{ResponseWriter: w}
		// A WebSocket is measured until its upgrade, not for its lifetime.
		sw.hijacked = func() { record(http.StatusSwitchingProtocols) }
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		record(sw.status)
	})
}
