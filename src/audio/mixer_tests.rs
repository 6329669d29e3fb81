use super::*;
use crate::audio::decode::Decoder;
use crate::audio::feed::feed;
use crate::audio::gain::amp_to_db;
use crate::audio::stream::TrackStream;
use crate::audio::test_media::{Format, best_lag, longest_run_at_ceiling, sine, true_peak_db, write_as};

const RATE: u32 = 48_000;

fn config() -> MixerConfig {
    MixerConfig {
        rate: RATE,
        ceiling_db: 0.0,
        level_db: 0.0,
        max_slew_db_per_second: 120.0,
    }
}

fn stereo(mono: &[f32]) -> Vec<f32> {
    mono.iter().flat_map(|&s| [s, s]).collect()
}

fn track(id: u64, mono: &[f32]) -> PreparedTrack {
    PreparedTrack::in_memory(id, &stereo(mono))
}

/// The level of [`side`]'s constant: a step to full scale overshoots between its samples, so
/// the limiter would take a part in what these tests measure of the mixer's own gains.
const SIDE: f32 = 0.5;

/// A constant on one side only, so each channel of the output shows one track's gain (read
/// back with [`gain_left`] and [`gain_right`]).
fn side(id: u64, frames: usize, left: bool) -> PreparedTrack {
    let frame = if left { [SIDE, 0.0] } else { [0.0, SIDE] };
    let samples: Vec<f32> = (0..frames).flat_map(|_| frame).collect();
    PreparedTrack::in_memory(id, &samples)
}

fn render(mixer: &mut Mixer, frames: usize) -> Vec<f32> {
    let mut out = vec![f32::NAN; frames * CHANNELS];
    mixer.render(&mut out);
    out
}

fn left(out: &[f32]) -> Vec<f32> {
    out.iter().step_by(2).copied().collect()
}

fn right(out: &[f32]) -> Vec<f32> {
    out.iter().skip(1).step_by(2).copied().collect()
}

/// The gain on the left of tracks made by [`side`] (exact: SIDE is a power of two).
fn gain_left(out: &[f32]) -> Vec<f32> {
    left(out).iter().map(|s| s / SIDE).collect()
}

fn gain_right(out: &[f32]) -> Vec<f32> {
    right(out).iter().map(|s| s / SIDE).collect()
}

/// What is heard over the `frames` after a command: a command acts on the next frame taken
/// from the tracks, which comes out after the limiter's look-ahead.
fn heard(mixer: &mut Mixer, frames: usize) -> Vec<f32> {
    let latency = mixer.latency();
    let mut out = render(mixer, latency + frames);
    out.drain(..latency * CHANNELS);
    out
}

fn largest_step(samples: &[f32]) -> f32 {
    samples
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn silence_when_nothing_plays() {
    let mut mixer = Mixer::new(&config());
    assert!(render(&mut mixer, 1000).iter().all(|&s| s == 0.0));
    assert!(mixer.is_idle());
}

#[test]
fn gapless_queue_reproduces_the_unsplit_signal_exactly() {
    let tone = sine(10_000, RATE, 997.0, 0.5);
    let mut mixer = Mixer::new(&config());
    for (id, part) in [&tone[..3_333], &tone[3_333..3_334], &tone[3_334..]]
        .into_iter()
        .enumerate()
    {
        mixer.enqueue(track(id as u64, part), Join::Gapless);
    }
    let out = render(&mut mixer, 10_500);
    assert_eq!(left(&out)[..10_000], tone[..]);
    assert_eq!(right(&out)[..10_000], tone[..]);
    assert!(out[20_000..].iter().all(|&s| s == 0.0));
    let events: Vec<_> = mixer.drain_events().collect();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, MixerEvent::Finished { .. }))
            .count(),
        3
    );
    assert_eq!(events.last(), Some(&MixerEvent::Idle));
}

