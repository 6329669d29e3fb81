#!/usr/bin/env bash
# Playing cost against MPD, the product brief's bar: "CPU and memory while playing a playlist,
# against MPD playing the same playlist to a null output; at most MPD's".
#
# Both play the same generated playlist (real-length tracks in FLAC, Ogg Vorbis and MP3) in
# real time to a null output, one after the other, each measured over the same window from
# its play command: CPU seconds (utime + stime of the whole process, all threads, from
# /proc/PID/stat) and peak RSS (VmHWM from /proc/PID/status, since the process started).
#   settingd: release build, `[audio] output = "null"`, a one-phase scene playing the playlist,
#             started with `setting start`, its loudness cache made beforehand as in a clinic;
#   MPD:      its own temporary config (null audio output, software mixer, its own database,
#             state and pid files), on 127.0.0.1 and a free port, queued and played with mpc.
#
# Usage: benches/playback_vs_mpd.sh     (from anywhere; installs mpd, mpc, sox, ffmpeg if missing)
#   WINDOW=60          seconds measured, from the play command
#   TRACKS=6           tracks in the playlist, TRACK_MIN=5 minutes each, 44.1 kHz stereo
#   RATES="44100 48000"  settingd's `[audio] rate`, one run each: 44100 is the files' own rate,
#                      as MPD's null output plays them; 48000 adds resampling, as for a typical card
#   KEEP=1             keep the temp dir
# Every process started here is stopped by its PID. Results go into docs/benchmarks.md by hand.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WINDOW=${WINDOW:-60}
TRACKS=${TRACKS:-6}
TRACK_MIN=${TRACK_MIN:-5}
RATES=${RATES:-44100 48000}

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

echo "== building release"
(cd "$ROOT" && cargo build --release --quiet --bins)
SETTING="$ROOT/target/release/setting"
SETTINGD="$ROOT/target/release/settingd"

# ---------------------------------------------------------------- the playlist
# Real-length tracks (the demo media are 30-90 s at 22.05 kHz): a slow chord with a little
# noise, so the encoders have real work, in the three formats a clinic's library holds.
echo "== making $TRACKS tracks of $TRACK_MIN min in $TMP/media"
LIB="$TMP/media"
mkdir -p "$LIB/bench" "$TMP/playlists" "$TMP/scenes"
formats=(flac ogg mp3)
FILES=()
for ((i = 1; i <= TRACKS; i++)); do
  ext=${formats[$(((i - 1) % 3))]}
  rel=$(printf 'bench/%02d-track.%s' "$i" "$ext")
  root=$((110 + 15 * i))
  sox -q -n -r 44100 -c 2 -b 16 "$TMP/synth.wav" \
    synth "$((TRACK_MIN * 60))" sine "$root" sine "$((root * 3 / 2))" pinknoise \
    tremolo 0.1 40 gain -12 fade t 2 0 2
  case "$ext" in
    flac) codec=(-c:a flac) ;;
    ogg) codec=(-c:a libvorbis -q:a 5) ;;
    mp3) codec=(-c:a libmp3lame -q:a 2) ;;
  esac
  ffmpeg -nostdin -hide_banner -loglevel error -y -i "$TMP/synth.wav" "${codec[@]}" "$LIB/$rel"
  FILES+=("$rel")
done
rm -f "$TMP/synth.wav"
{
  echo 'title = "Playback benchmark"'
  for rel in "${FILES[@]}"; do printf '\n[[track]]\npath = "%s"\n' "$rel"; done
} >"$TMP/playlists/bench.toml"
cat >"$TMP/scenes/bench.toml" <<'EOF'
title = "Playback benchmark"
description = "One long phase that plays the benchmark playlist until the therapist moves on."
kind = "preparation"

[[phase]]
id = "play"
title = "Playing the benchmark playlist"
planned = "3h"
min = "1m"
max = "4h"
ends = "therapist"
music = { playlist = "bench", level_db = -12 }
light.room = { brightness = 50, kelvin = 2700 }
EOF
size=$(du -sh "$LIB" | cut -f1)
printf 'playlist: %d tracks x %d min, 44.1 kHz stereo (FLAC, Ogg Vorbis, MP3), %s; %d cores\n' \
  "$TRACKS" "$TRACK_MIN" "$size" "$(nproc)"

