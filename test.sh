#!/usr/bin/env bash
# Runs every Parley test: native Go tests with -race, wasm tests in headless
# Chromium (wasmbrowsertest), and the browser end-to-end tests (playwright-core
# driving Debian's chromium against a real parleyd). It installs what a fresh
# Debian machine lacks, exits non-zero when anything fails or nothing ran, and
# ends with one summary line: "N passed, N failed".
#
# Environment:
#   PARLEY_TEST_SKIP_BROWSER=1  skip the wasm and end-to-end browser tests
#   PARLEY_TEST_POSTGRES, PARLEY_TEST_NATS  scale-out tests (set by .ci/run)
#   PARLEY_TEST_S3  the S3 blob store's tests: an s3:// URL; .ci/run starts
#     SeaweedFS on loopback for them (server/files/s3test.sh)
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/parley-test.XXXXXX")
passed=0
failed=0
failures=()

step() { printf '\n==> %s\n' "$*"; }

# record NAME PASSES FAILS RC: add a suite's counts; a non-zero exit with no
# failed test (a build error, a crash) counts as one failure.
record() {
	local name=$1 p=$2 f=$3 rc=$4
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then failures+=("$name"); fi
	printf '%s: %d passed, %d failed\n' "$name" "$p" "$f"
}

# gotest NAME LOG ARGS...: run go test -v, count top-level and sub-tests.
gotest() {
	local name=$1 log=$2
	shift 2
	go test -v "$@" >"$log" 2>&1
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		# Enough context to read a failure from CI's output alone.
		grep -B 25 -A 5 -E -- '^\s*--- FAIL|^FAIL|panic:|cannot|undefined' "$log" | tail -150
	fi
	local p f
	p=$(grep -cE -- '^\s*--- PASS' "$log")
	f=$(grep -cE -- '^\s*--- FAIL' "$log")
	record "$name" "$p" "$f" "$rc"
}

ensure_tools() {
	export PATH="$PATH:$(go env GOPATH)/bin"
	if [ "${PARLEY_TEST_SKIP_BROWSER:-}" = 1 ]; then return; fi
	if ! command -v chromium >/dev/null 2>&1; then
		step "installing Debian's chromium"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
			{ echo "cannot install chromium"; exit 1; }
	fi
	if ! command -v wasmbrowsertest >/dev/null 2>&1; then
		step "installing wasmbrowsertest"
		go install github.com/agnivade/wasmbrowsertest@v0.11.0 || exit 1
	fi
	# go test runs GOOS=js binaries through go_js_wasm_exec on PATH.
	ln -sf "$(command -v wasmbrowsertest)" "$(go env GOPATH)/bin/go_js_wasm_exec"
}

ensure_tools

step "go vet (native and js/wasm)"
vet_rc=0
go vet ./... >"$logs/vet.log" 2>&1 || vet_rc=1
wasm_pkgs=$(GOOS=js GOARCH=wasm go list ./protocol/... ./core/... ./wsjs/... ./blobjs/... ./indexdb/... ./event_listener/... ./wasm_wrapper/... ./wasm/... 2>/dev/null)
GOOS=js GOARCH=wasm go vet $wasm_pkgs >>"$logs/vet.log" 2>&1 || vet_rc=1
cat "$logs/vet.log"
if [ "$vet_rc" -eq 0 ]; then record vet 1 0 0; else record vet 0 1 1; fi

step "native Go tests (-race)"
gotest go "$logs/go.log" -race -count=1 -timeout 15m ./...

step "fuzz targets, briefly (the seed corpora run in the tests above too)"
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" when time runs out while a
# worker is busy (golang/go#75804, fixed in Go 1.27).
for target in protocol:FuzzDecodeFrame protocol:FuzzCheckContent server:FuzzPeekFrame server:FuzzStaticPaths server:FuzzMediaParsers server/httpapi:FuzzBodies server/httpapi:FuzzAdminQuery server/httpapi:FuzzMediaBodies server/webhook:FuzzVerify wasm_wrapper:FuzzDecodeArgs; do
	name=${target##*:}
	if go test -run '^$' -fuzz "^$name\$" -fuzztime 150000x "./${target%%:*}" >"$logs/fuzz-$name.log" 2>&1; then
		record "fuzz $name" 1 0 0
	else
		tail -30 "$logs/fuzz-$name.log"
		record "fuzz $name" 0 1 1
	fi
done

if [ "${PARLEY_TEST_SKIP_BROWSER:-}" != 1 ]; then
	step "wasm tests in headless Chromium"
	js_test_pkgs=$(GOOS=js GOARCH=wasm go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./indexdb/... ./wsjs/... ./blobjs/... ./event_listener/... ./wasm_wrapper/... ./wasm/... 2>/dev/null)
	if [ -n "$js_test_pkgs" ]; then
		GOOS=js GOARCH=wasm gotest wasm "$logs/wasm.log" -count=1 -timeout 10m $js_test_pkgs
	fi

	step "build: SDK package and parleyd"
	build_rc=0
	./build.sh >"$logs/build.log" 2>&1 || build_rc=$?
	cat "$logs/build.log"
	go build -o "$logs/parleyd" ./cmd/parleyd || build_rc=1
	if [ "$build_rc" -eq 0 ]; then record build 1 0 0; else record build 0 1 1; fi

	for suite in wasm/e2e web-demo/e2e; do
		[ -f "$suite/package.json" ] || continue
		step "end-to-end: $suite"
		(cd "$suite" && npm ci --no-audit --no-fund --loglevel=error) || { record "$suite" 0 1 1; continue; }
		log="$logs/$(echo "$suite" | tr / -).log"
		(cd "$suite" && PARLEYD_BIN="$logs/parleyd" PARLEY_ROOT="$root" node --test --test-reporter=tap) >"$log" 2>&1
		rc=$?
		grep -E '^not ok|^# (pass|fail)' "$log"
		p=$(sed -n 's/^# pass \([0-9]*\).*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^# fail \([0-9]*\).*/\1/p' "$log" | tail -1)
		if [ "$rc" -ne 0 ]; then
			# The first failure explains the rest (later tests often fail
			# only because an earlier one left the server down): show the
			# diagnostics printed before it and its error block.
			first=$(grep -n -m1 -E '^\s*not ok' "$log" | cut -d: -f1)
			if [ -n "$first" ]; then
				sed -n "$((first > 80 ? first - 80 : 1)),$((first + 25))p" "$log"
				echo "[...]"
			fi
			tail -30 "$log"
		fi
		record "$suite" "${p:-0}" "${f:-0}" "$rc"
	done
fi

echo
echo "logs: $logs"
if [ "${#failures[@]}" -ne 0 ]; then echo "failed suites: ${failures[*]}"; fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "no test ran"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
