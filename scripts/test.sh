#!/usr/bin/env bash
# Runs Solder's whole test suite on a fresh machine: installs what the tests
# need, then runs every test in the workspace. CI calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real peers for the end-to-end tests: the OpenTelemetry Python SDK (the
# client apps use) and grpcio (the sink standing in for Jaeger), pinned, in
# a venv of the project's own. A test that needs a peer fails when it is
# missing: none skips, under CI or not.
# kubernetes-validate checks the manifests in examples/kubernetes against
# the Kubernetes OpenAPI schemas it carries. ua-parser (with PyYAML to read
# the database) is the reference the UserAgent converter is checked against.
PY_PEERS=(opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-grpc==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2 kubernetes-validate==1.37.0 ua-parser==1.0.2 PyYAML==6.0.4)
if ! .venv/bin/python -c "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc, opentelemetry.exporter.otlp.proto.http, grpc, kubernetes_validate, ua_parser, yaml" 2>/dev/null; then
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check "${PY_PEERS[@]}"
fi
export SOLDER_PYTHON="$PWD/.venv/bin/python"

# Debian packages: the Prometheus server and promtool (scraper, remote-write
# receiver, exposition checks), the node exporter (a scrape target), Chromium for the UI's browser test, and
# kubectl for the kustomize builds of examples/kubernetes. The machine
# image ships a kubectl (1.32, with kustomize 5); Debian's kubernetes-client
# is the fallback where there is none, but its kubectl 1.20 predates
# kustomize's `components`, so the gateway build fails with it, loudly.
APT_PEERS=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || APT_PEERS+=(prometheus)
command -v prometheus-node-exporter >/dev/null 2>&1 || APT_PEERS+=(prometheus-node-exporter)
command -v chromium >/dev/null 2>&1 || APT_PEERS+=(chromium)
command -v kubectl >/dev/null 2>&1 || APT_PEERS+=(kubernetes-client)
command -v openssl >/dev/null 2>&1 || APT_PEERS+=(openssl)
command -v curl >/dev/null 2>&1 || APT_PEERS+=(curl)
if [ ${#APT_PEERS[@]} -gt 0 ]; then
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${APT_PEERS[@]}" >/dev/null
fi
# playwright-core drives that Chromium; it never downloads a browser.
if [ ! -d tests/browser/node_modules/playwright-core ]; then
	(cd tests/browser && npm ci --silent --no-audit --no-fund)
fi

# Style and lints are part of the suite: unformatted code or a clippy
# warning fails it.
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo build --workspace --all-targets
# The chaos tests hold hundreds of sockets each while the others run
# beside them; a CI shell's soft open-files limit (often 1024) is short.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open-files limit: $(ulimit -n)"
cargo test --workspace --all-targets "$@"
# Doc tests are not covered by --all-targets.
cargo test --workspace --doc
