#!/usr/bin/env bash
# Throughput and CPU cost of the trace pipeline: OTLP gRPC receiver → batch
# → OTLP gRPC exporter → a loopback sink, under `solder tools loadgen` flat
# out. Then the same load against Rotel (`rotel-agent --exporter
# blackhole`) for a side-by-side ratio.
#
# The agent under test is pinned to CPU 0 and the load generator and sink to
# CPU 1, so "spans per CPU-second" is the agent's own cost.
#
# usage: scripts/bench-pipeline.sh [SECONDS] [SPANS_PER_REQUEST]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
SPANS=${2:-500}
cargo build --release --quiet
SOLDER=target/release/solder
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { # utime + stime of a pid, in seconds
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

# One measurement: start the agent (command in "$@"), load it, report.
measure() {
	local name=$1 port=$2; shift 2
	taskset -c 0 "$@" > "$WORK/$name.log" 2>&1 &
	local pid=$!
	wait_port "$port"
	sleep 1
	local before; before=$(cpu_seconds "$pid")
	local out; out=$(taskset -c 1 "$SOLDER" tools loadgen --endpoint "127.0.0.1:$port" --duration "$SECS" --spans-per-request "$SPANS" --connections 4)
	sleep 1 # let batches drain
	local after; after=$(cpu_seconds "$pid")
	kill "$pid"; wait "$pid" 2>/dev/null || true
	python3 - "$name" "$out" "$before" "$after" <<'PY'
import json, sys
name, out, before, after = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
cpu = after - before
spans = out["spans"]
print(f"{name:8} {out['spans_per_second']:>12,.0f} spans/s  {cpu:6.2f} CPU-s  {cpu / spans * 1e6:6.2f} CPU-s per million spans  {spans / cpu if cpu else 0:>12,.0f} spans per CPU-second  ({out['errors']} refused requests)")
PY
}

SINK=$(free_port)
taskset -c 1 "$SOLDER" tools sink --grpc "127.0.0.1:$SINK" > "$WORK/sink.log" 2>&1 &
wait_port "$SINK"

RECV=$(free_port)
cat > "$WORK/pipeline.alloy" <<ALLOY
otelcol.receiver.otlp "default" {
	grpc {
		endpoint = "127.0.0.1:$RECV"
	}
	output {
		traces = [otelcol.processor.batch.default.input]
	}
}

otelcol.processor.batch "default" {
	output {
		traces = [otelcol.exporter.otlp.sink.input]
	}
}

otelcol.exporter.otlp "sink" {
	client {
		endpoint    = "127.0.0.1:$SINK"
		compression = "none"
		tls {
			insecure = true
		}
	}
}
ALLOY
echo "load: $SECS s flat out, $SPANS spans per request, 4 connections; agents pinned to one core"
measure solder "$RECV" "$SOLDER" run "$WORK/pipeline.alloy" --server.http.listen-addr "127.0.0.1:$(free_port)" --storage.path "$WORK/data"

ROTEL=${ROTEL:-}
if [ -z "$ROTEL" ]; then
	python3 -m venv "$WORK/rotel" && "$WORK/rotel/bin/pip" install --quiet rotel
	ROTEL=$(find "$WORK/rotel" -name rotel-agent -type f | head -1)
fi
RPORT=$(free_port)
measure rotel "$RPORT" "$ROTEL" start --exporter blackhole --otlp-grpc-endpoint "127.0.0.1:$RPORT" --otlp-http-endpoint "127.0.0.1:$(free_port)"
