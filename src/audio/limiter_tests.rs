use super::*;
use crate::audio::gain::db_to_amp;
use crate::audio::test_media::{longest_run_at_ceiling, sine, true_peak_db};

const RATE: u32 = 48_000;

/// Runs interleaved stereo through the limiter and returns what comes out, aligned with what
/// went in (the latency flushed with silence and dropped from the front).
fn limit(limiter: &mut Limiter, stereo: &[f32]) -> Vec<f32> {
    let latency = limiter.latency();
    let silence = vec![0.0; latency * 2];
    let mut out = Vec::with_capacity(stereo.len() + silence.len());
    for frame in stereo.chunks_exact(2).chain(silence.chunks_exact(2)) {
        let (l, r) = limiter.process(frame[0], frame[1]);
        out.extend([l, r]);
    }
    out.drain(..latency * 2);
    out
}

fn stereo(mono: &[f32]) -> Vec<f32> {
    mono.iter().flat_map(|&s| [s, s]).collect()
}

/// A sine at `freq` starting `phase` radians in, `amp` its (true) peak.
fn sine_at(freq: f64, phase: f64, amp: f32, frames: usize) -> Vec<f32> {
    let step = std::f64::consts::TAU * freq / f64::from(RATE);
    (0..frames)
        .map(|i| amp * (step * i as f64 + phase).sin() as f32)
        .collect()
}

#[test]
fn a_12_khz_sine_is_held_at_the_ceiling_between_its_samples() {
    let ceiling_db = -1.0;
    // Sampled at 45 degrees, every sample is 3 dB under the sine's true peak of 0 dBTP.
    for phase in [0.0, std::f64::consts::FRAC_PI_4, 0.3] {
        let input = stereo(&sine_at(12_000.0, phase, 1.0, RATE as usize));
        let mut limiter = Limiter::new(db_to_amp(ceiling_db), RATE);
        let out = limit(&mut limiter, &input);
        let peak = true_peak_db(&out, RATE);
        assert!(
            peak <= f64::from(ceiling_db) + 0.1,
            "phase {phase}: {peak:.2} dBTP"
        );
        // Held, not crushed: the steady part sits just under the ceiling.
        let settled = true_peak_db(&out[RATE as usize..], RATE);
        assert!(
            settled > f64::from(ceiling_db) - 0.5,
            "phase {phase}: {settled:.2} dBTP"
        );
    }
}

#[test]
fn driven_noise_stays_under_the_ceiling() {
    let ceiling_db = -1.0;
    // Deterministic white noise, 12 dB hot.
    let mut state = 0x2545_f491_u32;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32 * 2.0 - 1.0) * 4.0
    };
    let input: Vec<f32> = (0..RATE as usize * 2).map(|_| noise()).collect();
    let mut limiter = Limiter::new(db_to_amp(ceiling_db), RATE);
    let out = limit(&mut limiter, &input);
    let peak = true_peak_db(&out, RATE);
    assert!(peak <= f64::from(ceiling_db) + 0.1, "{peak:.2} dBTP");
}

#[test]
fn what_is_under_the_ceiling_passes_bit_for_bit() {
    let ceiling = db_to_amp(-1.0);
    // True peak -1.5 dBTP, at 12 kHz, where sample peaks are well under it.
    let input = stereo(&sine_at(12_000.0, 0.3, db_to_amp(-1.5), RATE as usize / 2));
    let mut limiter = Limiter::new(ceiling, RATE);
    let out = limit(&mut limiter, &input);
    assert_eq!(out, input);
    assert_eq!(limiter.gain(), 1.0);
}

#[test]
fn a_loud_sine_is_turned_down_not_flattened() {
    let ceiling = db_to_amp(-1.0);
    for freq in [50.0, 100.0, 1_000.0] {
        let input = stereo(&sine(RATE as usize, RATE, freq, 2.0));
        let mut limiter = Limiter::new(ceiling, RATE);
        let out = limit(&mut limiter, &input);
        let run = longest_run_at_ceiling(&out, 0, 2, ceiling);
        assert!(run < 3, "{freq} Hz: {run} samples pinned at the ceiling");
    }
}

#[test]
fn the_gain_glides_down_before_a_peak_and_recovers_after() {
    let ceiling = 0.5;
    let mut limiter = Limiter::new(ceiling, RATE);
    let mut input = vec![0.25f32; 4_000];
    input[2_000] = 1.0;
    let out = limit(&mut limiter, &stereo(&input));
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    assert!(left[2_000] <= ceiling);
    // No step anywhere: the most the output moves between frames is the gain's slope.
    let largest_step = left[1_000..1_999]
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(largest_step < 0.01, "{largest_step}");
    // Ahead of the look-ahead, untouched.
    assert_eq!(left[2_000 - limiter.look_ahead - 1], 0.25);
    assert!(left[2_001] < 0.25 && left[3_999] > left[2_100]);
}

#[test]
fn never_exceeds_the_ceiling_whatever_comes_in() {
    let mut limiter = Limiter::new(0.5, 1000);
    let mut out = Vec::new();
    for s in [4.0, -8.0, f32::INFINITY, f32::NAN, 1e30, f32::MAX, -f32::MAX] {
        out.push(limiter.process(s, -s));
    }
    // Three seconds: twenty times the release.
    for _ in 0..3000 {
        out.push(limiter.process(0.0, 0.0));
    }
    assert!(
        out.iter().all(|(l, r)| l.abs() <= 0.5 && r.abs() <= 0.5),
        "{out:?}"
    );
    assert_eq!(limiter.gain(), 1.0);
}

#[test]
fn blocks_give_the_very_samples_of_frame_by_frame() {
    let ceiling = db_to_amp(-1.0);
    // Quiet stretches long and short, loud bursts the limiter must act on, peaks between the
    // quiet threshold and the ceiling that it must only watch, and samples that are not finite.
    let mut input = stereo(&sine_at(220.0, 0.0, 0.2, RATE as usize));
    let burst = stereo(&sine_at(1_000.0, 0.1, 2.0, 3_000));
    input[40_000..40_000 + burst.len()].copy_from_slice(&burst);
    let watched = stereo(&sine_at(12_000.0, 0.3, db_to_amp(-1.5), 500));
    input[70_000..70_000 + watched.len()].copy_from_slice(&watched);
    for (at, bad) in [
        (5_001, f32::NAN),
        (60_000, f32::INFINITY),
        (90_002, -0.0),
        (90_010, 0.95),
    ] {
        input[at] = bad;
    }
    let mut frames = Limiter::new(ceiling, RATE);
    let expected: Vec<f32> = input
        .chunks_exact(2)
        .flat_map(|frame| {
            let (left, right) = frames.process(frame[0], frame[1]);
            [left, right]
        })
        .collect();
    for sizes in [&[4096][..], &[1, 67, 68, 69, 500, 7, 3000], &[13, 128, 2048, 1]] {
        let mut blocks = Limiter::new(ceiling, RATE);
        let mut out = input.clone();
        let mut at = 0;
        for &size in sizes.iter().cycle() {
            if at == out.len() {
                break;
            }
            let end = out.len().min(at + size * 2);
            blocks.process_block(&mut out[at..end]);
            at = end;
        }
        let same = out.iter().zip(&expected).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "blocks of {sizes:?} differ from frame by frame");
        assert_eq!(blocks.gain(), frames.gain());
    }
}
