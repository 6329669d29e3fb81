#!/usr/bin/env bash
# Audio speed figures against the product brief, each against a peer measured in the same run:
#   1. `setting playlist analyze`, cold (cache removed), vs ffmpeg's ebur128 filter with true
#      peak on, over the same files, both on all cores;
#   2. `analyze` again, warm (every file a cache hit), vs the cold run;
#   3. `setting dry-run sublingual` (the shipped 3 h scene) at its default rate (22050 Hz) and at
#      the room's 48000 Hz, vs the session's length;
#   4. playing a playlist in real time, CPU and peak RSS, vs MPD playing the same playlist to a
#      null output (benches/playback_vs_mpd.sh, run last; SKIP_MPD=1 leaves it out).
#
# Usage: benches/audio.sh            (from anywhere; needs ffmpeg, see scripts/deps.sh)
#   RUNS=3         timed runs of each command; the median is reported
#   COPIES=2       converted copies of each demo track in the test library (besides the original)
#   KEEP=1         keep the temp dir
# Results go into docs/benchmarks.md by hand, with the numbers printed here.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
COPIES=${COPIES:-2}
JOBS=$(nproc)

for tool in ffmpeg ffprobe /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "audio.sh: $tool is missing (scripts/deps.sh)" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/setting-audio-bench.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$TMP"' EXIT; else echo "temp dir: $TMP"; fi

echo "== building release"
(cd "$ROOT" && cargo build --release --quiet)
SETTING="$ROOT/target/release/setting"

# ---------------------------------------------------------------- the test library
# The demo media as is, plus COPIES re-encoded copies of each track in another format and with a
# slightly different level, so every file is a distinct file to decode and measure.
echo "== building the test library in $TMP"
LIB="$TMP/media"
mkdir -p "$LIB" "$TMP/playlists"
cp -r "$ROOT/media/." "$LIB/"
rm -f "$LIB/.setting-loudness.json"
cp "$ROOT/playlists/"*.toml "$TMP/playlists/"

encode() { # in out: re-encode by the output's extension
  local in=$1 out=$2 codec
  case "$out" in
    *.flac) codec=(-c:a flac) ;;
    *.ogg) codec=(-c:a libvorbis -q:a 5) ;;
    *.mp3) codec=(-c:a libmp3lame -q:a 2) ;;
  esac
  ffmpeg -nostdin -hide_banner -loglevel error -y -i "$in" -af "volume=$3dB" "${codec[@]}" "$out"
}
export -f encode

