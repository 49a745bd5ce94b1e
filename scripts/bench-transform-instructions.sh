#!/usr/bin/env bash
# Instructions a span costs in the transform processor's wire plan
# (components/benches/transform.rs, the five statements), counted by
# callgrind: a figure the host's load does not move, to tell small
# changes apart where the criterion timings on a shared 2-core machine
# wander by 10-20%. Instructions are not time (the walk is bound by the
# latency of its loads), so read the timings too.
#
# usage: scripts/bench-transform-instructions.sh [criterion filter]
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-^transform/five_statements}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
bench=$(cargo bench -p solder-components --bench transform --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "transform" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# A second of criterion's profiling loop: a few hundred requests.
valgrind --tool=callgrind --compress-strings=no --compress-pos=no --callgrind-out-file="$out" \
  "$bench" --bench "$filter" --profile-time 1 >/dev/null 2>&1
# Inclusive instructions of running the plan (every span's walk, run and
# write, and the request's copy; the frame's walk is inlined into it),
# over the requests it ran.
total=$(callgrind_annotate --inclusive=yes "$out" | awk '/ottl::wire::run_plan / && !seen {gsub(",", "", $1); print $1; seen = 1}')
requests=$(grep -A1 '^cfn=solder_components::ottl::wire::run_plan$' "$out" | awk -F'[= ]' '/^calls=/ {s += $2} END {print s}')
spans=$((requests * 100))
echo "$filter: $total instructions over $requests requests of 100 spans: $((total / spans)) per span"
