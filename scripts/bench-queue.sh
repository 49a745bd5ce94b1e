#!/usr/bin/env bash
# What the persistent sending queue costs: CPU per million *delivered*
# spans (the sink's count, not the load generator's) for the OTLP
# pipeline receiver → batch → exporter → loopback sink, with the exporter's
# queue in memory, on disk (otelcol.storage.file), and on disk with fsync.
# Each at a fixed 50K spans/s and flat out.
#
# The agent is pinned to CPU 0, the load generator and the sink to CPU 1,
# so the CPU-seconds are the agent's own.
#
# usage: scripts/bench-queue.sh [SECONDS] [SPANS_PER_REQUEST]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-15}
SPANS=${2:-100}
cargo build --release --quiet
SOLDER=target/release/solder
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
sink_spans() { tail -n 1 "$1" 2>/dev/null | python3 -c 'import json,sys; l=sys.stdin.read().strip(); print(json.loads(l)["spans"] if l else 0)'; }

config() { # mode recv sink
	local storage="" fsync="false"
	case $1 in
	disk) storage="storage = otelcol.storage.file.queue.handler" ;;
	fsync) storage="storage = otelcol.storage.file.queue.handler"; fsync="true" ;;
	esac
	cat <<ALLOY
otelcol.receiver.otlp "default" {
	grpc { endpoint = "127.0.0.1:$2" }
	output { traces = [otelcol.processor.batch.default.input] }
}
otelcol.processor.batch "default" {
	output { traces = [otelcol.exporter.otlp.sink.input] }
}
otelcol.storage.file "queue" {
	fsync = $fsync
}
otelcol.exporter.otlp "sink" {
	client {
		endpoint    = "127.0.0.1:$3"
		compression = "none"
		tls { insecure = true }
	}
	sending_queue {
		sizer      = "bytes"
		queue_size = 268435456
		$storage
	}
}
ALLOY
}

# One measurement: mode (memory|disk|fsync), rate (0 = flat out).
measure() {
	local mode=$1 rate=$2
	local sink recv; sink=$(free_port); recv=$(free_port)
	taskset -c 1 "$SOLDER" tools sink --grpc "127.0.0.1:$sink" > "$WORK/sink-$mode-$rate.jsonl" 2>/dev/null &
	local sink_pid=$!
	wait_port "$sink"
	config "$mode" "$recv" "$sink" > "$WORK/$mode.alloy"
	rm -rf "$WORK/data"
	taskset -c 0 "$SOLDER" run "$WORK/$mode.alloy" --server.http.listen-addr "127.0.0.1:$(free_port)" --storage.path "$WORK/data" > "$WORK/agent-$mode-$rate.log" 2>&1 &
	local pid=$!
	wait_port "$recv"
	sleep 1
	local before; before=$(cpu_seconds "$pid")
	local out; out=$(taskset -c 1 "$SOLDER" tools loadgen --endpoint "127.0.0.1:$recv" --rate "$rate" --duration "$SECS" --spans-per-request "$SPANS" --connections 4)
	local acked; acked=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["spans"])' "$out")
	# Delivered, not answered: wait for the sink to have it all.
	for _ in $(seq 300); do [ "$(sink_spans "$WORK/sink-$mode-$rate.jsonl")" -ge "$acked" ] && break; sleep 0.1; done
	local after; after=$(cpu_seconds "$pid")
	local delivered; delivered=$(sink_spans "$WORK/sink-$mode-$rate.jsonl")
	local disk; disk=$(du -sk "$WORK/data" 2>/dev/null | cut -f1)
	kill "$pid" "$sink_pid"; wait "$pid" "$sink_pid" 2>/dev/null || true
	python3 - "$mode" "$rate" "$acked" "$delivered" "$before" "$after" "$SECS" "$disk" <<'PY'
import sys
mode, rate, acked, delivered, before, after, secs, disk = sys.argv[1:]
acked, delivered, cpu, secs = int(acked), int(delivered), float(after) - float(before), float(secs)
load = "flat out" if rate == "0" else f"{int(rate):,}/s"
print(f"{mode:7} {load:>9}  {delivered / secs:>10,.0f} delivered spans/s  {cpu / delivered * 1e6 if delivered else 0:6.2f} CPU-s per million delivered  ({acked:,} acknowledged, {delivered:,} delivered, data dir {disk} KiB at the end)")
PY
}

echo "load: $SECS s, $SPANS spans per request, 4 connections; agent pinned to CPU 0"
for rate in 50000 0; do
	for mode in memory disk fsync; do
		measure "$mode" "$rate"
	done
done
