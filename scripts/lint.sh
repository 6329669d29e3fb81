#!/usr/bin/env bash
# The checks CI runs beside the tests: the code as rustfmt (rustfmt.toml) lays it out, and clippy
# over every target with each warning an error (the lints the project denies are in Cargo.toml);
# and the fuzz targets (their own workspace, never built by `cargo test`) still compile against
# the library, so that scripts/fuzz.sh works when someone runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
# Clippy compiles the code, which needs the system packages (the ALSA headers) as the tests do.
ensure_packages
ensure_cargo
ensure_rust_components
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml --all -- --check
cargo clippy --all-targets -- -D warnings
exec cargo check --quiet --manifest-path fuzz/Cargo.toml --target-dir target/fuzz-check --bins
