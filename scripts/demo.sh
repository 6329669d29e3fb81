#!/usr/bin/env bash
# A guided tour of a sublingual session with no hardware, in about two and a half minutes:
# settingd at 60 times speed (DEMO_SPEED to change it) on a temporary socket (its lights are
# simulated Zigbee2MQTT bulbs on a private loopback Mosquitto that settingd starts itself, since
# the demo config names lights but no broker), steered with `setting` from arrival to
# discharge. Each section says whose view it is: clinic staff (the plan), the technician (the
# daemon and the lights), the therapist (the session and its live view). After the dose mark,
# the check, the resume and the emergency, a snapshot of the live view (`setting watch
# --frame`) shows what the therapist's screen shows; in a terminal the real full-screen view
# also runs for 15 seconds around the check. It ends with the session report and its picture.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
# shellcheck source=scripts/daemon.sh
source scripts/daemon.sh
ensure_packages
ensure_cargo

SPEED=${DEMO_SPEED:-60}
FRAME=100x28
LIVE_SECONDS=15
echo "== building"
cargo build --quiet --bins
bin="${CARGO_TARGET_DIR:-target}/debug"
setting_bin="$bin/setting"

tmp=$(mktemp -d -t setting-demo.XXXXXX)
# The pictures outlive the demo; the daemon's socket, state and log do not.
pictures=$(mktemp -d -t setting-demo-pictures.XXXXXX)
export SETTING_SOCKET="$tmp/settingd.sock"
# The live view draws the arc from the plan, which it computes from the same config.
SETTING_CONFIG="$(pwd)/config/settingd.toml"
export SETTING_CONFIG
daemon_pid=""
steer_pid=""
cleanup() {
  # Only the processes this script started, by their PIDs.
  if [ -n "$steer_pid" ]; then kill "$steer_pid" 2>/dev/null || true; fi
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# A section of the tour: whose view it is, and a line or two on what they see.
section() {
  echo
  echo "== $1"
  shift
  local line
  for line in "$@"; do echo "   $line"; done
}

# `setting ARGS`, shown as typed; a refusal is shown and the demo goes on.
say() {
  echo
  echo "\$ setting $*"
  "$setting_bin" "$@" || echo "(setting exited with $?)"
}

# What the therapist's screen shows right now, as text, so it reads without a terminal too.
snapshot() {
  echo
  echo "\$ setting watch --frame $FRAME      # $*"
  "$setting_bin" watch --frame "$FRAME" | sed 's/^/    /' || echo "(setting exited with $?)"
}

# Waits for this many minutes of session time.
session_minutes() {
  sleep "$(awk -v minutes="$1" -v speed="$SPEED" 'BEGIN { printf "%.2f", minutes * 60 / speed }')"
}

# Lets the speeded clock run, saying what happens meanwhile.
let_time_pass() {
  local minutes=$1
  shift
  echo
  echo "... $* ($minutes min of session time)"
  session_minutes "$minutes"
}

# Time to read a section's text in a terminal, before the session runs; none in a pipe.
read_pause() {
  if [ -t 1 ]; then sleep "$1"; fi
}

section "what you will see" \
  "A sublingual ketamine session of three hours, run ${SPEED} times faster than real time." \
  "Clinic staff plan the session; the technician runs settingd and the room's lights;" \
  "the therapist steers the session with short commands and follows it on the live view."
read_pause 4

section "clinic staff: the plan for a sublingual session (no daemon needed)" \
  "Phases with their planned times and how each moves on; the full timeline follows in" \
  "\`setting plan sublingual\`, and \`--svg\` draws it as a picture."
"$setting_bin" plan sublingual | sed '/^marks/q'
"$setting_bin" plan sublingual --svg "$pictures/sublingual-plan.svg"
read_pause 4

section "clinic staff: levelling the music (no daemon needed)" \
  "Every track's loudness is measured once and cached, so each plays at the same loudness;" \
  "a track never measured would play at its own mastering level, and the session would say so."
"$setting_bin" playlist analyze 2>&1 | tail -n 1
read_pause 2

section "technician: settingd at ${SPEED}x speed (log: settingd.log in $tmp)" \
  "With lights configured but no broker, settingd starts a private Mosquitto and simulated bulbs."
"$bin/settingd" --config "$SETTING_CONFIG" --socket "$SETTING_SOCKET" \
  --state-dir "$tmp/state" --speed "$SPEED" 2>"$tmp/settingd.log" &
daemon_pid=$!
wait_for_settingd "$setting_bin" "$daemon_pid" "$tmp/settingd.log"
sleep 1
say lights list

section "therapist: the client arrives" \
  "One command starts the scene; the room's light and music follow its first phase."
say start sublingual
let_time_pass 14 "arrival: the client settles in"
say next
session_minutes 2
say vitals 128/82 72 --spo2 98 --text "baseline before dosing"
let_time_pass 10 "vitals and intention"

section "therapist: the dose" \
  "Marking the dose starts the dosing phase; its prompts count from the mark."
say mark dose
session_minutes 1
snapshot "the live view just after the dose mark"
let_time_pass 8 "holding the lozenge; the spit prompt comes at dose +7 min"
# Done as asked: acknowledged, so it leaves the queue and is not reminded again.
say ack

# The check and the resume, each followed by a snapshot; in a terminal this runs behind the
# live view, with its output kept for afterwards.
check_and_resume() {
  session_minutes 4
  say check
  session_minutes 1
  snapshot "during the check: task light up, music ducked, the clock running"
  session_minutes 6
  say resume
  session_minutes 1
  snapshot "after the resume: the scene's light and music come back slowly"
}

section "therapist: a check, and back" \
  "Whenever the client needs it (blood pressure, nausea, distress), \`setting check\` brings the" \
  "task light up and ducks the music while the clock runs on; \`setting resume\` lets the scene" \
  "come back slowly. Meanwhile the dosing phase moves on by itself at its longest, 15 min."
if [ -t 0 ] && [ -t 1 ]; then
  echo "   The live view takes the screen for $LIVE_SECONDS s (q leaves it early); the check and the"
  echo "   resume are typed for you meanwhile, and their output is shown afterwards."
  sleep 2
  check_and_resume >"$tmp/steer.log" 2>&1 &
  steer_pid=$!
  # In the foreground, so that the view has the keyboard; it gives the terminal back on TERM.
  timeout --foreground -s TERM "$LIVE_SECONDS" "$setting_bin" watch || true
  wait "$steer_pid" || true
  steer_pid=""
  cat "$tmp/steer.log"
else
  check_and_resume
fi

let_time_pass 8 "onset moves on to the peak by its timer; the room dims to its darkest"
section "therapist: fine-tuning during the peak" \
  "A track that does not fit is skipped (and flagged for the curators); level and light nudged."
say skip
say volume -3
say light --brightness +2 --kelvin -100
let_time_pass 12 "the peak; the blood-pressure prompt comes at dose +40 min"
# Past the clinic's [vitals] threshold (systolic above 160): marked HIGH in the view and report.
say vitals 166/98 84
say note client reports mild nausea, given water

section "therapist: an emergency" \
  "Full neutral light at once, music muted, the clock paused; if settingd did not answer," \
  "\`setting emergency\` would publish to the lights through the broker itself."
say emergency
session_minutes 1
snapshot "the live view in an emergency"
let_time_pass 4 "the room stays lit while the client is looked after; the timeline stands still"
say resume
let_time_pass 10 "the peak goes on"

section "therapist: return, integration and discharge" \
  "\`next\` moves on; \`end\` goes to the closing phase; \`stop\` ends the session."
say next
let_time_pass 16 "return: the light ramps up slowly"
say end
let_time_pass 16 "integration"
say next
session_minutes 2
say vitals 124/80 70
let_time_pass 4 "discharge"
say stop
sleep 0.5

section "clinic staff: the session report" \
  "The session's story from its event log: phases and how each was left, marks, vital signs" \
  "and notes, overrides, in the clinic's local time."
say report
say report --svg "$pictures/session-arc.svg"
echo
echo "== done; settingd is stopped and $tmp removed"
echo "   The pictures are kept in $pictures: the planned arc (sublingual-plan.svg) and this"
echo "   session's (session-arc.svg)."
echo "   Next: \`setting watch\` in a terminal while a session runs; technicians:"
echo "   setting lights list|test|set|calibrate|watch (see docs/commands.md)."
