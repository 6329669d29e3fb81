#!/usr/bin/env bash
# Runs every test: unit tests and the integration tests against real binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages
ensure_cargo
exec cargo test --all-targets
