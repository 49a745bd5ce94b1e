#!/usr/bin/env bash
# Throughput and CPU cost of the trace pipeline: OTLP gRPC receiver → batch
# → OTLP gRPC exporter → a loopback sink (`solder tools sink`), in the three
# loads of issue 22, each counted by what the sink received:
#   1. 50K spans/s fixed, forwarding with gzip (Alloy's default):
#      CPU-s per million delivered spans and peak RSS;
#   2. 10K spans/s fixed, the default config (`solder run` with no config
#      file, its Jaeger endpoint pointed at the sink): % of a core and RSS;
#   3. flat out, forwarding without compression: delivered spans per
#      CPU-second and peak RSS.
# Then the flat-out load against Rotel (`rotel-agent --exporter blackhole`),
# when it can be installed (set ROTEL=/path/to/rotel-agent), for a ratio.
#
# The default config listens on 4317, 4318 and 9464: those must be free.
#
# The agent under test is pinned to CPU 0 and the load generator and sink to
# CPU 1, so "spans per CPU-second" is the agent's own cost.
#
# usage: scripts/bench-pipeline.sh [SECONDS] [SPANS_PER_REQUEST_FLAT_OUT]
# LOADS="fwd-50k default-10k" runs only the loads named (default: all
# three); ROTEL=none skips Rotel.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
SPANS=${2:-500}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
SOLDER=${SOLDER:-target/release/solder}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
# The sink and the load generator run from a copy of the binary: run from
# the agent's own file, the code they touch is in the page cache when the
# agent starts, and the kernel maps cached pages around each page the agent
# touches, so the agent's RSS counted some of their code (about 1 MiB).
TOOLS="$WORK/solder-tools"
cp "$SOLDER" "$TOOLS"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { # utime + stime of a pid, in seconds
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

# Spans the sink has received so far (its last one-line count).
delivered() { tail -n 1 "$WORK/sink.log" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("spans", 0))'; }
evict() { python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1"; }
rss_kib() { awk -v f="$2" '$1 == f":" { print $2 }' "/proc/$1/status"; }

# One measurement: start the agent (command in "$@"), load it for SECS at
# RATE spans/s (0: flat out), report what the sink received for it.
measure() {
	local name=$1 port=$2 rate=$3 spans=$4; shift 4
	# Each agent starts with its executable out of the page cache, as after
	# a node's reboot: how much of a cached file the kernel maps around each
	# page touched depends on how it got cached (a file just written or
	# copied is mapped in larger pieces), so RSS figures of binaries built
	# or copied at different times would not compare.
	evict "$1"
	taskset -c 0 "$@" > "$WORK/$name.log" 2>&1 &
	local pid=$!
	wait_port "$port"
	sleep 1
	local before; before=$(cpu_seconds "$pid")
	local sunk; sunk=$(delivered)
	local out; out=$(taskset -c 1 "$TOOLS" tools loadgen --endpoint "127.0.0.1:$port" --duration "$SECS" --spans-per-request "$spans" --connections 4 --rate "$rate")
	local rss; rss=$(rss_kib "$pid" VmRSS)
	sleep 2 # let batches drain
	local after; after=$(cpu_seconds "$pid")
	local peak; peak=$(rss_kib "$pid" VmHWM)
	local got; got=$(( $(delivered) - sunk ))
	kill "$pid"; wait "$pid" 2>/dev/null || true
	python3 - "$name" "$out" "$before" "$after" "$got" "$rss" "$peak" "$SECS" <<'PY'
import json, sys
name, out = sys.argv[1], json.loads(sys.argv[2])
before, after, got, rss, peak, secs = map(float, sys.argv[3:])
cpu = after - before
print(f"{name:10} sent {out['spans']:>10,} delivered {got:>10,.0f} spans  {cpu:6.2f} CPU-s  {cpu / got * 1e6 if got else float('inf'):6.2f} CPU-s per million delivered  "
      f"{got / cpu if cpu else 0:>10,.0f} delivered per CPU-s  {cpu / (secs + 2) * 100:5.1f}% of a core  RSS {rss / 1024:5.1f} MiB, peak {peak / 1024:5.1f} MiB  "
      f"request p50 {out['p50_ms']:.2f} ms, p99 {out['p99_ms']:.2f} ms, max {out['max_ms']:.1f} ms  ({out['errors']} refused requests)")
PY
}

SINK=$(free_port)
taskset -c 1 "$TOOLS" tools sink --grpc "127.0.0.1:$SINK" > "$WORK/sink.log" 2>&1 &
wait_port "$SINK"

RECV=$(free_port)
pipeline() { # compression
cat <<ALLOY
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
		compression = "$1"
		tls {
			insecure = true
		}
	}
}
ALLOY
}
# Configs in a folder of their own: the agent watches its config's folder,
# and the logs and data written beside it would have it re-read the config
# on every write, a cost no deployment pays.
mkdir "$WORK/config"
pipeline gzip > "$WORK/config/gzip.alloy"
pipeline none > "$WORK/config/none.alloy"
agent() { echo "$SOLDER" run "$1" --server.http.listen-addr "127.0.0.1:$(free_port)" --storage.path "$WORK/data-$2"; }

LOADS=${LOADS:-fwd-50k default-10k flat-out}
wanted() { [[ " $LOADS " == *" $1 "* ]]; }
echo "$SECS s per load, 100 spans per request, 4 connections; agents pinned to CPU 0, load and sink to CPU 1"
# shellcheck disable=SC2046
! wanted fwd-50k || measure fwd-50k "$RECV" 50000 100 $(agent "$WORK/config/gzip.alloy" gzip)
# The default config (no config file), its exporter pointed at the sink.
! wanted default-10k || SOLDER_JAEGER_ENDPOINT="127.0.0.1:$SINK" measure default-10k 4317 10000 100 "$SOLDER" run --server.http.listen-addr "127.0.0.1:$(free_port)" --storage.path "$WORK/data-default"
# shellcheck disable=SC2046
! wanted flat-out || measure flat-out "$RECV" 0 "$SPANS" $(agent "$WORK/config/none.alloy" none)

ROTEL=${ROTEL:-}
[ "$ROTEL" != none ] || exit 0
if [ -z "$ROTEL" ] && python3 -m venv "$WORK/rotel" && "$WORK/rotel/bin/pip" install --quiet --timeout 5 --retries 0 rotel 2>/dev/null; then
	ROTEL=$(find "$WORK/rotel" -name rotel-agent -type f | head -1)
fi
if [ -z "$ROTEL" ]; then
	echo "rotel: not installed (pip install rotel failed; set ROTEL=/path/to/rotel-agent). Issue 22's Rotel figures on this machine: 5.4 CPU-s per million spans at 50K spans/s, 274K spans per CPU-s flat out."
	exit 0
fi
RPORT=$(free_port)
rotel_args() { # compression
	echo start --exporter otlp --otlp-exporter-endpoint "http://127.0.0.1:$SINK" --otlp-exporter-compression "$1" --otlp-grpc-endpoint "127.0.0.1:$RPORT" --otlp-http-endpoint "127.0.0.1:$(free_port)"
}
# shellcheck disable=SC2046
measure rotel-50k "$RPORT" 50000 100 "$ROTEL" $(rotel_args gzip)
# shellcheck disable=SC2046
measure rotel-flat "$RPORT" 0 "$SPANS" "$ROTEL" $(rotel_args none)