#[test]
fn crossfade_between_tracks_is_equal_power_over_its_length() {
    let fade = 4_800;
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(side(1, 20_000, true), Join::Gapless);
    mixer.enqueue(
        side(2, 20_000, false),
        Join::Crossfade(Duration::from_millis(100)),
    );
    let out = render(&mut mixer, 40_000);
    let (outgoing, incoming) = (gain_left(&out), gain_right(&out));
    let start = 20_000 - fade;
    assert!(outgoing[..start].iter().all(|&g| g == 1.0));
    assert!(incoming[..start].iter().all(|&g| g == 0.0));
    for i in start..20_000 {
        let power = outgoing[i].powi(2) + incoming[i].powi(2);
        assert!((power - 1.0).abs() < 1e-4, "frame {i}: power {power}");
        assert!(outgoing[i] <= outgoing[i - 1] && incoming[i] >= incoming[i - 1]);
    }
    // Halfway, both are at -3 dB: the equal-power midpoint.
    assert!((amp_to_db(outgoing[start + fade / 2]) + 3.01).abs() < 0.05);
    assert!(outgoing[20_000..].iter().all(|&g| g == 0.0));
    // The incoming track keeps all its frames: the mix is shorter by exactly the overlap.
    let incoming_end = start + 20_000;
    assert!(incoming[..incoming_end].iter().skip(20_000).all(|&g| g == 1.0));
    assert!(incoming[incoming_end..].iter().all(|&g| g == 0.0));
}

#[test]
fn skip_crossfades_now_and_keeps_the_queue_order() {
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(side(1, 100_000, true), Join::Gapless);
    mixer.enqueue(side(2, 100_000, false), Join::Gapless);
    render(&mut mixer, 1_000);
    mixer.skip(Duration::from_millis(50));
    let out = heard(&mut mixer, 3_000);
    let (outgoing, incoming) = (gain_left(&out), gain_right(&out));
    for i in 0..2_400 {
        assert!((outgoing[i].powi(2) + incoming[i].powi(2) - 1.0).abs() < 1e-4);
    }
    assert_eq!(outgoing[2_400], 0.0);
    assert_eq!(incoming[2_400], 1.0);
    assert_eq!(mixer.now_playing(), Some((2, 3_000 + mixer.latency())));
}

#[test]
fn skip_during_a_crossfade_never_restarts_the_track_fading_in() {
    let tone = |freq| sine(200_000, RATE, freq, 0.3);
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(track(1, &tone(110.0)), Join::Gapless);
    mixer.enqueue(track(2, &tone(165.0)), Join::Gapless);
    mixer.enqueue(track(3, &tone(220.0)), Join::Gapless);
    let mut out = render(&mut mixer, 10_000);
    mixer.skip(Duration::from_secs(1));
    out.extend(render(&mut mixer, 24_000));
    assert_eq!(mixer.now_playing(), Some((2, 24_000)));
    // Halfway through, skip again: track 2 fades out from where it is, 3 fades in.
    mixer.skip(Duration::from_secs(1));
    out.extend(render(&mut mixer, 60_000));
    assert_eq!(mixer.now_playing(), Some((3, 60_000)));
    let events: Vec<_> = mixer.drain_events().collect();
    let started: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, MixerEvent::Started { .. }))
        .collect();
    let ids = [1, 2, 3].map(|id| MixerEvent::Started { id });
    assert_eq!(started, ids.iter().collect::<Vec<_>>(), "each track starts once");
    assert!(events.contains(&MixerEvent::Abandoned {
        id: 2,
        at_frame: 24_000
    }));
    // No click anywhere: no step larger than the steepest tone's own (plus the sum of the others').
    let own = 0.3 * std::f32::consts::TAU * (110.0 + 165.0 + 220.0) / RATE as f32;
    let worst = largest_step(&left(&out));
    assert!(worst <= own, "step {worst} above {own}");
    // The outgoing voices have gone once their fades are over.
    assert_eq!(mixer.outgoing.len(), 0);
}

#[test]
fn switching_playlist_replaces_the_queue_with_a_crossfade() {
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(side(1, 100_000, true), Join::Gapless);
    mixer.enqueue(side(2, 100_000, true), Join::Gapless);
    render(&mut mixer, 100);
    let new = [
        (side(10, 50_000, false), Join::Gapless),
        (side(11, 50_000, false), Join::Gapless),
    ];
    mixer.switch(new, Duration::from_millis(10));
    let out = heard(&mut mixer, 1_000);
    assert_eq!(gain_left(&out)[480], 0.0);
    assert_eq!(gain_right(&out)[480], 1.0);
    assert_eq!(mixer.now_playing(), Some((10, 1_000 + mixer.latency())));
    assert_eq!(mixer.queued(), 1);
}