# ---------------------------------------------------------------- measuring
TICKS=$(getconf CLK_TCK)
# CPU seconds so far of process $1, every thread, live or ended.
cpu_s() { sed 's/^.*) //' "/proc/$1/stat" | awk -v t="$TICKS" '{ printf "%.2f", ($12 + $13) / t }'; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# measure PID: sleeps WINDOW seconds from now and sets CPU (s) and HWM (KB) for the window.
measure() {
  local pid=$1 before after
  before=$(cpu_s "$pid")
  sleep "$WINDOW"
  kill -0 "$pid" 2>/dev/null || { echo "playback_vs_mpd.sh: process $pid died" >&2; exit 1; }
  after=$(cpu_s "$pid")
  CPU=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')
  HWM=$(hwm_kb "$pid")
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
stop() { # PID: stops it and forgets it
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local kept=() pid
  for pid in "${PIDS[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  PIDS=("${kept[@]}")
}

declare -A RESULT_CPU RESULT_HWM

# ---------------------------------------------------------------- settingd
for rate in $RATES; do
  name="settingd, rate $rate"
  dir="$TMP/settingd-$rate"
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
  RESULT_CPU[$name]=$CPU RESULT_HWM[$name]=$HWM
  stop "$pid"
done

# ---------------------------------------------------------------- MPD
name="MPD $(mpd --version | awk 'NR == 1 { print $4 }'), null output"
port=$(free_port)
mkdir -p "$TMP/mpd/playlists"
cat >"$TMP/mpd/mpd.conf" <<EOF
music_directory    "$LIB"
playlist_directory "$TMP/mpd/playlists"
db_file            "$TMP/mpd/database"
state_file         "$TMP/mpd/state"
pid_file           "$TMP/mpd/pid"
log_file           "$TMP/mpd/log"
bind_to_address    "127.0.0.1"
port               "$port"
zeroconf_enabled   "no"
auto_update        "no"
audio_output {
  type        "null"
  name        "null"
  mixer_type  "software"
}
EOF
mpd --no-daemon "$TMP/mpd/mpd.conf" >"$TMP/mpd/stdout" 2>&1 &
pid=$!
PIDS+=("$pid")
mpc=(mpc -q --host 127.0.0.1 --port "$port")
for _ in $(seq 100); do
  "${mpc[@]}" status >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "mpd exited:" >&2; cat "$TMP/mpd/stdout" "$TMP/mpd/log" >&2; exit 1; }
  sleep 0.1
done
"${mpc[@]}" update --wait
"${mpc[@]}" clear
for rel in "${FILES[@]}"; do "${mpc[@]}" add "$rel"; done
# Below full level, as the scene's -12 dB: MPD's software mixer then scales every sample, as
# settingd's gain does.
"${mpc[@]}" volume 50
echo "== $name: playing for $WINDOW s (pid $pid)"
"${mpc[@]}" play
measure "$pid"
status=$(mpc --host 127.0.0.1 --port "$port" status)
grep -q '^\[playing\]' <<<"$status" || {
  echo "MPD is not playing:" >&2; echo "$status" >&2; cat "$TMP/mpd/log" >&2; exit 1; }
RESULT_CPU[$name]=$CPU RESULT_HWM[$name]=$HWM
MPD_NAME=$name
stop "$pid"

# ---------------------------------------------------------------- results
echo
echo "== results: $WINDOW s of playing each, $TRACKS tracks x $TRACK_MIN min, $(nproc) cores"
# Anything else running on the machine shows here; the CPU seconds are each process's own.
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-32s %8s %8s %10s\n' "player" "CPU s" "% core" "peak RSS"
for name in "${!RESULT_CPU[@]}"; do
  printf '  %-32s %8s %8s %7d MB\n' "$name" "${RESULT_CPU[$name]}" \
    "$(awk -v c="${RESULT_CPU[$name]}" -v w="$WINDOW" 'BEGIN { printf "%.2f", 100 * c / w }')" \
    $(((RESULT_HWM[$name] + 512) / 1024))
done | sort
for name in "${!RESULT_CPU[@]}"; do
  [ "$name" = "$MPD_NAME" ] && continue
  awk -v n="$name" -v c="${RESULT_CPU[$name]}" -v mc="${RESULT_CPU[$MPD_NAME]}" \
      -v h="${RESULT_HWM[$name]}" -v mh="${RESULT_HWM[$MPD_NAME]}" 'BEGIN {
    printf "  -> %s / MPD: CPU %s, peak RSS %.2f (target: at most 1 each)\n", n,
      (mc > 0 ? sprintf("%.2f", c / mc) : "inf"), h / mh }'
done | sort
