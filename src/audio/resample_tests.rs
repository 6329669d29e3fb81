use super::*;
use crate::audio::test_media::sine;

/// Converts `input` in pieces of `piece` frames, as the loader does, and flushes.
fn convert(input: &[f32], from: u32, to: u32, channels: u16, piece: usize) -> Vec<f32> {
    let mut converter = Converter::new(from, to, channels).unwrap();
    let mut out = Vec::new();
    for part in input.chunks(piece * usize::from(channels)) {
        converter.push(part, &mut out).unwrap();
    }
    converter.finish(&mut out).unwrap();
    assert_eq!(converter.emitted() as usize, out.len() / 2);
    out
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