mapfile -t ORIGINALS < <(cd "$LIB" && find . -type f \( -name '*.flac' -o -name '*.ogg' -o -name '*.mp3' \) | sed 's|^\./||' | sort)
formats=(flac ogg mp3)
jobs_list="$TMP/encode.jobs"
: >"$jobs_list"
for rel in "${ORIGINALS[@]}"; do
  ext=${rel##*.}
  for ((c = 1; c <= COPIES; c++)); do
    # rotate the format away from the original's
    for i in 0 1 2; do [ "${formats[$i]}" = "$ext" ] && break; done
    new=${formats[$(((i + c) % 3))]}
    printf '%s\0%s\0%s\0' "$LIB/$rel" "$LIB/${rel%.*}-copy$c.$new" "-$c" >>"$jobs_list"
  done
done
xargs -0 -n 3 -P "$JOBS" bash -c 'encode "$0" "$1" "$2"' <"$jobs_list"

mapfile -t FILES < <(cd "$LIB" && find . -type f \( -name '*.flac' -o -name '*.ogg' -o -name '*.mp3' \) | sed 's|^\./||' | sort)
total_s=0
{
  echo '# Every file of the benchmark library.'
  echo 'title = "Benchmark library"'
  echo 'when_done = "loop"'
  for rel in "${FILES[@]}"; do
    printf '\n[[track]]\npath = "%s"\n' "$rel"
  done
} >"$TMP/playlists/library.toml"
total_s=$(cd "$LIB" && for rel in "${FILES[@]}"; do
  ffprobe -v error -show_entries format=duration -of csv=p=0 "$rel"
done | awk '{ s += $1 } END { printf "%.0f", s }')
size=$(du -sh --exclude=.setting-loudness.json "$LIB" | cut -f1)

sed -e "s|^scenes = .*|scenes = \"$ROOT/scenes\"|" \
    -e "s|^playlists = .*|playlists = \"$TMP/playlists\"|" \
    -e "s|^media = .*|media = \"$LIB\"|" \
    -e "s|^output = .*|output = \"null\"|" \
    "$ROOT/config/settingd.toml" >"$TMP/settingd.toml"
"$SETTING" validate --config "$TMP/settingd.toml" >/dev/null

printf 'library: %d files (FLAC, Ogg Vorbis, MP3), %d min %02d s of audio, %s; %d cores\n' \
  "${#FILES[@]}" $((total_s / 60)) $((total_s % 60)) "$size" "$JOBS"

# ---------------------------------------------------------------- timing
# timed NAME CMD...: runs CMD RUNS times under /usr/bin/time, prints each run, sets the
# median wall time (s) and the largest peak RSS (KB) in MEDIAN and RSS. PRE, if set, runs first.
timed() {
  local name=$1 i line
  shift
  local walls=() rss=0
  for ((i = 1; i <= RUNS; i++)); do
    [ -n "${PRE:-}" ] && eval "$PRE"
    # wall time from the clock in ms (time's %e has 10 ms resolution); peak RSS from time's %M
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -o "$TMP/time" -f "%e %M" "$@" >"$TMP/out" 2>"$TMP/err" || {
      echo "audio.sh: $name failed:" >&2; cat "$TMP/err" "$TMP/out" >&2; exit 1; }
    t1=$(date +%s%N)
    read -r line <"$TMP/time"
    line="$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }') ${line#* }"
    walls+=("${line% *}")
    [ "${line#* }" -gt "$rss" ] && rss=${line#* }
    printf '  %-36s run %d: %s s %s KB\n' "$name" "$i" "${line% *}" "${line#* }"
  done
  MEDIAN=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  RSS=$rss
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else if (a / b < 0.1) printf "%.3f", a / b; else printf "%.2f", a / b }'; }

echo "== 1. loudness analysis, cold, on $JOBS cores"
PRE="rm -f '$LIB/.setting-loudness.json'" timed "setting playlist analyze (cold)" \
  "$SETTING" playlist analyze --config "$TMP/settingd.toml" library
COLD=$MEDIAN COLD_RSS=$RSS
cp "$TMP/out" "$TMP/analyze.txt"
printf "$LIB/%s\\0" "${FILES[@]}" >"$TMP/files.list"
PRE="" timed "ffmpeg ebur128=peak=true (xargs -P)" \
  xargs -0 -a "$TMP/files.list" -P "$JOBS" -I{} \
  ffmpeg -nostdin -hide_banner -nostats -i {} -filter_complex ebur128=peak=true -f null -
FF=$MEDIAN FF_RSS=$RSS

echo "== 2. loudness analysis, warm (cache hit)"
"$SETTING" playlist analyze --config "$TMP/settingd.toml" library >/dev/null # make sure it is warm
PRE="" timed "setting playlist analyze (warm)" \
  "$SETTING" playlist analyze --config "$TMP/settingd.toml" library
WARM=$MEDIAN WARM_RSS=$RSS

echo "== 3. dry-run of the shipped 3 h scene, default rate"
PRE="" timed "setting dry-run sublingual" \
  "$SETTING" dry-run --config "$ROOT/config/settingd.toml" sublingual --wav "$TMP/out.wav"
DRY=$MEDIAN DRY_RSS=$RSS
session_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$TMP/out.wav")
session_rate=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$TMP/out.wav")
PRE="" timed "setting dry-run sublingual --rate 48000" \
  "$SETTING" dry-run --config "$ROOT/config/settingd.toml" sublingual --rate 48000 --wav "$TMP/out48.wav"
DRY48=$MEDIAN DRY48_RSS=$RSS

echo
echo "== results (median of $RUNS runs; library: ${#FILES[@]} files, $((total_s / 60)) min of audio)"
printf '  analyze cold          %6s s  %7s KB peak\n' "$COLD" "$COLD_RSS"
printf '  ffmpeg ebur128 peak   %6s s  %7s KB peak (one process)\n' "$FF" "$FF_RSS"
printf '  -> analyze takes %s of ffmpeg'"'"'s time (%sx faster)\n' "$(ratio "$COLD" "$FF")" "$(ratio "$FF" "$COLD")"
printf '  analyze warm          %6s s  %7s KB peak\n' "$WARM" "$WARM_RSS"
printf '  -> warm takes %s of the cold run'"'"'s time\n' "$(ratio "$WARM" "$COLD")"
printf '  dry-run sublingual    %6s s  %7s KB peak, %s s of session at %s Hz\n' "$DRY" "$DRY_RSS" "${session_s%.*}" "$session_rate"
printf '  -> %sx real time (bar: 3 h in under 60 s, i.e. 180x)\n' "$(ratio "${session_s%.*}" "$DRY")"
printf '  dry-run --rate 48000  %6s s  %7s KB peak (the room'"'"'s output rate)\n' "$DRY48" "$DRY48_RSS"
printf '  -> %sx real time\n' "$(ratio "${session_s%.*}" "$DRY48")"

if [ -z "${SKIP_MPD:-}" ]; then
  echo
  echo "== 4. playing a playlist vs MPD (benches/playback_vs_mpd.sh)"
  "$ROOT/benches/playback_vs_mpd.sh"
fi