#[test]
fn level_ramp_is_smoother_than_the_music_itself() {
    let tone = sine(RATE as usize * 4, RATE, 40.0, 0.8);
    let own_step = largest_step(&tone);
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(track(1, &tone), Join::Gapless);
    let mut out = render(&mut mixer, 4_800);
    // A fast change (20 dB in 50 ms is faster than the slew limit allows) and back up.
    mixer.set_level(-20.0, Duration::from_millis(50));
    out.extend(render(&mut mixer, 48_000));
    mixer.set_level(0.0, Duration::ZERO);
    out.extend(render(&mut mixer, 48_000));
    let worst = largest_step(&left(&out));
    assert!(worst <= own_step, "ramp step {worst} above the tone's {own_step}");
}

#[test]
fn slew_limit_stops_a_sudden_jump_in_level() {
    let mut mixer = Mixer::new(&MixerConfig {
        level_db: -40.0,
        ..config()
    });
    mixer.enqueue(track(1, &vec![0.5; RATE as usize * 2]), Join::Gapless);
    render(&mut mixer, 100);
    // "volume +40" typed by mistake, asked for at once: 120 dB/s lets it rise 12 dB in 0.1 s.
    mixer.set_level(0.0, Duration::ZERO);
    let out = left(&heard(&mut mixer, 4_800));
    let reached = amp_to_db(*out.last().unwrap() / 0.5);
    assert!((reached - -28.0).abs() < 0.1, "reached {reached} dB");
}

#[test]
fn ceiling_holds_for_full_scale_input_pushed_6_db() {
    let ceiling_db = -1.0;
    let mut mixer = Mixer::new(&MixerConfig {
        ceiling_db,
        ..config()
    });
    let full = sine(RATE as usize, RATE, 1_000.0, 1.0);
    mixer.enqueue(
        PreparedTrack {
            gain_db: 6.0,
            ..PreparedTrack::in_memory(1, &stereo(&full))
        },
        Join::Gapless,
    );
    let square: Vec<f32> = full.iter().map(|s| s.signum()).collect();
    mixer.enqueue(
        PreparedTrack {
            gain_db: 6.0,
            ..PreparedTrack::in_memory(2, &stereo(&square))
        },
        Join::Gapless,
    );
    let out = render(&mut mixer, RATE as usize * 2);
    let ceiling = mixer.ceiling_amp();
    let peak = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(peak <= ceiling, "peak {peak} above ceiling {ceiling}");
    // It limits rather than silences: the music stays near the ceiling.
    assert!(peak > ceiling * 0.9);
    let true_peak = true_peak_db(&out, RATE);
    assert!(true_peak <= f64::from(ceiling_db) + 0.1, "{true_peak:.2} dBTP");
    // Turned down, not flattened: the sine's crests keep their shape.
    let run = longest_run_at_ceiling(&out[..RATE as usize * 2], 0, 2, ceiling);
    assert!(run < 3, "{run} samples in a row pinned at the ceiling");
}

#[test]
fn nudged_up_four_times_a_hot_12_khz_tone_stays_under_the_ceiling_between_samples() {
    let ceiling_db = -1.0;
    let mut mixer = Mixer::new(&MixerConfig {
        ceiling_db,
        level_db: -24.0,
        ..config()
    });
    // Samples at -1 dBFS, true peak +2 dBTP, and a levelling boost on top.
    let step = std::f64::consts::TAU * 12_000.0 / f64::from(RATE);
    let tone: Vec<f32> = (0..RATE as usize * 4)
        .map(|i| 1.26 * (step * i as f64 + std::f64::consts::FRAC_PI_4).sin() as f32)
        .collect();
    mixer.enqueue(
        PreparedTrack {
            gain_db: 3.0,
            ..track(1, &tone)
        },
        Join::Gapless,
    );
    let mut out = render(&mut mixer, 4_800);
    // `volume +6` four times, as the daemon passes it on: each a glide of the level.
    for nudge in 1..=4 {
        mixer.set_level(-24.0 + 6.0 * nudge as f32, Duration::from_millis(200));
        out.extend(render(&mut mixer, RATE as usize / 2));
    }
    let peak = true_peak_db(&out, RATE);
    assert!(peak <= f64::from(ceiling_db) + 0.1, "{peak:.2} dBTP");
    assert!(
        peak > f64::from(ceiling_db) - 0.5,
        "{peak:.2} dBTP: held, not crushed"
    );
}

