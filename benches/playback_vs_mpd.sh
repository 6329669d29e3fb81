#!/usr/bin/env bash
# Playing cost against MPD, the product brief's bar: "CPU and memory while playing a playlist,
# against MPD playing the same playlist to a null output; at most MPD's".
#
# Both play the same generated playlist (real-length 44.1 kHz stereo tracks) in real time to a
# null output, one after the other at each output rate, each measured over the same window from
# its play command: CPU seconds (utime + stime of the whole process, all threads, from
# /proc/PID/stat), and at the window's end resident memory from /proc/PID/status: VmRSS (all
# resident pages, file-backed ones included), RssAnon (anonymous pages only: heap, stacks,
# buffers; what the process itself allocated) and VmHWM (peak RSS since it started).
#   settingd: release build, `[audio] output = "null"` at the rate measured, a one-phase scene
#             playing the playlist with 5 s crossfades, started with `setting start`, its
#             loudness cache made beforehand as in a clinic;
#   MPD:      started as a normal daemon (`mpd CONF`: it forks, detaches and writes its pid
#             file, which is how it is found), with the config a user would write to compare at
#             the same output rate: a null output with `sync "yes"` (paced in real time, as a
#             card would pace it), a software mixer at 50 %, `audio_output_format "RATE:*:*"`
#             so that at 48 kHz MPD resamples too, `mpc crossfade 5`; its own database, state,
#             pid and log files, on 127.0.0.1 and a free port, queued and played with mpc.
#
# Usage: benches/playback_vs_mpd.sh     (from anywhere; installs mpd, mpc, sox, ffmpeg if missing)
#   WINDOW=60          seconds measured, from the play command
#   TRACKS=6           tracks in the playlist, TRACK_MIN=5 minutes each, 44.1 kHz stereo
#   FORMATS=flac       the tracks' formats, in turn ("flac ogg mp3" mixes them)
#   RATES="48000 44100"  the output rate of both players, one pair of runs each: 48000 resamples
#                      (a typical card), 44100 is the files' own rate
#   BIN=DIR            time DIR/setting and DIR/settingd instead of building this tree's release
#   KEEP=1             keep the temp dir
# Every process started here is stopped by its PID. Results go into docs/benchmarks.md by hand.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=benches/bench_tracks.sh
source "$ROOT/benches/bench_tracks.sh"
WINDOW=${WINDOW:-60}
TRACKS=${TRACKS:-6}
TRACK_MIN=${TRACK_MIN:-5}
RATES=${RATES:-48000 44100}
read -r -a FORMATS <<<"${FORMATS:-flac}"

# shellcheck source=scripts/deps.sh
source "$ROOT/scripts/deps.sh"
# This benchmark's own packages, installed the way deps.sh installs the project's.
SETTING_PACKAGES=(
  "mpd|the peer this benchmark measures settingd against"
  "mpc|queues and starts MPD's playlist"
  "sox|synthesises the benchmark's tracks"
  "ffmpeg|encodes them to FLAC, Ogg Vorbis and LAME-tagged MP3"
)
ensure_packages
ensure_cargo
for tool in mpd mpc sox ffmpeg python3; do
  command -v "$tool" >/dev/null || { echo "playback_vs_mpd.sh: $tool is missing" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/setting-playback-bench.XXXXXX")
PIDS=()
cleanup() {
  # Only what this script started, by PID.
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -z "${KEEP:-}" ]; then rm -rf "$TMP"; else echo "temp dir: $TMP"; fi
}
trap cleanup EXIT

if [ -n "${BIN:-}" ]; then
  SETTING="$BIN/setting" SETTINGD="$BIN/settingd"
else
  echo "== building release"
  (cd "$ROOT" && cargo build --release --quiet --bins)
  SETTING="$ROOT/target/release/setting" SETTINGD="$ROOT/target/release/settingd"
fi

