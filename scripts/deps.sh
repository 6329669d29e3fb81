#!/usr/bin/env bash
# The system packages the project needs, in one place; sourced by demo.sh, test.sh and lint.sh.
# shellcheck shell=bash

# "package|why", one a line.
SETTING_PACKAGES=(
  "pkg-config|lets the build find system libraries (audio output)"
  "libasound2-dev|ALSA headers: the audio output is built against them"
  "mosquitto|the MQTT broker: the demo's private broker for its simulated lights, and the lights tests"
  "mosquitto-clients|mosquitto_pub, the baseline the emergency benchmarks measure against in the same run"
  "sox|synthesises the demo music (scripts/make-demo-media.sh) and the test media"
  "libsox-fmt-mp3|lets sox write MP3, one of the demo formats"
  "openssl|makes the throwaway certificates the TLS test of the broker connection uses"
  "faketime|moves the daemon's wall clock an hour forward and back in the clock-jump fault test (libfaketime, monotonic clock left alone)"
  "fonts-dejavu-core|a font for the picture tests, which lay out the plan's and the report's pictures with a real SVG renderer (resvg)"
  "ffmpeg|makes the FLAC, Ogg Vorbis and LAME-tagged MP3 test files the audio tests decode (sox writes MP3 without the LAME header gapless playback needs)"
  "zsh|the completion tests load the zsh completion script into a real zsh and press Tab (through its zpty module)"
  "fish|the completion tests load the fish completion script into a real fish and ask it what it would complete"
)

# Installs whichever of SETTING_PACKAGES is missing, saying what and why. Returns non-zero,
# with the exact command to run, when it cannot install them itself.
ensure_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian-like system; make sure these are installed: $(package_names "${SETTING_PACKAGES[@]}")" >&2
    return 0
  fi
  local entry name why missing=()
  for entry in "${SETTING_PACKAGES[@]}"; do
    name=${entry%%|*}
    if ! dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$entry")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "deps: installing missing packages:" >&2
  for entry in "${missing[@]}"; do
    name=${entry%%|*}
    why=${entry#*|}
    echo "  $name: $why" >&2
  done
  local names
  names=$(package_names "${missing[@]}")
  local command="apt-get update && apt-get install -y $names"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "deps: not root and no sudo; as root, run: $command" >&2
      return 1
    fi
    # A password prompt only where someone can answer it; CI gets a plain failure instead.
    if [ -t 0 ]; then sudo=(sudo); else sudo=(sudo -n); fi
    command="sudo apt-get update && sudo apt-get install -y $names"
  fi
  # shellcheck disable=SC2086 # $names is a list of words on purpose
  if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq $names; }; then
    echo "deps: could not install them; run: $command" >&2
    return 1
  fi
}

# Checks that the Rust toolchain is there.
ensure_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (rustup, stable) and run this again" >&2
    return 1
  fi
}

# Checks for rustfmt and clippy, which scripts/lint.sh (and so CI) runs; adds whichever is missing
# with rustup, saying so. Returns non-zero, saying what to install, when it cannot.
ensure_rust_components() {
  local missing=()
  cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
  cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  if ! command -v rustup >/dev/null 2>&1; then
    echo "deps: ${missing[*]} missing, and no rustup to add them: install them with your Rust toolchain" >&2
    return 1
  fi
  echo "deps: adding the Rust components the format and lint checks need: rustup component add ${missing[*]}" >&2
  rustup component add "${missing[@]}"
}

package_names() {
  local entry out=()
  for entry in "$@"; do out+=("${entry%%|*}"); done
  echo "${out[*]}"
}