#[test]
fn a_tone_under_the_ceiling_passes_through_the_mixer_unchanged() {
    let mut mixer = Mixer::new(&MixerConfig {
        ceiling_db: -30.0,
        ..config()
    });
    let tone = sine(RATE as usize, RATE, 12_000.0, 0.016);
    assert!(true_peak_db(&stereo(&tone), RATE) < -35.0);
    mixer.enqueue(track(1, &tone), Join::Gapless);
    let out = render(&mut mixer, RATE as usize);
    assert_eq!(out, stereo(&tone));
}

#[test]
fn pause_fades_out_holds_the_place_and_resumes_there() {
    let tone = sine(RATE as usize * 2, RATE, 200.0, 0.5);
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(track(1, &tone), Join::Gapless);
    render(&mut mixer, 1_000);
    mixer.set_paused(true, Duration::from_millis(20));
    let fading = left(&heard(&mut mixer, 960));
    assert!(largest_step(&fading) <= largest_step(&tone));
    // The tracks are read a look-ahead ahead of what is heard.
    let held = 1_960 + mixer.latency();
    assert_eq!(mixer.now_playing(), Some((1, held)));
    assert!(render(&mut mixer, 10_000).iter().all(|&s| s == 0.0));
    assert_eq!(mixer.now_playing(), Some((1, held)));
    mixer.set_paused(false, Duration::from_millis(20));
    let resumed = left(&heard(&mut mixer, 2_000));
    assert_eq!(resumed[1_000], tone[held + 1_000]);
}

#[test]
fn mute_keeps_the_music_running_underneath() {
    let tone = sine(RATE as usize * 2, RATE, 200.0, 0.5);
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(track(1, &tone), Join::Gapless);
    mixer.set_muted(true, Duration::from_millis(10));
    let out = left(&render(&mut mixer, 10_000));
    assert!(out[480..].iter().all(|&s| s == 0.0));
    let read = 10_000 + mixer.latency();
    assert_eq!(mixer.now_playing(), Some((1, read)));
    mixer.set_muted(false, Duration::from_millis(10));
    let out = left(&heard(&mut mixer, 1_000));
    assert_eq!(out[600], tone[read + 600]);
}

/// Offsets of the split points in frames: uneven, and mid-cycle for the tone.
const SPLITS: [usize; 2] = [39_813, 92_687];
const TOTAL: usize = 132_300;

#[test]
fn tone_split_across_three_files_plays_back_without_gap_or_overlap() {
    let rate = 44_100;
    let tone = sine(TOTAL, rate, 440.3, 0.5);
    let dir = tempfile::tempdir().unwrap();
    let bounds = [0, SPLITS[0], SPLITS[1], TOTAL];
    for format in Format::ALL {
        let mut mixer = Mixer::new(&MixerConfig { rate, ..config() });
        for part in 0..3 {
            let samples = &tone[bounds[part]..bounds[part + 1]];
            let path = write_as(dir.path(), &format!("part{part}"), format, samples, rate);
            let decoder = Decoder::open(&path).unwrap();
            let (writer, reader) = feed(TOTAL as u64);
            let mut stream = TrackStream::new(decoder, rate, 0, writer).unwrap();
            stream.fill().unwrap();
            assert_eq!(stream.frames() as usize, samples.len(), "{format:?} part {part}");
            mixer.enqueue(
                PreparedTrack {
                    feed: reader,
                    ..PreparedTrack::in_memory(part as u64, &[])
                },
                Join::Gapless,
            );
        }
        let out = left(&render(&mut mixer, TOTAL + 1_000));
        assert!(
            out[TOTAL..].iter().all(|&s| s == 0.0),
            "{format:?}: plays past the total length"
        );
        if format.is_lossless() {
            let worst = out
                .iter()
                .zip(&tone)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 2.0 / 32768.0, "{format:?}: off by {worst}");
            continue;
        }
        // Lossy codecs change the waveform a little, so check alignment: around each join the
        // output must match the unsplit tone best at a lag of exactly 0, on both sides.
        for &join in &SPLITS {
            for window in [join - 3_000..join - 500, join + 500..join + 3_000] {
                let lag = best_lag(&out, &tone, window.clone(), 60);
                assert_eq!(
                    lag, 0,
                    "{format:?}: join at {join}, window {window:?} is off by {lag}"
                );
            }
            let error = rms_error(&out, &tone, join - 200..join + 200);
            assert!(error < 0.02, "{format:?}: join at {join} differs by {error} rms");
        }
    }
}

