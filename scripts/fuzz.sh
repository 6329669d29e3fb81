#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for a bounded time each (default 60 s; `scripts/fuzz.sh 300`
# for longer). libFuzzer needs nightly compiler flags: RUSTC_BOOTSTRAP=1 lets the stable
# toolchain use them. Installs cargo-fuzz when missing, and says so. A crash leaves its input
# in fuzz/artifacts/<target>/; turn it into a regression test named after what it found.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages
ensure_cargo
seconds=${1:-60}
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is not installed; installing it (cargo install cargo-fuzz)" >&2
  cargo install cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list); do
  echo "fuzz: $target for ${seconds}s" >&2
  # The corpus it grows first (ignored by git), then the real messages it starts from.
  mkdir -p "fuzz/corpus/$target"
  cargo fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- -max_total_time="$seconds"
done
