#!/usr/bin/env bash
# Runs every parley-bench scenario of docs/benchmarks.md, each against a
# fresh parleyd (new data folder) on loopback, and writes each result as
# JSON (and a table) into an output folder, with pprof profiles of the
# server taken during the runs that fall short.
#
#   bench/run.sh [outdir]            # all scenarios
#   SCENARIOS="direct-rate catchup" bench/run.sh /tmp/out
#
# The server and the tool share the machine's cores; the load average is
# recorded in every result.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-$(mktemp -d /tmp/parley-bench-out.XXXXXX)}
mkdir -p "$out"
bin=$(mktemp -d)
trap 'stop_server; rm -rf "$bin"' EXIT

go build -o "$bin/parleyd" ./cmd/parleyd
go build -o "$bin/parley-bench" ./cmd/parley-bench

secret=bench-secret
port=18181
debug=18182
pid=

start_server() {
	rm -rf "$bin/data"
	"$bin/parleyd" -addr 127.0.0.1:$port -data "$bin/data" -admin-secret $secret \
		-debug-addr 127.0.0.1:$debug -log-level warn \
		-handshake-rate-per-ip 100000 -max-conns-per-ip 100000 \
		2>>"$out/parleyd.log" & # every client is 127.0.0.1
	pid=$!
	for _ in $(seq 100); do
		curl -fs http://127.0.0.1:$port/healthz >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "parleyd did not start" >&2
	return 1
}

stop_server() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
}

# bench NAME parley-bench-flags...
bench() {
	local name=$1
	shift
	echo "== $name: parley-bench $*" >&2
	start_server
	"$bin/parley-bench" -server http://127.0.0.1:$port -admin-secret $secret -pid "$pid" \
		-debug http://127.0.0.1:$debug -profile-dir "$out/$name" -json "$@" >"$out/$name.json"
	stop_server
	echo "   uptime: $(uptime)" >&2
}

all="idle direct-flat direct-rate group-rate group-flat catchup catchup-compress"
for s in ${SCENARIOS:-$all}; do
	case $s in
	idle) bench idle -scenario idle -conns 19900 -hold 30s ;;
	direct-flat) bench direct-flat -scenario direct -pairs 100 -duration 20s ;;
	direct-rate) bench direct-rate -scenario direct -pairs 100 -rate 1000 -duration 20s ;;
	group-rate) bench group-rate -scenario group -members 100 -senders 4 -rate 100 -duration 20s ;;
	group-flat) bench group-flat -scenario group -members 100 -senders 20 -duration 15s ;;
	catchup) bench catchup -scenario catchup -conversations 1000 -changed 100 -per-conv 100 ;;
	catchup-compress) bench catchup-compress -scenario catchup -conversations 1000 -changed 100 -per-conv 100 -compress ;;
	*) echo "unknown scenario $s" >&2; exit 2 ;;
	esac
done
cp "$bin/parleyd" "$out/parleyd.bin" # pprof needs the binary for symbols
echo "results in $out" >&2
