#!/usr/bin/env bash
# Runs a demo session with no hardware: settingd at 120 times speed on a temporary socket (its
# lights are simulated fixtures on a private loopback Mosquitto that settingd starts itself,
# since the demo config names lights but no broker), and a sublingual session steered with
# `setting` from arrival to the end, then the session report. Takes about three minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages
ensure_cargo

SPEED=120
echo "== building"
cargo build --quiet --bins
bin="${CARGO_TARGET_DIR:-target}/debug"
setting_bin="$bin/setting"

tmp=$(mktemp -d -t setting-demo.XXXXXX)
export SETTING_SOCKET="$tmp/settingd.sock"
daemon_pid=""
watch_pid=""
cleanup() {
  # Only the processes this script started, by their PIDs.
  if [ -n "$watch_pid" ]; then kill "$watch_pid" 2>/dev/null || true; fi
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# `setting ARGS`, shown as typed; a refusal is shown and the demo goes on.
say() {
  echo
  echo "\$ setting $*"
  "$setting_bin" "$@" || echo "(setting exited with $?)"
}

# Lets the speeded clock run: each real second is two minutes of the session.
let_time_pass() {
  local secs=$1
  shift
  echo
  echo "... $* ($secs s here, $((secs * SPEED / 60)) min of session time)"
  sleep "$secs"
}

echo "== the plan for a sublingual session (no daemon needed)"
"$setting_bin" --config config/settingd.toml plan sublingual | sed '/^marks/q'

echo
echo "== starting settingd at ${SPEED}x speed (log: settingd.log in $tmp)"
"$bin/settingd" --config config/settingd.toml --socket "$SETTING_SOCKET" \
  --state-dir "$tmp/state" --speed "$SPEED" 2>"$tmp/settingd.log" &
daemon_pid=$!
for _ in $(seq 100); do
  if "$setting_bin" status >/dev/null 2>&1; then break; fi
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    echo "settingd exited during start-up:" >&2
    cat "$tmp/settingd.log" >&2
    exit 1
  fi
  sleep 0.1
done
say status

echo
echo "== following the session with 'setting watch' (lines marked 'watch |')"
"$setting_bin" watch > >(sed -u 's/^/    watch | /') &
watch_pid=$!
sleep 0.3

say start sublingual
sleep 0.5
echo
echo "== the room's lights as the technician sees them (the scene owns them now)"
say lights list
let_time_pass 7 "arrival: the client settles in"
say next
let_time_pass 6 "vitals and intention"
say mark dose
say status
let_time_pass 4 "holding the lozenge; the spit prompt comes at dose +7 min"
say check
let_time_pass 2 "blood pressure check: task light up, music ducked, clock running"
say status
say resume
let_time_pass 6 "the dosing phase asks at 10 min and moves on by itself at its longest"
let_time_pass 6 "onset moves on to the peak by its timer"
say status
say skip
say volume -3
say light --brightness +2 --kelvin -100
let_time_pass 8 "the peak; the blood-pressure prompt comes at dose +40 min"
say hold
say extend 10m
say pause --walk
let_time_pass 3 "a bathroom break: the timeline stands still"
say status
say resume
say release
let_time_pass 12 "the peak goes on"
say next
let_time_pass 10 "return: the light ramps up slowly"
say status
say end
let_time_pass 12 "integration"
say next
let_time_pass 5 "discharge vitals"
say status
say stop
sleep 0.5

echo
echo "== the session report"
say report
echo
echo "== done; settingd is stopped and $tmp removed"
echo "   While a session runs, follow the lights live from another terminal: setting lights watch"
echo "   (technicians: setting lights list|test|set|calibrate; see docs/commands.md)"
