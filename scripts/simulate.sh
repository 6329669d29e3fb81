#!/usr/bin/env bash
# Runs the session simulator (src/sim, docs/reliability.md) over N seeds in a release build
# (default 1000), from SEED on (default: one drawn from the clock and printed, so that each
# run tries new seeds). A failing seed is printed with the shortest script that still fails,
# and the script exits 1. `scripts/simulate.sh 1 SEED` repeats one seed;
# `SIM_SEED=SEED cargo test --lib sim::tests::trace_seed -- --ignored --nocapture` traces it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages
ensure_cargo
export SIM_SEEDS=${1:-1000}
if [ -n "${2:-}" ]; then
  export SIM_SEED=$2
fi
exec cargo test --release --lib sim::tests::simulate -- --ignored --exact --nocapture