# ---------------------------------------------------------------- the playlist
# Real-length tracks (the demo media are 30-90 s at 22.05 kHz): a slow chord with a little
# noise, so the encoders have real work, in the three formats a clinic's library holds.
echo "== making $TRACKS tracks of $TRACK_MIN min in $TMP/media"
LIB="$TMP/media"
mkdir -p "$LIB/bench" "$TMP/playlists" "$TMP/scenes"
make_bench_tracks "$LIB" "$TRACKS" "$TRACK_MIN" "$TMP" "${FORMATS[@]}"
# 5 s crossfades, as MPD's `crossfade 5`.
write_bench_playlist "$TMP" "Playback benchmark" "5s"
size=$(du -sh "$LIB" | cut -f1)
printf 'playlist: %d tracks x %d min, 44.1 kHz stereo (%s), %s; %d cores\n' \
  "$TRACKS" "$TRACK_MIN" "${FORMATS[*]}" "$size" "$(nproc)"

# ---------------------------------------------------------------- measuring
TICKS=$(getconf CLK_TCK)
# CPU seconds so far of process $1, every thread, live or ended.
cpu_s() { sed 's/^.*) //' "/proc/$1/stat" | awk -v t="$TICKS" '{ printf "%.2f", ($12 + $13) / t }'; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# measure PID: sleeps WINDOW seconds from now; sets CPU (s) for the window and, at its end,
# RSS, ANON and HWM (KB).
measure() {
  local pid=$1 before after
  before=$(cpu_s "$pid")
  sleep "$WINDOW"
  kill -0 "$pid" 2>/dev/null || { echo "playback_vs_mpd.sh: process $pid died" >&2; exit 1; }
  after=$(cpu_s "$pid")
  CPU=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')
  RSS=$(status_kb "$pid" VmRSS) ANON=$(status_kb "$pid" RssAnon) HWM=$(status_kb "$pid" VmHWM)
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
stop() { # PID: stops it (a child of ours or the daemon MPD forked) and forgets it
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  local kept=() pid
  for pid in "${PIDS[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  PIDS=("${kept[@]}")
}

declare -A R_CPU R_RSS R_ANON R_HWM
NAMES=()
record() {
  R_CPU[$1]=$CPU R_RSS[$1]=$RSS R_ANON[$1]=$ANON R_HWM[$1]=$HWM
  NAMES+=("$1")
}

# ---------------------------------------------------------------- settingd
run_settingd() { # RATE
  local rate=$1 name="settingd, $1 Hz" dir="$TMP/settingd-$1" pid
  mkdir -p "$dir"
  sed -e "s|^scenes = .*|scenes = \"$TMP/scenes\"|" \
      -e "s|^playlists = .*|playlists = \"$TMP/playlists\"|" \
      -e "s|^media = .*|media = \"$LIB\"|" \
      -e "s|^output = .*|output = \"null\"|" \
      -e "s|^rate = .*|rate = $rate|" \
      "$ROOT/config/settingd.toml" >"$dir/settingd.toml"
  "$SETTING" validate --config "$dir/settingd.toml" >/dev/null
  # A clinic analyses its library before sessions; the cache is then read, not made, in play.
  "$SETTING" playlist analyze --config "$dir/settingd.toml" bench >/dev/null
  export SETTING_SOCKET="$dir/settingd.sock"
  "$SETTINGD" --config "$dir/settingd.toml" --socket "$SETTING_SOCKET" --state-dir "$dir/state" \
    2>"$dir/settingd.log" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 100); do
    "$SETTING" status >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "settingd exited:" >&2; cat "$dir/settingd.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "== $name: playing for $WINDOW s (pid $pid)"
  "$SETTING" start bench >/dev/null
  measure "$pid"
  grep -q "track started" "$dir/settingd.log" || {
    echo "settingd never started a track:" >&2; cat "$dir/settingd.log" >&2; exit 1; }
  record "$name"
  stop "$pid"
}

# ---------------------------------------------------------------- MPD
MPD_VERSION=$(mpd --version | awk 'NR == 1 { print $4 }')
run_mpd() { # RATE
  local rate=$1 name="MPD $MPD_VERSION, $1 Hz" dir="$TMP/mpd-$1" port pid
  port=$(free_port)
  mkdir -p "$dir/playlists"
  cat >"$dir/mpd.conf" <<EOF
music_directory     "$LIB"
playlist_directory  "$dir/playlists"
db_file             "$dir/database"
state_file          "$dir/state"
pid_file            "$dir/pid"
log_file            "$dir/log"
bind_to_address     "127.0.0.1"
port                "$port"
zeroconf_enabled    "no"
auto_update         "no"
audio_output_format "$rate:*:*"
audio_output {
  type        "null"
  name        "null"
  sync        "yes"
  mixer_type  "software"
}
EOF
  # As MPD ordinarily runs: it daemonises (forks, detaches) and the pid file says which it is.
  mpd "$dir/mpd.conf" >"$dir/stdout" 2>&1 || {
    echo "mpd did not start:" >&2; cat "$dir/stdout" "$dir/log" >&2; exit 1; }
  for _ in $(seq 100); do [ -s "$dir/pid" ] && break; sleep 0.1; done
  pid=$(cat "$dir/pid")
  PIDS+=("$pid")
  local mpc=(mpc -q --host 127.0.0.1 --port "$port")
  for _ in $(seq 100); do
    "${mpc[@]}" status >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "mpd exited:" >&2; cat "$dir/stdout" "$dir/log" >&2; exit 1; }
    sleep 0.1
  done
  "${mpc[@]}" update --wait
  "${mpc[@]}" clear
  for rel in "${FILES[@]}"; do "${mpc[@]}" add "$rel"; done
  "${mpc[@]}" crossfade 5
  # Below full level, as the scene's -12 dB: MPD's software mixer then scales every sample, as
  # settingd's gain does.
  "${mpc[@]}" volume 50
  echo "== $name: playing for $WINDOW s (pid $pid)"
  "${mpc[@]}" play
  measure "$pid"
  local status
  status=$(mpc --host 127.0.0.1 --port "$port" status)
  grep -q '^\[playing\]' <<<"$status" || {
    echo "MPD is not playing:" >&2; echo "$status" >&2; cat "$dir/log" >&2; exit 1; }
  record "$name"
  stop "$pid"
}

