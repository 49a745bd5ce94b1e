#!/usr/bin/env bash
# The CPU floor under the OTLP/gRPC receive path: scripts/h2floor, a hyper
# HTTP/2 server with the receiver's settings that reads each request and
# answers gRPC OK and does nothing else, loaded as scripts/bench-pipeline.sh
# loads the agent (100-span requests from `solder tools loadgen`, 4
# connections; the server on CPU 0, the load on CPU 1). Prints CPU-s per
# million spans and µs a request at 50K and 10K spans/s, with and without
# the keep-alive timer, and for the hand-written unary-only prototype
# (`--raw`, scripts/h2floor/src/raw.rs) instead of hyper. What the agent
# spends above the hyper figures is its own (docs/compression.md, "Sixth
# pass").
#
# usage: scripts/h2floor.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
ROUNDS=${2:-2}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
(cd scripts/h2floor && cargo build --release --quiet)
FLOOR=scripts/h2floor/target/release/h2floor
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
TOOLS="$WORK/solder-tools"
cp "${SOLDER:-target/release/solder}" "$TOOLS"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

measure() { # rate, server flags...
	local rate=$1; shift
	local p; p=$(port)
	taskset -c 0 "$FLOOR" "127.0.0.1:$p" "$@" &
	local pid=$!
	wait_port "$p"
	sleep 1
	local before; before=$(cpu_seconds "$pid")
	local out; out=$(taskset -c 1 "$TOOLS" tools loadgen --endpoint "127.0.0.1:$p" --duration "$SECS" --spans-per-request 100 --connections 4 --rate "$rate")
	local after; after=$(cpu_seconds "$pid")
	kill "$pid"; wait "$pid" 2>/dev/null || true
	python3 - "$rate" "$*" "$out" "$before" "$after" "$SECS" <<'PY'
import json, sys
rate, flags, out = sys.argv[1], sys.argv[2] or "keep-alive on", json.loads(sys.argv[3])
cpu, secs = float(sys.argv[5]) - float(sys.argv[4]), float(sys.argv[6])
spans = out["spans"]
print(f"{int(rate):>6} spans/s  {flags:16}  answered {spans:>9,} spans ({out['errors']} refused)  {cpu:5.2f} CPU-s  "
      f"{cpu / spans * 1e6:5.2f} CPU-s per million  {cpu / (spans / 100) * 1e6:4.0f} µs a request  {cpu / secs * 100:4.1f}% of a core")
PY
}

echo "$SECS s per load, 100 spans per request, 4 connections; the server on CPU 0, the load on CPU 1"
for _ in $(seq "$ROUNDS"); do
	for rate in 50000 10000; do
		measure "$rate"
		measure "$rate" --no-keep-alive
		measure "$rate" --raw
		measure "$rate" --raw-no-hpack
	done
done
