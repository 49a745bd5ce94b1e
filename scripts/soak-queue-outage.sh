#!/usr/bin/env bash
# The persistent queue's disk use through a backend outage: 20K spans/s
# offered, the backend (`solder tools sink`) down for OUTAGE seconds, then
# up while the load goes on for as long again. Prints the peak size of
# --storage.path during and after the outage, what is left at the end, and
# acknowledged against delivered spans (they must be equal).
#
# usage: scripts/soak-queue-outage.sh [OUTAGE_SECONDS]   (debug build)
set -u
cd "$(dirname "$0")/.."
OUTAGE=${1:-40}
cargo build --quiet --bin solder
S=target/debug/solder
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SINK=$(free_port); RECV=$(free_port)
cat > "$W/c.alloy" <<A
otelcol.receiver.otlp "default" {
	grpc { endpoint = "127.0.0.1:$RECV" }
	output { traces = [otelcol.processor.batch.default.input] }
}
otelcol.processor.batch "default" {
	output { traces = [otelcol.exporter.otlp.jaeger.input] }
}
otelcol.storage.file "queue" { }
otelcol.exporter.otlp "jaeger" {
	client {
		endpoint = "127.0.0.1:$SINK"
		tls { insecure = true }
	}
	sending_queue {
		storage    = otelcol.storage.file.queue.handler
		sizer      = "bytes"
		queue_size = 16777216
	}
}
A
"$S" run "$W/c.alloy" --storage.path "$W/data" --server.http.listen-addr "127.0.0.1:$(free_port)" > "$W/agent.log" 2>&1 &
sleep 2
"$S" tools loadgen --endpoint "127.0.0.1:$RECV" --rate 20000 --duration $((OUTAGE * 2)) --spans-per-request 100 --connections 4 > "$W/load.json" &
LOAD=$!
peak() { local p=0 d; for _ in $(seq 1 $(($1 * 2))); do d=$(du -sb "$W/data" | cut -f1); [ "$d" -gt "$p" ] && p=$d; sleep 0.5; done; echo "$p"; }
echo "during the outage: peak $(peak "$OUTAGE") bytes"
"$S" tools sink --grpc "127.0.0.1:$SINK" > "$W/sink.jsonl" 2>&1 &
echo "after the backend came back: peak $(peak $((OUTAGE + 20))) bytes"
wait "$LOAD"
echo "at the end: $(du -sb "$W/data" | cut -f1) bytes on disk"
echo "acknowledged: $(cat "$W/load.json")"
echo "delivered:    $(tail -1 "$W/sink.jsonl")"