fn rms_error(out: &[f32], reference: &[f32], range: std::ops::Range<usize>) -> f32 {
    let n = range.len() as f32;
    (range.map(|i| (out[i] - reference[i]).powi(2)).sum::<f32>() / n).sqrt()
}

#[test]
fn playlist_fades_follow_the_equal_power_curve_to_the_sample() {
    let mut mixer = Mixer::new(&MixerConfig {
        rate: 1000,
        ..config()
    });
    let fades = track(1, &[0.5; 1000]).with_fades(Duration::from_millis(100), Duration::from_millis(200));
    mixer.enqueue(fades, Join::Gapless);
    let out = left(&render(&mut mixer, 1000));
    let rising = |k: usize, n: usize| 0.5 * (k as f32 / n as f32 * std::f32::consts::FRAC_PI_2).sin();
    for (i, &s) in out.iter().enumerate() {
        let expected = if i < 100 {
            rising(i, 100)
        } else if i >= 800 {
            rising(999 - i, 200)
        } else {
            0.5
        };
        assert!((s - expected).abs() < 1e-6, "frame {i}: {s} vs {expected}");
    }
    assert_eq!((out[0], out[999]), (0.0, 0.0), "from and to true silence");
}

#[test]
fn a_gapless_join_puts_the_next_track_s_trim_in_force_from_its_first_sample() {
    // A quiet track boosted, then a loud one cut: the second's first sample already has its
    // own trim, with nothing carried over from the first.
    let mut mixer = Mixer::new(&config());
    let tone = sine(RATE as usize, RATE, 100.0, 0.1);
    for (id, gain_db) in [(1, 12.0), (2, -12.0)] {
        let mut t = track(id, &tone);
        t.gain_db = gain_db;
        mixer.enqueue(t, Join::Gapless);
    }
    let out = left(&render(&mut mixer, 2 * RATE as usize));
    let join = RATE as usize;
    for (i, (&s, &t)) in out.iter().zip(tone.iter().chain(&tone)).enumerate() {
        let gain = if i < join {
            db_to_amp(12.0)
        } else {
            db_to_amp(-12.0)
        };
        assert!((s - t * gain).abs() < 1e-6, "frame {i}: {s} vs {}", t * gain);
    }
}

#[test]
fn a_level_change_still_glides_over_its_ramp_across_a_gapless_join() {
    let mut mixer = Mixer::new(&config());
    for (id, gain_db) in [(1, 3.0), (2, -6.0)] {
        let mut t = side(id, RATE as usize / 2, true);
        t.gain_db = gain_db;
        mixer.enqueue(t, Join::Gapless);
    }
    render(&mut mixer, RATE as usize / 2 - 2_400);
    // -6 dB over 100 ms, asked for 50 ms of tracks before the join (the limiter's look-ahead
    // has already taken some of them).
    mixer.set_level(-6.0, Duration::from_millis(100));
    let join = 2_400 - mixer.latency();
    let gains = gain_left(&heard(&mut mixer, 9_600));
    let level: Vec<f32> = gains
        .iter()
        .enumerate()
        .map(|(i, g)| amp_to_db(*g) - if i < join { 3.0 } else { -6.0 })
        .collect();
    for (i, db) in level.iter().enumerate() {
        let expected = -6.0 * ((i + 1).min(4_800) as f32 / 4_800.0);
        assert!(
            (db - expected).abs() < 0.01,
            "frame {i}: level {db} dB, expected {expected}"
        );
    }
}

#[test]
fn render_until_done_stops_on_the_last_frame() {
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(track(1, &[0.25; 300]), Join::Gapless);
    mixer.enqueue(
        track(2, &[0.25; 200]),
        Join::Crossfade(Duration::from_secs_f64(100.0 / 48_000.0)),
    );
    let mut out = vec![f32::NAN; 2000];
    assert_eq!(mixer.render_until_done(&mut out), 400);
    assert!(out[800..].iter().all(|s| s.is_nan()));
    assert!(mixer.is_done());
}

