#!/usr/bin/env bash
# The checks CI runs beside the tests: the code as rustfmt (rustfmt.toml) lays it out, and clippy
# over every target with each warning an error (the lints the project denies are in Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
# Clippy compiles the code, which needs the system packages (the ALSA headers) as the tests do.
ensure_packages
ensure_cargo
ensure_rust_components
cargo fmt --all -- --check
exec cargo clippy --all-targets -- -D warnings
