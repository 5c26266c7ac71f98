#!/usr/bin/env bash
# Builds the browser SDK's npm package (parley-sdk) into wasm/dist/:
# parley.wasm, the matching wasm_exec.js, index.js, runtime.js, host.js and
# worker.js (the Go runtime's loader, the host of an instance and the worker
# running it for all tabs),
# surface.gen.js (the client's methods and events, generated from
# wasm/surface.go), index.d.ts, package.json and README.md, with a gzip and a
# brotli copy of the wasm, the scripts and index.d.ts (name.gz, name.br). Prints parley.wasm's raw and gzip -9 sizes
# and fails when the gzip size is over the budget (1.5 MB).
set -euo pipefail
cd "$(dirname "$0")"

out=wasm/dist
budget=1500000 # bytes of parley.wasm after gzip -9

rm -rf "$out"
mkdir -p "$out"

# Inlining is off except in the runtime and encoding/json: it saves about
# 90 KB gzip (the SDK's own code is I/O-bound; the runtime's and the JSON
# decoder's hot paths keep it). docs/benchmarks.md has the measurements.
gcflags=(-gcflags=all=-l -gcflags=runtime= -gcflags=encoding/json=)
GOOS=js GOARCH=wasm go build -trimpath "${gcflags[@]}" -ldflags="-s -w" -o "$out/parley.wasm" ./wasm
# The linker writes one data segment per run of data (80,000 of them);
# merged, the module is ~140 KB smaller after gzip and starts with the same
# memory (cmd/wasmpack).
go run ./cmd/wasmpack "$out/parley.wasm"

# wasm_exec.js must come from the toolchain that built the wasm: the Go
# runtime and its JS glue change together.
goroot=$(go env GOROOT)
execjs="$goroot/lib/wasm/wasm_exec.js" # Go 1.24+
if [ ! -f "$execjs" ]; then
	execjs="$goroot/misc/wasm/wasm_exec.js" # older toolchains
fi
cp "$execjs" "$out/wasm_exec.js"
cp wasm/package.json wasm/index.js wasm/runtime.js wasm/host.js wasm/worker.js wasm/surface.gen.js wasm/index.d.ts wasm/README.md "$out/"

# Compressed copies beside the files (name.gz, name.br), made once here:
# parleyd serves them from its first request on instead of compressing at
# start (docs/limits.md, "Static files"). Not README.md: npm packs every
# README* file, and the copies are for parleyd, not the npm package.
go run ./cmd/precompress "$out"/parley.wasm "$out"/*.js "$out"/index.d.ts

raw=$(wc -c <"$out/parley.wasm")
gz=$(gzip -9 -c "$out/parley.wasm" | wc -c)
echo "parley.wasm: $raw bytes raw, $gz bytes gzip -9 (budget $budget)"
if [ "$gz" -gt "$budget" ]; then
	echo "parley.wasm is over the size budget by $((gz - budget)) bytes" >&2
	exit 1
fi
echo "package written to $out ($(go env GOVERSION))"