#[test]
fn skip_to_plays_the_grounding_track_once_then_the_queue_goes_on() {
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(side(1, 10_000, true), Join::Gapless);
    mixer.enqueue(side(2, 1_000, true), Join::Gapless);
    render(&mut mixer, 2_000);
    mixer.skip_to(side(9, 3_000, false), Duration::from_millis(10));
    let out = heard(&mut mixer, 5_000);
    let fade = 480;
    // The grounding track (right) fades in while the first (left) fades out, plays whole, and
    // the next playlist track (left) follows it gaplessly.
    assert_eq!(gain_right(&out)[fade..3_000], vec![1.0; 3_000 - fade][..]);
    assert!(left(&out)[fade..3_000].iter().all(|&s| s == 0.0));
    assert_eq!(gain_left(&out)[3_000..4_000], vec![1.0; 1_000][..]);
    let started: Vec<u64> = mixer
        .drain_events()
        .filter_map(|e| match e {
            MixerEvent::Started { id } => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(started, [1, 9, 2]);
}

#[test]
fn rendering_in_blocks_gives_the_very_samples_of_rendering_frame_by_frame() {
    // Fades, a gapless join between trims, a crossfade, a level glide, mute and pause: the block path
    // takes its steady stretches between them, the frame-by-frame path never does.
    let build = || {
        let mut mixer = Mixer::new(&config());
        let first = PreparedTrack {
            gain_db: -3.0,
            ..track(1, &sine(RATE as usize, RATE, 440.0, 0.9))
        };
        let second = PreparedTrack {
            gain_db: -9.0,
            ..track(2, &sine(RATE as usize, RATE, 550.0, 0.9))
        };
        let third = track(3, &sine(2 * RATE as usize, RATE, 660.0, 0.9));
        let fades = (Duration::from_millis(100), Duration::from_millis(200));
        mixer.enqueue(first.with_fades(fades.0, fades.1), Join::Gapless);
        mixer.enqueue(second, Join::Gapless);
        mixer.enqueue(third, Join::Crossfade(Duration::from_millis(300)));
        mixer
    };
    let (mut blocks, mut frames) = (build(), build());
    let (mut by_block, mut by_frame) = (Vec::new(), Vec::new());
    for step in 0..200 {
        for mixer in [&mut blocks, &mut frames] {
            match step {
                10 => mixer.set_level(-6.0, Duration::from_millis(200)),
                30 => mixer.set_muted(true, Duration::from_millis(50)),
                35 => mixer.set_muted(false, Duration::from_millis(50)),
                50 => mixer.set_paused(true, Duration::from_millis(50)),
                55 => mixer.set_paused(false, Duration::from_millis(50)),
                _ => {}
            }
        }
        let mut out = vec![0.0; 1000 * CHANNELS];
        blocks.render(&mut out);
        by_block.extend_from_slice(&out);
        let rendered = frames.render_until_done(&mut out);
        by_frame.extend_from_slice(&out[..rendered * CHANNELS]);
        if rendered < 1000 {
            break;
        }
    }
    assert!(
        by_frame.len() > 3 * RATE as usize * CHANNELS,
        "{}",
        by_frame.len()
    );
    let bits = |samples: &[f32]| samples.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
    assert!(
        bits(&by_block[..by_frame.len()]) == bits(&by_frame),
        "the two paths differ"
    );
}

#[test]
fn a_stop_while_paused_lets_the_track_go_for_good() {
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(side(1, 10 * RATE as usize, true), Join::Gapless);
    render(&mut mixer, 1_000);
    mixer.set_paused(true, Duration::from_millis(20));
    render(&mut mixer, 2_000);
    // A stop fade frozen by the pause would play out after the resume, into what plays then.
    mixer.stop(Duration::from_secs(10));
    assert!(mixer.is_idle(), "the stopped track is still held");
    assert!(!mixer.is_heard());
    mixer.set_paused(false, Duration::from_millis(20));
    mixer.enqueue(
        side(2, 2 * RATE as usize, false),
        Join::Crossfade(Duration::from_millis(10)),
    );
    let out = render(&mut mixer, RATE as usize);
    assert!(
        left(&out).iter().all(|&s| s == 0.0),
        "the stopped track came back"
    );
    assert_eq!(gain_right(&out)[RATE as usize / 2], 1.0);
    let events: Vec<_> = mixer.drain_events().collect();
    assert!(events.contains(&MixerEvent::Abandoned {
        id: 1,
        at_frame: 1_960 + mixer.latency()
    }));
}

#[test]
fn a_pause_that_reaches_silence_lets_go_of_a_crossfade_s_outgoing_track() {
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(side(1, RATE as usize, true), Join::Gapless);
    mixer.enqueue(
        side(2, 4 * RATE as usize, false),
        Join::Crossfade(Duration::from_secs(1)),
    );
    // Halfway through the crossfade, pause; resume much later.
    render(&mut mixer, RATE as usize / 2);
    mixer.set_paused(true, Duration::from_millis(20));
    render(&mut mixer, 10_000);
    mixer.set_paused(false, Duration::from_millis(20));
    let out = render(&mut mixer, RATE as usize);
    assert!(
        left(&out).iter().all(|&s| s == 0.0),
        "the outgoing track came back"
    );
    assert_eq!(
        gain_right(&out)[RATE as usize - 1],
        1.0,
        "the incoming track goes on"
    );
    let events: Vec<_> = mixer.drain_events().collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, MixerEvent::Abandoned { id: 1, .. }))
    );
}

