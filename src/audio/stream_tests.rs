//! Streaming at sample level, on real files decoded for real: the read-ahead bounds memory,
//! chunked resampling joins gaplessly, a file cut short crossfades into the next, and a loader
//! that falls behind never makes the mixer click.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::audio::decode::Decoder;
use crate::audio::feed::{CHUNK_FRAMES, feed};
use crate::audio::levelled::{Levelling, Opening, READ_AHEAD_MARGIN, open_levelled};
use crate::audio::loudness_cache::LoudnessCache;
use crate::audio::mixer::{CHANNELS, Join, Mixer, MixerConfig, MixerEvent};
use crate::audio::resample::output_frames;
use crate::audio::test_media::{best_lag, cut_tail, sine, write_wav};
use crate::audio::track::LevelTarget;
use crate::audio::track::PreparedTrack;
use crate::playlist;

fn mixer(rate: u32) -> Mixer {
    Mixer::new(&MixerConfig {
        rate,
        ceiling_db: 0.0,
        level_db: 0.0,
        max_slew_db_per_second: 120.0,
    })
}

/// Opens `path` under `root` as the player does, at 0 dB: with no measurement, at a target as
/// loud as an unmeasured track is taken to be.
fn open(root: &Path, path: &str, id: u64, rate: u32) -> (PreparedTrack, TrackStream) {
    let cache = LoudnessCache::default();
    let levelling = Levelling {
        media_root: root,
        cache: &cache,
        level: LevelTarget {
            target_lufs: crate::audio::track::LOUDEST_UNMEASURED_LUFS,
            ..LevelTarget::default()
        },
    };
    let levelled = open_levelled(
        &playlist::Track::plain(path),
        id,
        rate,
        &levelling,
        Opening::default(),
    )
    .expect("opens");
    (levelled.track, levelled.stream)
}

/// Renders `frames` frames, filling every stream before each block as the renders do.
fn render(mixer: &mut Mixer, streams: &mut [&mut TrackStream], frames: usize) -> Vec<f32> {
    let mut out = vec![0.0; frames * CHANNELS];
    for block in out.chunks_mut(1024 * CHANNELS) {
        for stream in streams.iter_mut() {
            let _ = stream.fill();
        }
        mixer.render(block);
    }
    out
}

fn left(out: &[f32]) -> Vec<f32> {
    out.iter().step_by(2).copied().collect()
}

fn largest_step(samples: &[f32]) -> f32 {
    samples
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn a_long_track_never_buffers_more_than_its_read_ahead() {
    let rate = 8_000;
    let media = tempfile::tempdir().unwrap();
    let seconds = 10 * READ_AHEAD_MARGIN.as_secs() as usize;
    let tone = sine(seconds * rate as usize, rate, 220.0, 0.5);
    write_wav(&media.path().join("long.wav"), &tone, rate, 1);
    let (track, mut stream) = open(media.path(), "long.wav", 1, rate);
    let mut mixer = mixer(rate);
    mixer.enqueue(track, Join::Gapless);
    let out = left(&render(&mut mixer, &mut [&mut stream], tone.len() + 1_000));
    // Every frame arrives, unchanged (16-bit WAV at the output rate), and nothing after.
    let worst = out
        .iter()
        .zip(&tone)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst < 2.0 / 32768.0, "off by {worst}");
    assert!(out[tone.len()..].iter().all(|&s| s == 0.0));
    // The bound: the margin plus a chunk in the reader's hands, a tenth of the track.
    let bound = stream.bound();
    assert!(bound <= (READ_AHEAD_MARGIN.as_secs() * u64::from(rate)) + 2 * CHUNK_FRAMES as u64);
    assert!(stream.high_water() <= bound, "{} > {bound}", stream.high_water());
    assert!(
        stream.high_water() * 9 < tone.len() as u64,
        "it buffered the whole track"
    );
}

#[test]
fn a_tone_split_in_two_files_resampled_in_chunks_joins_without_gap_or_overlap() {
    let (from, to) = (22_050, 48_000);
    let media = tempfile::tempdir().unwrap();
    let split = 40_001;
    let tone = sine(3 * from as usize, from, 330.0, 0.5);
    write_wav(&media.path().join("a.wav"), &tone[..split], from, 1);
    write_wav(&media.path().join("b.wav"), &tone[split..], from, 1);
    let (a, mut stream_a) = open(media.path(), "a.wav", 1, to);
    let (b, mut stream_b) = open(media.path(), "b.wav", 2, to);
    let mut mixer = mixer(to);
    mixer.enqueue(a, Join::Gapless);
    mixer.enqueue(b, Join::Gapless);
    let frames_a = output_frames(split as u64, from, to) as usize;
    let total = frames_a + output_frames((tone.len() - split) as u64, from, to) as usize;
    let out = left(&render(
        &mut mixer,
        &mut [&mut stream_a, &mut stream_b],
        total + 2_000,
    ));
    // Exactly the two resampled lengths, end to end.
    assert!(out[total..].iter().all(|&s| s == 0.0), "plays past its length");
    assert!(out[total - 200..total].iter().any(|&s| s != 0.0), "ends early");
    // Both sides of the join line up with the unsplit tone at 48 kHz at the same lag: no frame
    // lost or doubled. (The lag is the FFT filter's constant half a source sample, a frame here.)
    let reference = sine(total + 100, to, 330.0, 0.5);
    let before = best_lag(&out, &reference, frames_a - 3_000..frames_a - 300, 20);
    let after = best_lag(&out, &reference, frames_a + 300..frames_a + 3_000, 20);
    assert_eq!(
        before,
        after,
        "the join moves the tone by {} frames",
        after - before
    );
    assert!(before.abs() <= 1, "{before}");
}

