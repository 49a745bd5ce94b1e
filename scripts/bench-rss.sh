#!/usr/bin/env bash
# Peak memory of the agent under overload with its backend down: the
# exporter's endpoint is a closed port, so everything that is accepted
# stays in the agent until the queue refuses and the receiver pushes back.
# `solder tools loadgen` sends flat out for SECONDS (4 connections, 500
# spans a request), and the agent's VmHWM (peak resident set) and VmRSS
# are read from /proc/<pid>/status.
#
# Two configs:
#   default   src/default.alloy (what `solder run` runs with no config),
#             with its ports moved to free ones so it clashes with nothing;
#   no-sizer  scripts/bench-rss/no-sizer.alloy: the same pipeline with no
#             `sending_queue` block, so Alloy's default (1000 requests).
#
# Measured on the shared 2-core dev machine (other builds and tests
# running), 8 s, release build; "before" is commit ecca5af, "after" adds the
# memory budget (default 512 MiB here: no cgroup limit) and the 64 MiB byte
# bound on queues counted in requests or items:
#
#   config    before: peak RSS  acknowledged   after: peak RSS  acknowledged
#   default          94.3 MiB    315,000 spans         93.9 MiB  314,500 spans
#   no-sizer        305.8 MiB  1,190,000 spans         95.8 MiB  314,000 spans
#   (after, with --memory.limit=48MiB: 67.6 MiB / 200,500 and 67.0 MiB /
#   200,000: the budget refuses at the receiver before the queue is full)
#
# With the backend down, the acknowledged spans are what the 64 MiB queue
# (about 210 encoded bytes per loadgen span) and the batch processor's
# buffer hold; the rest of the load was refused (UNAVAILABLE) and counted
# in otelcol_receiver_refused_spans_total.
#
# usage: scripts/bench-rss.sh [SECONDS] [-- extra `solder run` flags]
# SOLDER=path/to/solder measures that binary instead of building one (to
# compare with an older build).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-8}
shift || true
[ "${1:-}" = "--" ] && shift
EXTRA=("$@")
if [ -z "${SOLDER:-}" ]; then
	cargo build --release --quiet
	SOLDER=target/release/solder
fi
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
metric() { # the sum of a self-metric's series on the agent's /metrics
	curl -s "http://$1/metrics" | awk -v m="$2" 'index($0, m) == 1 { s += $NF } END { printf "%d", s }'
}

# The closed port the backend would listen on.
export SOLDER_JAEGER_ENDPOINT="127.0.0.1:$(free_port)"

measure() {
	local name=$1 config=$2 grpc=$3
	local api="127.0.0.1:$(free_port)"
	"$SOLDER" run "$config" --server.http.listen-addr "$api" --storage.path "$WORK/data-$name" "${EXTRA[@]}" > "$WORK/$name.log" 2>&1 &
	local pid=$!
	wait_port "$grpc"
	sleep 1
	local idle; idle=$(status_kib "$pid" VmRSS)
	local out; out=$("$SOLDER" tools loadgen --endpoint "127.0.0.1:$grpc" --duration "$SECS" --spans-per-request 500 --connections 4)
	local hwm rss; hwm=$(status_kib "$pid" VmHWM); rss=$(status_kib "$pid" VmRSS)
	local refused enqueue_failed
	refused=$(metric "$api" otelcol_receiver_refused_spans_total)
	enqueue_failed=$(metric "$api" otelcol_exporter_enqueue_failed_spans_total)
	kill "$pid"; wait "$pid" 2>/dev/null || true
	python3 - "$name" "$out" "$idle" "$hwm" "$rss" "$refused" "$enqueue_failed" <<'PY'
import json, sys
name, out = sys.argv[1], json.loads(sys.argv[2])
idle, hwm, rss, refused, enq = (int(v) for v in sys.argv[3:])
mib = lambda kib: kib / 1024
print(f"{name:9} peak RSS {mib(hwm):7.1f} MiB  (idle {mib(idle):5.1f}, after {mib(rss):7.1f})  "
      f"acknowledged {out['spans']:>10,} spans  refused requests {out['errors']:>8,}  "
      f"receiver refused {refused:>10,} spans  enqueue_failed {enq:>10,} spans")
PY
}

# The default config, its listeners moved to free ports.
GRPC=$(free_port) HTTP=$(free_port) PROM=$(free_port)
sed -e "s|grpc { }|grpc { endpoint = \"127.0.0.1:$GRPC\" }|" \
	-e "s|http { }|http { endpoint = \"127.0.0.1:$HTTP\" }|" \
	-e "s|\"0.0.0.0:9464\"|\"127.0.0.1:$PROM\"|" src/default.alloy > "$WORK/default.alloy"
for moved in "$GRPC" "$HTTP" "$PROM"; do
	grep -q "127.0.0.1:$moved" "$WORK/default.alloy" || { echo "src/default.alloy changed shape: cannot move its ports" >&2; exit 1; }
done

echo "load: $SECS s flat out, 500 spans a request, 4 connections; backend $SOLDER_JAEGER_ENDPOINT closed; flags: ${EXTRA[*]:-none}"
measure default "$WORK/default.alloy" "$GRPC"

GRPC=$(free_port)
BENCH_OTLP_GRPC="127.0.0.1:$GRPC" BENCH_OTLP_HTTP="127.0.0.1:$(free_port)" BENCH_PROM="127.0.0.1:$(free_port)" \
	measure no-sizer scripts/bench-rss/no-sizer.alloy "$GRPC"