#[test]
fn a_level_set_at_once_ignores_the_slew_limit() {
    let mut mixer = Mixer::new(&config());
    assert!(!mixer.is_heard(), "nothing plays");
    mixer.set_level_now(-30.0);
    mixer.enqueue(track(1, &[0.5; 100]), Join::Gapless);
    assert!(mixer.is_heard());
    let out = left(&render(&mut mixer, 100));
    assert!(out.iter().all(|&s| (amp_to_db(s / 0.5) + 30.0).abs() < 1e-3));
}

/// A track whose feed holds `lead_in` frames at `lead`, then `body` frames at `level`, then
/// `tail` frames at `ring`, as a converter in a gapless run gives them.
fn run_track(
    id: u64,
    follows: Option<u64>,
    (lead_in, body, tail): (usize, usize, usize),
    values: [f32; 3],
) -> PreparedTrack {
    let [lead, level, ring] = values;
    let mono: Vec<f32> = std::iter::repeat_n(lead, lead_in)
        .chain(std::iter::repeat_n(level, body))
        .chain(std::iter::repeat_n(ring, tail))
        .collect();
    let samples = stereo(&mono);
    let frames = mono.len() as u64;
    let (mut writer, reader) = feed(frames);
    let mut at = 0;
    while at < samples.len() {
        at += writer.write(&samples[at..]) * 2;
    }
    writer.finish_with_tail(frames, tail as u64, false);
    PreparedTrack {
        feed: reader,
        lead_in: lead_in as u64,
        follows,
        ..PreparedTrack::in_memory(id, &[])
    }
}

/// The next track of a gapless run starts under the tail of the one before, its lead-in over
/// that one's last frames: the run's length is its tracks' own, and the overlap sums.
#[test]
fn a_run_s_next_track_starts_its_lead_in_under_the_tail_of_the_one_before() {
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(
        run_track(1, None, (0, 1_000, 100), [0.0, 0.125, 0.03125]),
        Join::Gapless,
    );
    mixer.enqueue(
        run_track(2, Some(1), (50, 1_000, 100), [0.0625, 0.25, 0.0]),
        Join::Gapless,
    );
    let out = left(&render(&mut mixer, 2_200));
    let at = |range: std::ops::Range<usize>, value: f32| {
        assert!(
            out[range.clone()].iter().all(|&s| (s - value).abs() < 1e-6),
            "{:?}: {:?} not {value}",
            range.clone(),
            &out[range]
        );
    };
    at(0..950, 0.125);
    at(950..1_000, 0.125 + 0.0625);
    at(1_000..1_100, 0.03125 + 0.25);
    at(1_100..2_000, 0.25);
    // The last track's tail has nothing to sum with: it is left out.
    at(2_000..2_200, 0.0);
}

/// A track resampled after one it does not follow here (the track a grounding skip put
/// between them), or reached by a crossfade, is heard from its first sample: its lead-in is
/// passed over, and the track before ends on its own last sample.
#[test]
fn a_lead_in_is_passed_over_and_a_tail_left_out_where_nothing_overlaps_them() {
    let mut mixer = Mixer::new(&config());
    mixer.enqueue(
        run_track(3, None, (0, 1_000, 100), [0.0, 0.125, 0.5]),
        Join::Gapless,
    );
    mixer.enqueue(
        run_track(2, Some(1), (50, 1_000, 100), [0.5, 0.25, 0.5]),
        Join::Gapless,
    );
    let out = left(&render(&mut mixer, 2_100));
    assert!(out[..1_000].iter().all(|&s| s == 0.125), "{:?}", &out[990..1_000]);
    assert!(
        out[1_000..2_000].iter().all(|&s| s == 0.25),
        "{:?}",
        &out[1_000..1_010]
    );
    assert!(out[2_000..].iter().all(|&s| s == 0.0));
}
