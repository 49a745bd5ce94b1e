#!/usr/bin/env bash
# Runs Solder's whole test suite on a fresh machine: installs what the tests
# need, then runs every test in the workspace. CI calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real peers for the end-to-end tests: the OpenTelemetry Python SDK (the
# client apps use) and grpcio (the sink standing in for Jaeger), pinned, in
# a venv of the project's own. Tests that need them fail under CI=true when
# they are missing, rather than skip.
PY_PEERS=(opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-grpc==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2)
if ! .venv/bin/python -c "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc, opentelemetry.exporter.otlp.proto.http, grpc" 2>/dev/null; then
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check "${PY_PEERS[@]}"
fi
export SOLDER_PYTHON="$PWD/.venv/bin/python"

# promtool (Debian's prometheus package) checks the exposition format.
if ! command -v promtool >/dev/null 2>&1; then
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

cargo build --workspace --all-targets
cargo test --workspace --all-targets "$@"
# Doc tests are not covered by --all-targets.
cargo test --workspace --doc
