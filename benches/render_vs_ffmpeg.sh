#!/usr/bin/env bash
# Offline rendering speed against ffmpeg doing the same work: decoding a playlist's files and
# resampling them to a 48 kHz 32-bit float WAV.
#
#   setting: `setting render bench --wav OUT --rate 48000 --crossfade 0` (release build), the
#            playlist's loudness cache made beforehand (`setting playlist analyze`), so the render
#            decodes, resamples, levels, joins, limits and writes, and measures nothing;
#   ffmpeg:  `ffmpeg -i FILE -ar 48000 -f wav -c:a pcm_f32le OUT` for each file in turn (its
#            default resampler, swr), all in one timed shell loop.
# Both run one after the other in the same run, RUNS times each, alternating; each run is timed
# in wall seconds and in CPU seconds (user + sys of the command and its children, from
# /usr/bin/time), the latter feeling other load on the machine far less. The median of each is
# reported, and the speed as audio seconds per second.
#
# Usage: benches/render_vs_ffmpeg.sh   (from anywhere; needs sox and ffmpeg, see scripts/deps.sh)
#   TRACKS=6 TRACK_MIN=5   the playlist: 44.1 kHz stereo tracks, TRACK_MIN minutes each
#   FORMATS=flac           their formats, in turn ("flac ogg mp3" mixes them)
#   RATE=48000             the output rate of both
#   RUNS=3                 timed runs of each
#   SETTING=PATH           the `setting` binary to time (default: this tree's release build)
#   KEEP=1                 keep the temp dir
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=benches/bench_tracks.sh
source "$ROOT/benches/bench_tracks.sh"
TRACKS=${TRACKS:-6}
TRACK_MIN=${TRACK_MIN:-5}
RATE=${RATE:-48000}
RUNS=${RUNS:-3}
read -r -a FORMATS <<<"${FORMATS:-flac}"

for tool in sox ffmpeg /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "render_vs_ffmpeg.sh: $tool is missing (scripts/deps.sh)" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/setting-render-bench.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$TMP"' EXIT; else echo "temp dir: $TMP"; fi

if [ -z "${SETTING:-}" ]; then
  echo "== building release"
  (cd "$ROOT" && cargo build --release --quiet --bin setting)
  SETTING="$ROOT/target/release/setting"
fi

# ---------------------------------------------------------------- the playlist
# The same tracks as benches/playback_vs_mpd.sh: a slow chord with a little noise.
echo "== making $TRACKS tracks of $TRACK_MIN min in $TMP/media"
LIB="$TMP/media"
mkdir -p "$LIB/bench" "$TMP/playlists" "$TMP/out"
make_bench_tracks "$LIB" "$TRACKS" "$TRACK_MIN" "$TMP" "${FORMATS[@]}"
# The playlist, gapless as `--crossfade 0` joins it anyway, and a scene of its own that plays it,
# so that the config validates with only this playlist.
write_bench_playlist "$TMP" "Render benchmark" ""
sed -e "s|^scenes = .*|scenes = \"$TMP/scenes\"|" \
    -e "s|^playlists = .*|playlists = \"$TMP/playlists\"|" \
    -e "s|^media = .*|media = \"$LIB\"|" \
    "$ROOT/config/settingd.toml" >"$TMP/settingd.toml"
"$SETTING" validate --config "$TMP/settingd.toml" >/dev/null
"$SETTING" playlist analyze --config "$TMP/settingd.toml" bench >/dev/null
audio_s=$((TRACKS * TRACK_MIN * 60))
printf 'playlist: %d tracks x %d min, 44.1 kHz stereo (%s), %s; to %d Hz; %d cores\n' \
  "$TRACKS" "$TRACK_MIN" "${FORMATS[*]}" "$(du -sh "$LIB" | cut -f1)" "$RATE" "$(nproc)"

# ---------------------------------------------------------------- timing
# timed NAME CMD...: one run under /usr/bin/time; appends wall and user+sys seconds to
# WALL_NAME and CPU_NAME (newline-separated lists) and prints the run.
declare -A WALLS CPUS
timed() {
  local name=$1 t0 t1 wall cpu
  shift
  t0=$(date +%s%N)
  /usr/bin/time -o "$TMP/time" -f "%U %S %M" "$@" >"$TMP/stdout" 2>"$TMP/stderr" || {
    echo "render_vs_ffmpeg.sh: $name failed:" >&2; cat "$TMP/stderr" "$TMP/stdout" >&2; exit 1; }
  t1=$(date +%s%N)
  wall=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }')
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$TMP/time")
  WALLS[$name]+="$wall"$'\n' CPUS[$name]+="$cpu"$'\n'
  printf '  %-8s wall %7s s, user+sys %6s s, peak RSS %6d KB, load %s\n' "$name" "$wall" "$cpu" \
    "$(awk '{ print $3 }' "$TMP/time")" "$(cut -d' ' -f1 /proc/loadavg)"
}
median() { sort -g | awk 'NF { a[++n] = $1 } END { print a[int((n + 1) / 2)] }'; }

ffmpeg_all() {
  for rel in "${FILES[@]}"; do
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$LIB/$rel" -ar "$RATE" -f wav -c:a pcm_f32le \
      "$TMP/out/$(basename "$rel").wav"
  done
}
export -f ffmpeg_all
export LIB TMP RATE
FILES_LIST=$(printf '%s\n' "${FILES[@]}")
export FILES_LIST

echo "== $RUNS runs each, alternating"
for ((r = 1; r <= RUNS; r++)); do
  timed setting "$SETTING" --config "$TMP/settingd.toml" render bench --wav "$TMP/out/setting.wav" \
    --rate "$RATE" --crossfade 0
  rm -f "$TMP/out/setting.wav"
  timed ffmpeg bash -c 'mapfile -t FILES <<<"$FILES_LIST"; ffmpeg_all'
  rm -f "$TMP/out/"*.wav
done

echo
echo "== results: $audio_s s of audio to $RATE Hz float WAV, median of $RUNS runs, $(nproc) cores"
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for name in setting ffmpeg; do
  w=$(median <<<"${WALLS[$name]}") c=$(median <<<"${CPUS[$name]}")
  printf '  %-8s wall %7s s (%4.0fx real time)  user+sys %6s s (%4.0fx real time per CPU second)\n' \
    "$name" "$w" "$(awk -v a="$audio_s" -v t="$w" 'BEGIN { print a / t }')" \
    "$c" "$(awk -v a="$audio_s" -v t="$c" 'BEGIN { print (t > 0 ? a / t : 0) }')"
  eval "W_$name=$w C_$name=$c"
done
# shellcheck disable=SC2154 # set by the eval above
awk -v ws="$W_setting" -v wf="$W_ffmpeg" -v cs="$C_setting" -v cf="$C_ffmpeg" 'BEGIN {
  printf "  -> setting render speed / ffmpeg: %.2f by wall time, %.2f by CPU time (goal: at least 1)\n",
    wf / ws, cf / cs }'
