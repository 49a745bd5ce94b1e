#!/usr/bin/env bash
# prometheus.scrape against Debian's prometheus, scraping the same 100
# targets of 1,000 series each every 15 s: CPU-seconds per million scraped
# samples and peak RSS (VmHWM) of each, run one after the other so they do
# not share the 2 cores. The targets are one small Python process serving a
# static page on 100 loopback ports.
#
# Solder forwards to nothing (`forward_to = []`): this measures scraping,
# parsing, labelling and staleness tracking. Prometheus also appends to its
# TSDB (in a temporary directory), which is the work its scrape feeds.
#
# Usage: scripts/bench-scrape.sh [SECONDS per run, default 150]
# Needs: target/release/solder (cargo build --release), prometheus, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-150}
TARGETS=100
SERIES=1000
SOLDER=target/release/solder
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

BASE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(20000 + s.getsockname()[1] % 20000)')

python3 - "$WORK/page.prom" "$SERIES" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for fam in range(n // 100):
        f.write(f"# HELP bench_metric_{fam} A benchmark family.\n# TYPE bench_metric_{fam} gauge\n")
        for i in range(100):
            f.write(f'bench_metric_{fam}{{path="/api/v1/item/{i}",method="GET",code="200"}} {fam * 1000 + i}.5\n')
EOF

python3 - "$WORK/page.prom" "$BASE" "$TARGETS" >"$WORK/targets.log" 2>&1 <<'EOF' &
import sys, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
page = open(sys.argv[1], "rb").read()
base, n = int(sys.argv[2]), int(sys.argv[3])
class Page(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)
    def log_message(self, *a):
        pass
servers = [ThreadingHTTPServer(("127.0.0.1", base + i), Page) for i in range(n)]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
EOF
PIDS+=($!)
sleep 2

ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
peak_rss_mib() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# Runs "$@" for SECONDS_PER_RUN after a 20 s warm-up (the first scrapes
# spread over the first interval); prints CPU-s per million samples.
measure() {
	local name=$1
	shift
	"$@" >"$WORK/$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	sleep 20
	local before after
	before=$(cpu_seconds "$pid")
	sleep "$SECONDS_PER_RUN"
	after=$(cpu_seconds "$pid")
	local samples=$((TARGETS * SERIES * SECONDS_PER_RUN / 15))
	awk -v n="$name" -v b="$before" -v a="$after" -v s="$samples" -v r="$(peak_rss_mib "$pid")" \
		'BEGIN { printf "%-10s %8.2f CPU-s for %d samples = %6.2f CPU-s per million; peak RSS %s MiB\n", n, a - b, s, (a - b) / s * 1e6, r }'
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

targets_alloy=$(for i in $(seq 0 $((TARGETS - 1))); do printf '{"__address__" = "127.0.0.1:%d"}, ' $((BASE + i)); done)
cat >"$WORK/scrape.alloy" <<EOF
prometheus.scrape "bench" {
	targets         = [$targets_alloy]
	forward_to      = []
	scrape_interval = "15s"
}
EOF
targets_yaml=$(for i in $(seq 0 $((TARGETS - 1))); do printf '"127.0.0.1:%d",' $((BASE + i)); done)
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: bench
    static_configs:
      - targets: [${targets_yaml%,}]
EOF

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
measure solder "$SOLDER" run "$WORK/scrape.alloy" --server.http.listen-addr "127.0.0.1:$(free_port)" --storage.path "$WORK/solder-data"
measure prometheus prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" --web.listen-address="127.0.0.1:$(free_port)" --log.level=warn