#[test]
fn a_file_cut_short_mid_play_crossfades_into_the_next_with_no_silence_and_no_click() {
    let rate = 8_000;
    let media = tempfile::tempdir().unwrap();
    let long = sine(40 * rate as usize, rate, 220.0, 0.5);
    write_wav(&media.path().join("long.wav"), &long, rate, 1);
    // An interrupted copy: the header still promises 40 s, the data stops after about 24.
    cut_tail(&media.path().join("long.wav"), 0.4);
    let next = sine(10 * rate as usize, rate, 330.0, 0.5);
    write_wav(&media.path().join("next.wav"), &next, rate, 1);
    let (first, mut stream_a) = open(media.path(), "long.wav", 1, rate);
    let (second, mut stream_b) = open(media.path(), "next.wav", 2, rate);
    let mut mixer = mixer(rate);
    mixer.enqueue(first, Join::Gapless);
    mixer.enqueue(second, Join::Gapless);

    // The cut is found while the track plays, a read-ahead before the mixer gets there.
    let mut out = Vec::new();
    let mut cut = None;
    let mut block = vec![0.0; 1024 * CHANNELS];
    while out.len() < 40 * rate as usize * CHANNELS {
        if let Err(error) = stream_a.fill() {
            cut.get_or_insert(error);
        }
        let _ = stream_b.fill();
        mixer.render(&mut block);
        out.extend_from_slice(&block);
    }
    let cut = cut.expect("the truncation is reported");
    assert!(cut.to_string().contains("truncated"), "{cut}");
    let out = left(&out);
    let heard = |s: &f32| s.abs() > 1e-3;
    let onset = out.iter().position(heard).unwrap();
    let last = out.iter().rposition(heard).unwrap();
    // From the first sound to the end of the next track: never more than 2 s of silence (here
    // none at all: the crossfade starts before the cut).
    let longest_quiet = out[onset..=last]
        .split(heard)
        .map(<[f32]>::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_quiet < 2 * rate as usize,
        "{longest_quiet} frames of silence"
    );
    assert!(longest_quiet < 3, "{longest_quiet} frames of silence");
    // The next track plays whole after the cut one: about 24 s, less the overlap, plus 10 s.
    let played = (last - onset) as f64 / f64::from(rate);
    assert!((30.0..34.5).contains(&played), "{played} s");
    // No click: no step bigger than the two tones' own together.
    let tone_steps = 0.5 * std::f32::consts::TAU * (220.0 + 330.0) / rate as f32;
    let step = largest_step(&out);
    assert!(step <= tone_steps * 1.05, "a step of {step}");
}

#[test]
fn a_loader_that_falls_behind_fades_the_track_out_instead_of_clicking() {
    let rate = 48_000;
    let tone = sine(20_000, rate, 440.0, 0.5);
    let stereo: Vec<f32> = tone.iter().flat_map(|&s| [s, s]).collect();
    // Only 10 000 of the track's frames ever arrive, and its end is never known.
    let (mut writer, reader) = feed(rate as u64);
    let mut at = 0;
    while at < 10_000 {
        at += writer.write(&stereo[at * 2..10_000 * 2]);
    }
    let mut mixer = mixer(rate);
    mixer.enqueue(
        PreparedTrack {
            feed: reader,
            ..PreparedTrack::in_memory(1, &[])
        },
        Join::Gapless,
    );
    let next: Vec<f32> = sine(rate as usize, rate, 440.0, 0.5)
        .iter()
        .flat_map(|&s| [s, s])
        .collect();
    mixer.enqueue(PreparedTrack::in_memory(2, &next), Join::Gapless);
    let mut out = vec![0.0; 30_000 * CHANNELS];
    mixer.render(&mut out);
    let out = left(&out);
    let events: Vec<MixerEvent> = mixer.drain_events().collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, MixerEvent::Underrun { id: 1, .. })),
        "{events:?}"
    );
    // Unchanged until the guard, then faded: never a step bigger than the tone's own, even
    // where the next track comes in.
    let guard = (UNDERRUN_GUARD.as_secs_f64() * f64::from(rate)) as usize;
    assert_eq!(out[..10_000 - guard - 2], tone[..10_000 - guard - 2]);
    let tone_step = 0.5 * std::f32::consts::TAU * 440.0 / rate as f32;
    let step = largest_step(&out);
    assert!(step <= 2.0 * tone_step * 1.05, "a step of {step}");
    // And the music goes on with the next track.
    assert!(out[12_000..].iter().any(|s| s.abs() > 0.4));
    drop(writer);
}

const UNDERRUN_GUARD: Duration = crate::audio::mixer::UNDERRUN_GUARD;

#[test]
fn a_resume_point_past_the_end_leaves_an_empty_track() {
    let rate = 8_000;
    let media = tempfile::tempdir().unwrap();
    write_wav(
        &media.path().join("short.wav"),
        &sine(8_000, rate, 220.0, 0.5),
        rate,
        1,
    );
    let decoder = Decoder::open(&media.path().join("short.wav")).unwrap();
    let (writer, reader) = feed(8_000);
    let mut stream = TrackStream::new(decoder, rate, 9_000, writer).unwrap();
    assert_eq!(reader.end(), Some(0), "known from the header at once");
    assert_eq!(stream.fill().unwrap(), Step::Done);
}
