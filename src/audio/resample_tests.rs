use super::*;
use crate::audio::test_media::sine;

/// Converts `input` in pieces of `piece` frames, as the loader does, and flushes; returns the
/// whole output (lead-in and tail included) and where the track lies in it.
fn convert_in_run(
    input: &[f32],
    (from, to): (u32, u32),
    channels: u16,
    piece: usize,
    before: u64,
) -> (Vec<f32>, Layout) {
    let mut converter = Converter::in_run(from, to, channels, before).unwrap();
    let mut out = Vec::new();
    for part in input.chunks(piece * usize::from(channels)) {
        converter.push(part, &mut out).unwrap();
    }
    converter.finish(&mut out).unwrap();
    assert_eq!(converter.emitted() as usize, out.len() / 2);
    let layout = converter.finished_layout();
    assert_eq!(layout.end as usize, out.len() / 2);
    (out, layout)
}

/// The track alone, as heard when nothing overlaps its lead-in and tail.
fn convert(input: &[f32], from: u32, to: u32, channels: u16, piece: usize) -> Vec<f32> {
    let (out, layout) = convert_in_run(input, (from, to), channels, piece, 0);
    assert_eq!(layout.lead_in, 0);
    out[..layout.body_end as usize * 2].to_vec()
}

#[test]
fn mono_is_copied_to_both_sides() {
    assert_eq!(
        convert(&[0.1, 0.2, 0.3], 48_000, 48_000, 1, 2),
        [0.1, 0.1, 0.2, 0.2, 0.3, 0.3]
    );
}

#[test]
fn more_than_two_channels_is_refused() {
    let err = Converter::new(48_000, 48_000, 6).err().unwrap();
    assert!(matches!(err, PrepareError::Channels { channels: 6 }));
}

/// Amplitude and phase of `signal` at `freq`, fitted over `range` (a whole number of cycles).
fn fit(signal: &[f32], freq: f64, rate: u32, range: std::ops::Range<usize>) -> (f64, f64) {
    let n = range.len() as f64;
    let (mut s, mut c) = (0.0, 0.0);
    for i in range {
        let phase = std::f64::consts::TAU * freq * i as f64 / f64::from(rate);
        s += f64::from(signal[i]) * phase.sin();
        c += f64::from(signal[i]) * phase.cos();
    }
    (2.0 * s.hypot(c) / n, c.atan2(s))
}

#[test]
fn resampling_keeps_duration_pitch_and_level() {
    for (from, to) in [(44_100, 48_000), (22_050, 48_000)] {
        let freq = 441.0;
        let tone = sine(from as usize, from, freq as f32, 0.5);
        let out = convert(&tone, from, to, 1, 1_000);
        assert_eq!(out.len() / 2, to as usize);
        let left: Vec<f32> = out.iter().step_by(2).copied().collect();
        // Away from the edges: the same level, and the same phase in both halves, so the same
        // pitch.
        let tenth = to as usize / 10;
        let (amp_a, phase_a) = fit(&left, freq, to, tenth..5 * tenth);
        let (amp_b, phase_b) = fit(&left, freq, to, 5 * tenth..9 * tenth);
        assert!(
            (amp_a - 0.5).abs() < 1e-3 && (amp_b - 0.5).abs() < 1e-3,
            "{from}: {amp_a} {amp_b}"
        );
        assert!(
            (phase_a - phase_b).abs() < 1e-3,
            "{from}: pitch drifts: {phase_a} vs {phase_b}"
        );
        // The whole stays within a sample of where it was, counted at the source's rate: the
        // FFT filter's delay is a whole number of output frames plus about half an input one,
        // the same for every track, so joins stay aligned.
        let offset = phase_a / (std::f64::consts::TAU * freq / f64::from(to));
        let offset_in = offset * f64::from(from) / f64::from(to);
        assert!(
            offset_in.abs() < 0.6,
            "{from}: shifted by {offset_in} source samples"
        );
    }
}

#[test]
fn the_length_is_exact_whatever_the_pieces() {
    for (from, to) in [
        (22_050, 48_000),
        (44_100, 48_000),
        (48_000, 22_050),
        (22_050, 44_100),
    ] {
        for frames in [0usize, 1, 146, 147, 1_000, 12_345, 100_000] {
            let tone = sine(frames, from, 300.0, 0.5);
            let expected = output_frames(frames as u64, from, to) as usize;
            let whole = convert(&tone, from, to, 1, frames.max(1));
            assert_eq!(whole.len() / 2, expected, "{from} -> {to}, {frames} frames");
            // Pieces of any size give the very same samples.
            assert_eq!(
                convert(&tone, from, to, 1, 333),
                whole,
                "{from} -> {to}, {frames}"
            );
        }
    }
    assert_eq!(output_frames(3, 22_050, 48_000), 7, "6.53 rounds to 7");
}

#[test]
fn stereo_keeps_its_sides_apart() {
    let frames = 22_050;
    let left = sine(frames, 22_050, 200.0, 0.5);
    let input: Vec<f32> = left.iter().flat_map(|&s| [s, 0.0]).collect();
    let out = convert(&input, 22_050, 48_000, 2, 777);
    assert_eq!(out.len() / 2, 48_000);
    assert!(out.iter().skip(1).step_by(2).all(|&s| s == 0.0));
    let peak = out.iter().step_by(2).fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((peak - 0.5).abs() < 0.01, "{peak}");
}

/// A continuous tone cut into tracks of awkward lengths: each converted in its run and laid
/// over the next as the mixer lays them is the tone resampled in one go, to float rounding.
#[test]
fn a_run_of_tracks_sums_to_the_joined_stream_resampled_at_once() {
    for (from, to) in [(44_100, 48_000), (48_000, 44_100), (22_050, 48_000)] {
        for lengths in [[30_001usize, 2_058, 44_100], [3_000, 5_000, 7_000]] {
            let total: usize = lengths.iter().sum();
            let tone = sine(total, from, 997.0, 0.5);
            let whole = convert(&tone, from, to, 1, 4_096);
            let mut sum = vec![0.0f32; whole.len() + 8_192];
            let mut before = 0usize;
            for (index, &frames) in lengths.iter().enumerate() {
                let part = &tone[before..before + frames];
                let (out, layout) = convert_in_run(part, (from, to), 1, 500, before as u64);
                assert_eq!(
                    layout.body(),
                    output_frames((before + frames) as u64, from, to)
                        - output_frames(before as u64, from, to),
                    "{from} -> {to}: track {index}'s own length"
                );
                // Where its first sample falls in the run, less its lead-in.
                let at = output_frames(before as u64, from, to) as usize - layout.lead_in as usize;
                for (i, &s) in out.iter().enumerate() {
                    sum[at * 2 + i] += s;
                }
                before += frames;
            }
            let worst = whole
                .iter()
                .zip(&sum)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "{from} -> {to} {lengths:?}: off by {worst}");
        }
    }
}

#[test]
fn a_track_can_be_followed_once_it_spans_two_blocks() {
    let converter = Converter::new(44_100, 48_000, 1).unwrap();
    assert!(!converter.can_run_on(1_000));
    assert!(converter.can_run_on(44_100));
    let same_rate = Converter::new(48_000, 48_000, 1).unwrap();
    assert!(
        !same_rate.can_run_on(48_000),
        "nothing to join where nothing is resampled"
    );
}
