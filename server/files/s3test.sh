#!/usr/bin/env bash
# Builds (once) and starts a real S3-compatible server on loopback for the
# S3 blob-store tests: SeaweedFS's "weed mini", bound to 127.0.0.1 only.
#
#   eval "$(server/files/s3test.sh start)"   # exports PARLEY_TEST_S3
#   server/files/s3test.sh stop
#
# The binary is kept outside the repository in $PARLEY_WEED (default
# $HOME/.cache/parley/weed); building it takes minutes, so it is built only
# when missing. PARLEY_TEST_S3 is an s3:// URL that -files takes too.
set -euo pipefail

weed=${PARLEY_WEED:-$HOME/.cache/parley/weed}
version=v0.0.0-20261109003541-7506e5f91cd6
state=${PARLEY_S3_STATE:-${TMPDIR:-/tmp}/parley-s3test}
# Ports away from SeaweedFS's defaults, so a developer's own instance does
# not collide; gRPC ports are these plus 10000.
s3port=${PARLEY_S3_PORT:-18333}
key=parleytest
secret=parleytestsecret
bucket=parley-test

build() {
	[ -x "$weed" ] && return
	echo "building SeaweedFS $version into $weed (a few minutes, once)" >&2
	dir=$(go mod download -json "github.com/seaweedfs/seaweedfs@$version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
	mkdir -p "$(dirname "$weed")"
	(cd "$dir" && go build -o "$weed.tmp" ./weed) >&2
	mv "$weed.tmp" "$weed"
}

start() {
	build
	url="s3://$bucket?endpoint=127.0.0.1:$s3port&secure=false&access_key=$key&secret_key=$secret"
	if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
		echo "export PARLEY_TEST_S3='$url'"
		return
	fi
	rm -rf "$state"
	mkdir -p "$state/data"
	AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret S3_BUCKET=$bucket \
		setsid "$weed" mini -dir="$state/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
		-master.port=19333 -volume.port=18080 -filer.port=18888 -s3.port="$s3port" \
		-admin.port=12536 -admin.port.legacy=0 -s3.port.iceberg=0 -webdav=false \
		>"$state/weed.log" 2>&1 </dev/null &
	echo $! >"$state/pid"
	# Ready when the S3 port answers and the bucket exists.
	for _ in $(seq 1 120); do
		if curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$s3port/$bucket" 2>/dev/null | grep -qE '^(200|403)$'; then
			echo "export PARLEY_TEST_S3='$url'"
			return
		fi
		sleep 1
	done
	echo "SeaweedFS did not start; see $state/weed.log" >&2
	tail -20 "$state/weed.log" >&2
	exit 1
}

stop() {
	if [ -f "$state/pid" ]; then
		kill -- "-$(cat "$state/pid")" 2>/dev/null || kill "$(cat "$state/pid")" 2>/dev/null || true
		rm -f "$state/pid"
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
build) build ;;
*) echo "usage: $0 start|stop|build" >&2; exit 2 ;;
esac
