#!/usr/bin/env bash
# Runs every test: unit tests and the integration tests against real binaries. The benchmarks
# are only compiled here, so that they keep compiling: `cargo test --all-targets` would also run
# the harness-less ones, and soaks and timings stay out of the test run (`cargo bench` runs them).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages
ensure_cargo
cargo test --benches --no-run
exec cargo test --lib --bins --tests
