#!/usr/bin/env bash
# The benchmarks' playlist media and the playlist and scene that play them, shared by playback_vs_mpd.sh and render_vs_ffmpeg.sh so that
# both measure the same work: real-length tracks (the demo media are 30-90 s at 22.05 kHz), a
# slow chord with a little noise so the encoders have real work, in the formats a clinic's
# library holds. Sourced; needs sox and ffmpeg.
# shellcheck shell=bash

# make_bench_tracks LIB TRACKS TRACK_MIN SCRATCH FORMAT...: writes LIB/bench/NN-track.EXT, the
# formats taken in turn, and leaves their paths relative to LIB in the array FILES.
make_bench_tracks() {
  local lib=$1 tracks=$2 minutes=$3 scratch=$4
  shift 4
  local formats=("$@") i ext rel root codec
  mkdir -p "$lib/bench"
  FILES=()
  for ((i = 1; i <= tracks; i++)); do
    ext=${formats[$(((i - 1) % ${#formats[@]}))]}
    rel=$(printf 'bench/%02d-track.%s' "$i" "$ext")
    root=$((110 + 15 * i))
    sox -q -n -r 44100 -c 2 -b 16 "$scratch/synth.wav" \
      synth "$((minutes * 60))" sine "$root" sine "$((root * 3 / 2))" pinknoise \
      tremolo 0.1 40 gain -12 fade t 2 0 2
    case "$ext" in
      flac) codec=(-c:a flac) ;;
      ogg) codec=(-c:a libvorbis -q:a 5) ;;
      mp3) codec=(-c:a libmp3lame -q:a 2) ;;
    esac
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$scratch/synth.wav" "${codec[@]}" "$lib/$rel"
    FILES+=("$rel")
  done
  rm -f "$scratch/synth.wav"
}

# write_bench_playlist DIR TITLE CROSSFADE: the playlist `bench` of FILES in DIR/playlists, each
# track joined to the next with a CROSSFADE crossfade ("5s"), or gaplessly when it is empty; and
# DIR/scenes/bench.toml, one long phase that plays it until the therapist moves on.
write_bench_playlist() {
  local dir=$1 title=$2 crossfade=$3 rel
  mkdir -p "$dir/playlists" "$dir/scenes"
  {
    printf 'title = "%s"\n' "$title"
    for rel in "${FILES[@]}"; do
      printf '\n[[track]]\npath = "%s"\n' "$rel"
      if [ -n "$crossfade" ]; then printf 'crossfade = "%s"\n' "$crossfade"; fi
    done
  } >"$dir/playlists/bench.toml"
  cat >"$dir/scenes/bench.toml" <<SCENE
title = "$title"
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
SCENE
}
