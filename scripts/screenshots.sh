#!/usr/bin/env bash
# Makes the README's pictures again: docs/img/sublingual-arc.svg, the planned sublingual session
# (`setting plan sublingual --svg`, the same every time; a test compares it with the committed
# one), docs/img/live-view.txt, the live view eight minutes after the dose mark (`setting
# watch --frame 100x28`, from its own settingd at 120 times speed; its clock times differ a
# little from run to run), and docs/img/session-report.svg, the report of that session run on to
# its end with a check, a skip and an emergency; each picture also as PNG, rendered by resvg
# with the machine's fonts (`cargo run --example svg_to_png`).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
# shellcheck source=scripts/daemon.sh
source scripts/daemon.sh
ensure_packages
ensure_cargo

SPEED=120
cargo build --quiet --bins
bin="${CARGO_TARGET_DIR:-target}/debug"
setting_bin="$bin/setting"
config="$(pwd)/config/settingd.toml"
mkdir -p docs/img

"$setting_bin" --config "$config" plan sublingual --svg docs/img/sublingual-arc.svg

tmp=$(mktemp -d -t setting-screenshots.XXXXXX)
daemon_pid=""
cleanup() {
  # Only the daemon this script started, by its PID.
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

export SETTING_SOCKET="$tmp/settingd.sock"
export SETTING_CONFIG="$config"
# Silent: a picture needs no music through the speakers.
"$bin/settingd" --config "$config" --socket "$SETTING_SOCKET" --state-dir "$tmp/state" \
  --speed "$SPEED" --audio null 2>"$tmp/settingd.log" &
daemon_pid=$!
wait_for_settingd "$setting_bin" "$daemon_pid" "$tmp/settingd.log"
# Long enough for the simulated lights to answer, so that the frame shows them up.
sleep 1

"$setting_bin" start sublingual >/dev/null
sleep 7
"$setting_bin" next >/dev/null
"$setting_bin" vitals 128/82 72 --spo2 98 >/dev/null
sleep 6
"$setting_bin" mark dose >/dev/null
# Dose +8 min of session time: the spit prompt is up and the first tracks have started.
sleep 4
"$setting_bin" watch --frame 100x28 >docs/img/live-view.txt

# The rest of the session, as the demo runs it, for the report's picture; at 120 times speed a
# session minute is half a second.
minutes() { sleep "$(awk -v m="$1" -v s="$SPEED" 'BEGIN { printf "%.2f", m * 60 / s }')"; }
minutes 12
"$setting_bin" check >/dev/null
minutes 8
"$setting_bin" resume >/dev/null
minutes 20
"$setting_bin" skip >/dev/null
"$setting_bin" volume -3 >/dev/null
"$setting_bin" vitals 166/98 88 --spo2 96 >/dev/null
"$setting_bin" note "client calm, asked for the blanket" >/dev/null
minutes 12
"$setting_bin" emergency >/dev/null
minutes 5
"$setting_bin" resume >/dev/null
minutes 10
"$setting_bin" next >/dev/null
minutes 16
"$setting_bin" end >/dev/null
minutes 16
"$setting_bin" next >/dev/null
minutes 6
"$setting_bin" stop >/dev/null
"$setting_bin" report --svg docs/img/session-report.svg >/dev/null

cargo build --quiet --example svg_to_png
for picture in sublingual-arc session-report; do
  "${CARGO_TARGET_DIR:-target}/debug/examples/svg_to_png" "docs/img/$picture.svg" "docs/img/$picture.png"
done
echo "wrote docs/img/sublingual-arc.svg, live-view.txt and session-report.svg, and the PNGs"