for rate in $RATES; do
  run_settingd "$rate"
  run_mpd "$rate"
done

# ---------------------------------------------------------------- results
echo
echo "== results: $WINDOW s of playing each, $TRACKS tracks x $TRACK_MIN min (${FORMATS[*]}), $(nproc) cores"
# Anything else running on the machine shows here; the CPU seconds are each process's own.
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
printf '  %-24s %7s %7s %9s %9s %9s\n' "player" "CPU s" "% core" "VmRSS MB" "RssAnon" "VmHWM MB"
for name in "${NAMES[@]}"; do
  printf '  %-24s %7s %7s %9s %9s %9s\n' "$name" "${R_CPU[$name]}" \
    "$(awk -v c="${R_CPU[$name]}" -v w="$WINDOW" 'BEGIN { printf "%.2f", 100 * c / w }')" \
    "$(mb "${R_RSS[$name]}")" "$(mb "${R_ANON[$name]}")" "$(mb "${R_HWM[$name]}")"
done
for rate in $RATES; do
  s="settingd, $rate Hz" m="MPD $MPD_VERSION, $rate Hz"
  awk -v r="$rate" -v c="${R_CPU[$s]}" -v mc="${R_CPU[$m]}" -v rss="${R_RSS[$s]}" -v mrss="${R_RSS[$m]}" \
      -v a="${R_ANON[$s]}" -v ma="${R_ANON[$m]}" -v h="${R_HWM[$s]}" -v mh="${R_HWM[$m]}" 'BEGIN {
    printf "  -> settingd / MPD at %s Hz: CPU %s, RssAnon %.2f, VmRSS %.2f, VmHWM %.2f (goal: CPU and RssAnon at most 1)\n",
      r, (mc > 0 ? sprintf("%.2f", c / mc) : "inf"), a / ma, rss / mrss, h / mh }'
done
