#!/usr/bin/env bash
# Synthesises the demo's music with sox: quiet drones, pads and a little pink or brown noise,
# 30-60 s each, in FLAC, Ogg Vorbis and MP3, into media/<playlist>/. Nothing here is anyone's
# recording, so the files are free to ship. The output is committed; run this again only to
# change it (noise is random, so the files differ from run to run). An optional glob limits the
# run to matching files, e.g. `scripts/make-demo-media.sh '*.mp3'`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages

out=media
only=${1:-*}
# Mono at 22.05 kHz keeps the whole set at a few MB; it is background music in a quiet room.
rate=22050

# make PATH SECONDS FADE_IN FADE_OUT LEVEL_DB TREMOLO_HZ VOICES...
# Each voice is a sox synth type and its argument (`sine 110`, `pinknoise`); they are mixed to
# mono, softened, given a slow swell and normalised to LEVEL_DB peak. Noise barely compresses,
# so the FLAC tracks are plain sines.
make() {
  local path=$1 secs=$2 fade_in=$3 fade_out=$4 level=$5 trem=$6
  shift 6
  [[ $path == $only ]] || return 0
  local voices=("$@") n=0 v
  for v in "${voices[@]}"; do
    case $v in sine | triangle | pinknoise | brownnoise | whitenoise) n=$((n + 1)) ;; esac
  done
  local opts=()
  local target=$out/$path
  case $path in
    *.ogg) opts=(-C 0) ;;   # Vorbis quality 0, about 40 kbit/s at this rate
    # sox writes MP3 without a LAME/Xing header, so the encoder delay and padding could not be
    # trimmed and the track would never join its neighbours gaplessly: sox writes a WAV and
    # ffmpeg's libmp3lame, which writes the header, encodes it.
    *.mp3) target=$(mktemp --suffix=.wav) ;;
  esac
  mkdir -p "$out/$(dirname "$path")"
  # shellcheck disable=SC2068 # the voices are words on purpose
  sox -q -r "$rate" -c "$n" -n "${opts[@]}" "$target" \
    synth "$secs" ${voices[@]} remix - \
    lowpass 1800 tremolo "$trem" 35 reverb 60 \
    gain -n "$level" fade q "$fade_in" "$secs" "$fade_out"
  if [[ $path == *.mp3 ]]; then
    # 32 kbit/s is ample for mono drones.
    ffmpeg -v error -y -i "$target" -c:a libmp3lame -b:a 32k -map_metadata -1 "$out/$path"
    rm -f "$target"
  fi
  echo "  $out/$path"
}

echo "== synthesising demo media into $out/"
# Every MP3 carries a LAME/Xing header (see make), so every format here can join gaplessly.
make arrival/01-morning-room.flac     45 5 6 -14 0.08 sine 220 sine 277.2 sine 329.6
make arrival/02-slow-water.ogg        50 5 6 -14 0.12 sine 196 sine 293.7 brownnoise
make arrival/03-quiet-harbour.mp3     40 5 6 -13 0.10 sine 174.6 sine 261.6 sine 349.2

make intention/01-long-tone.flac      40 8 8 -20 0.05 sine 110 sine 165
make intention/02-distant-bells.ogg   45 8 8 -20 0.20 sine 523.3 sine 784 sine 1046.5

make dosing/01-rain-on-leaves.ogg     60 5 6 -16 0.30 pinknoise sine 146.8
make dosing/02-warm-pad.mp3           50 5 6 -16 0.07 triangle 130.8 sine 196 sine 261.6

make onset/01-open-sky.ogg            55 8 6 -14 0.06 sine 98 sine 147 sine 196 pinknoise
make onset/02-slow-tide.flac          45 6 6 -14 0.09 sine 87.3 sine 130.8 sine 174.6
make onset/03-floating.ogg            50 6 8 -14 0.05 sine 110 sine 164.8 sine 220 sine 277.2

make peak/01-slow-rise.flac           60 4 2 -12 0.11 sine 73.4 sine 110 sine 146.8
make peak/02-deep-current.ogg         60 2 2 -12 0.13 sine 65.4 sine 98 sine 130.8 sine 196
make peak/03-cathedral-of-air.flac    60 2 2 -12 0.09 sine 82.4 sine 123.5 sine 164.8 sine 246.9
make peak/04-wide-horizon.ogg         55 2 2 -11 0.15 sine 98 sine 146.8 sine 196 pinknoise
make peak/05-long-arc.flac            90 2 8 -12 0.06 sine 55 sine 82.4 sine 110 sine 164.8

make return/01-coming-down.ogg        50 6 6 -14 0.08 sine 196 sine 246.9 sine 293.7
make return/02-warm-light.mp3         45 6 6 -14 0.07 sine 174.6 sine 220 sine 261.6 pinknoise
make return/03-homeward-song.flac     50 6 8 -14 0.10 sine 220 sine 277.2 sine 329.6

make integration/01-still-morning.ogg 45 10 8 -20 0.05 sine 261.6 sine 392 pinknoise
make integration/02-soft-keys.mp3     40 8 8 -20 0.09 triangle 329.6 sine 440
make integration/03-evening-garden.flac 45 8 10 -20 0.06 sine 146.8 sine 220

make preparation/01-first-light.mp3   45 5 6 -16 0.10 sine 293.7 sine 370 sine 440
make preparation/02-breathing-room.ogg 50 5 6 -16 0.10 sine 196 sine 246.9 pinknoise

# About six breaths a minute: the swell is the breath to follow.
make grounding/breath.flac            30 3 5 -16 0.10 sine 110 sine 165
du -sh "$out"
