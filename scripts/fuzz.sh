#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for a bounded time each (default 60 s; `scripts/fuzz.sh 300`
# for longer; `scripts/fuzz.sh 60 scene_parser m3u_parser` for some targets only). The targets:
# light_decoders, scene_parser, playlist_parser, m3u_parser, control_protocol (`cargo fuzz list`).
# libFuzzer needs nightly compiler flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain use them.
# Installs cargo-fuzz when missing, and says so. A crash leaves its input in
# fuzz/artifacts/<target>/; the other targets still run, and the script then fails. Turn each
# crash into a regression test named after what it found.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages
ensure_cargo
seconds=${1:-60}
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is not installed; installing it (cargo install cargo-fuzz)" >&2
  cargo install cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
summary=()
failed=0
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s" >&2
  # The corpus it grows first (ignored by git), then the real inputs it starts from.
  mkdir -p "fuzz/corpus/$target"
  if cargo fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" 2>&1 | tee "$log" >&2; then
    runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 || true)
    summary+=("$target: ok, ${runs:-no run count}")
  else
    failed=1
    crash=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -1 || true)
    summary+=("$target: FAILED, ${crash:-see the output above}")
  fi
done
echo "fuzz: summary" >&2
printf '  %s\n' "${summary[@]}" >&2
exit "$failed"
