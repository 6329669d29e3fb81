//! The output ceiling: a stereo-linked true-peak limiter with a short look-ahead.
//!
//! The peak it holds is the true peak, the one a converter reconstructs between samples, found
//! as ITU-R BS.1770-4 Annex 2 finds it: by interpolating each interval at four times the rate.
//! A sample peak under the ceiling can still reconstruct well over it (a 12 kHz sine at 48 kHz
//! peaks up to 3 dB between its samples), and that is what a DAC clips on.
//!
//! The gain never steps: it glides down over the look-ahead so that it has arrived by the time
//! the loud frame comes out, and recovers slowly afterwards, so waveforms are turned down
//! rather than flattened. Under the ceiling the gain is exactly 1 and the samples pass bit for
//! bit; the price is [`Limiter::latency`] frames of delay (about 1.4 ms at 48 kHz). A final
//! clamp only guards against rounding and non-finite samples.

use std::collections::VecDeque;

/// How far ahead the gain looks: the time its attack takes. Short, because it is latency.
const LOOK_AHEAD_SECONDS: f64 = 0.0013;
/// How long the gain takes to recover most of the way after a loud passage.
const RELEASE_SECONDS: f64 = 0.15;
/// Oversampling of the true-peak detection, as BS.1770-4 Annex 2 asks at 48 kHz.
const OVERSAMPLING: usize = 4;
/// Taps per interpolation phase (BS.1770-4's filter has 12 per phase too).
const TAPS: usize = 12;
/// Input frames before an interval's start that its interpolation reads.
const TAPS_BEFORE: usize = TAPS / 2 - 1;
/// Closer to 1 than this the released gain is 1: below any audible or measurable difference,
/// and it lets the limiter become bit-transparent again.
const UNITY_SNAP: f64 = 1e-6;

#[derive(Debug, Clone)]
pub struct Limiter {
    ceiling: f32,
    look_ahead: usize,
    /// In f64: in f32 the last steps towards 1 would round to nothing.
    release: f64,
    /// Interpolation taps, one row per phase between two samples (1/4, 2/4, 3/4).
    phases: [[f32; TAPS]; OVERSAMPLING - 1],
    /// The last `latency() + 1` input frames, oldest first: the delay line and, at its end,
    /// the interpolator's history.
    input: VecDeque<[f32; 2]>,
    /// Room for the frames a block leaves in the delay line while the block is shifted.
    spare: Vec<[f32; 2]>,
    /// The true peak of the previous interval, so each frame's gain covers both its sides.
    previous_interval_peak: f32,
    /// Under this no interpolated point can pass the ceiling, whatever the samples around it:
    /// the ceiling over the largest sum of a phase's absolute taps.
    quiet: f32,
    /// Input frames since one was over `quiet`: once every tap is quiet, nothing is computed.
    since_loud: usize,
    /// Frames analysed so far, numbering the entries of `window`.
    analysed: u64,
    /// The gains the coming frames need, as a rising sequence (a sliding minimum).
    window: VecDeque<(u64, f32)>,
    /// The released gain, before smoothing.
    released: f64,
    /// The last `look_ahead` released gains, averaged into the gain applied.
    smoothing: VecDeque<f64>,
    smoothing_sum: f64,
    /// How many of `smoothing` are below 1: none means the gain is exactly 1.
    below_unity: usize,
    gain: f32,
}

impl Limiter {
    pub fn new(ceiling_amp: f32, sample_rate: u32) -> Self {
        let rate = f64::from(sample_rate.max(1));
        // Never shorter than the interpolator's reach, which the delay line also holds.
        let look_ahead = ((LOOK_AHEAD_SECONDS * rate).round() as usize).max(TAPS - TAPS_BEFORE);
        let release = 1.0 - (-1.0 / (RELEASE_SECONDS * rate)).exp();
        let phases = interpolation_phases();
        let reach = phases
            .iter()
            .map(|phase| phase.iter().map(|t| t.abs()).sum::<f32>())
            .fold(1.0, f32::max);
        let mut limiter = Limiter {
            ceiling: ceiling_amp.max(0.0),
            look_ahead,
            release,
            phases,
            quiet: ceiling_amp.max(0.0) / reach,
            since_loud: 0,
            input: VecDeque::new(),
            spare: Vec::new(),
            previous_interval_peak: 0.0,
            analysed: 0,
            window: VecDeque::new(),
            released: 1.0,
            smoothing: VecDeque::from(vec![1.0; look_ahead]),
            smoothing_sum: look_ahead as f64,
            below_unity: 0,
            gain: 1.0,
        };
        limiter.input = VecDeque::from(vec![[0.0; 2]; limiter.latency() + 1]);
        limiter
    }

    pub fn ceiling(&self) -> f32 {
        self.ceiling
    }

    /// Frames between a frame going in and the same frame coming out.
    pub fn latency(&self) -> usize {
        // The gain for a frame is known once the look-ahead past it has been analysed, and a
        // frame is analysed once the interpolator has the taps after it.
        self.look_ahead - 1 + (TAPS - TAPS_BEFORE - 1)
    }

    /// The gain applied to the frame last given out, as an amplitude factor (1.0 when idle).
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Takes the next input frame and gives out the frame [`Limiter::latency`] frames older.
    pub fn process(&mut self, left: f32, right: f32) -> (f32, f32) {
        let (left, right) = (finite(left), finite(right));
        self.input.pop_front();
        self.input.push_back([left, right]);
        self.since_loud = if left.abs().max(right.abs()) > self.quiet {
            0
        } else {
            self.since_loud.saturating_add(1)
        };
        let quiet = self.since_loud >= TAPS;
        if quiet && self.is_idle() {
            // Nearly all of the time: nothing near the ceiling within the look-ahead, and no
            // reduction left to release, so the frame comes out as it went in.
            self.analysed += 1;
            self.previous_interval_peak = 0.0;
            let [l, r] = self.input[0];
            return (l, r);
        }
        // The interval starting TAPS - TAPS_BEFORE - 1 frames back has all its taps now; when
        // all of them are quiet it cannot reach the ceiling, which is all that is asked of it.
        let interval_peak = if quiet { 0.0 } else { self.interval_peak() };
        let peak = interval_peak.max(self.previous_interval_peak);
        self.previous_interval_peak = interval_peak;
        let needed = if peak > self.ceiling {
            self.ceiling / peak
        } else {
            1.0
        };
        self.push_needed(needed);
        let ahead = self.window.front().map_or(1.0, |&(_, g)| f64::from(g));
        let recovered = self.released + (1.0 - self.released) * self.release;
        self.released = if recovered > 1.0 - UNITY_SNAP {
            1.0
        } else {
            recovered
        }
        .min(ahead);
        self.gain = self.smooth(self.released);
        let [l, r] = self.input[0];
        if self.gain == 1.0 && l.abs() <= self.ceiling && r.abs() <= self.ceiling {
            return (l, r);
        }
        let clamp = |s: f32| (s * self.gain).clamp(-self.ceiling, self.ceiling);
        (clamp(l), clamp(r))
    }

    /// [`Limiter::process`] over each frame of `block` (interleaved stereo) in place: the very
    /// same samples out. Where nothing comes near the ceiling, which is nearly all of the time,
    /// the frames are moved through the delay line a slice at a time rather than one by one.
    pub fn process_block(&mut self, block: &mut [f32]) {
        for sample in block.iter_mut() {
            *sample = finite(*sample);
        }
        let frames = block.len() / 2;
        let latency = self.latency();
        let mut at = 0;
        while at < frames {
            let rest = &mut block[at * 2..frames * 2];
            // From the next frame on, every quiet frame takes `process`'s idle path.
            let run = if self.since_loud.saturating_add(1) >= TAPS && self.is_idle() {
                quiet_run(rest, self.quiet)
            } else {
                0
            };
            if run > latency {
                self.pass_idle(&mut rest[..run * 2]);
                at += run;
                continue;
            }
            let step = run.max(1);
            for frame in rest[..step * 2].chunks_exact_mut(2) {
                let (left, right) = self.process(frame[0], frame[1]);
                frame[0] = left;
                frame[1] = right;
            }
            at += step;
        }
    }

    /// `process`'s idle path for every frame of `run` (more frames than the latency, all
    /// quiet, the limiter idle): what comes out is the delay line, then the run shifted by
    /// the latency, and the delay line keeps the run's last frames.
    fn pass_idle(&mut self, run: &mut [f32]) {
        let frames = run.len() / 2;
        let latency = self.latency();
        debug_assert!(frames > latency && self.input.len() == latency + 1);
        self.since_loud = self.since_loud.saturating_add(frames);
        self.analysed += frames as u64;
        self.previous_interval_peak = 0.0;
        let kept = (frames - latency) * 2;
        self.spare.clear();
        self.spare
            .extend(run[kept..].chunks_exact(2).map(|frame| [frame[0], frame[1]]));
        run.copy_within(..kept, latency * 2);
        for (out, delayed) in run.chunks_exact_mut(2).zip(self.input.range(1..)) {
            out.copy_from_slice(delayed);
        }
        // The newest frame not yet out, then the ones after it.
        let last = (frames - 1) * 2;
        self.input.clear();
        self.input.push_back([run[last], run[last + 1]]);
        self.input.extend(self.spare.iter().copied());
    }

    /// Gain 1, nothing to release, and nothing in the look-ahead that needs less.
    fn is_idle(&self) -> bool {
        self.gain == 1.0
            && self.released == 1.0
            && self.below_unity == 0
            && self.window.front().is_none_or(|&(_, g)| g >= 1.0)
    }

    /// The largest of both channels' samples at the start of the newest complete interval and
    /// of the three points interpolated inside it.
    fn interval_peak(&self) -> f32 {
        let taps_start = self.input.len() - TAPS;
        let start = taps_start + TAPS_BEFORE;
        let mut peak = self.input[start][0].abs().max(self.input[start][1].abs());
        for phase in &self.phases {
            let mut sums = [0.0f32; 2];
            for (tap, frame) in phase.iter().zip(self.input.range(taps_start..)) {
                sums[0] += tap * frame[0];
                sums[1] += tap * frame[1];
            }
            peak = peak.max(sums[0].abs()).max(sums[1].abs());
        }
        if peak.is_finite() { peak } else { f32::MAX }
    }

    /// Adds the gain the newest analysed frame needs to the sliding minimum over the look-ahead.
    fn push_needed(&mut self, needed: f32) {
        let at = self.analysed;
        self.analysed += 1;
        while self.window.back().is_some_and(|&(_, g)| g >= needed) {
            self.window.pop_back();
        }
        self.window.push_back((at, needed));
        let oldest = at.saturating_sub(self.look_ahead as u64 - 1);
        while self.window.front().is_some_and(|&(i, _)| i < oldest) {
            self.window.pop_front();
        }
    }

    /// The mean of the last `look_ahead` released gains: each of them is at most what the frame
    /// coming out needs (the minimum they were taken from looked that far ahead), so the mean
    /// is too, and it moves in a straight line rather than a step.
    fn smooth(&mut self, released: f64) -> f32 {
        let leaving = self.smoothing.pop_front().unwrap_or(1.0);
        self.smoothing.push_back(released);
        if leaving < 1.0 {
            self.below_unity -= 1;
        }
        if released < 1.0 {
            self.below_unity += 1;
        }
        if self.below_unity == 0 {
            self.smoothing_sum = self.look_ahead as f64;
            return 1.0;
        }
        self.smoothing_sum += released - leaving;
        ((self.smoothing_sum / self.look_ahead as f64) as f32).min(1.0)
    }
}

/// Windowed-sinc taps for the points 1/4, 2/4 and 3/4 of the way through an interval, over
/// the interval's TAPS_BEFORE + 1 frames before its end and the TAPS - TAPS_BEFORE - 1 after.
/// Each phase is scaled to a DC gain of 1 so that a constant is reconstructed as itself.
fn interpolation_phases() -> [[f32; TAPS]; OVERSAMPLING - 1] {
    let half_width = TAPS as f64 / 2.0 + 0.5;
    let mut phases = [[0.0f32; TAPS]; OVERSAMPLING - 1];
    for (p, phase) in phases.iter_mut().enumerate() {
        let offset = (p + 1) as f64 / OVERSAMPLING as f64;
        let mut taps = [0.0f64; TAPS];
        for (k, tap) in taps.iter_mut().enumerate() {
            // Distance from the point to the tap's frame, in frames.
            let t = offset - (k as f64 - TAPS_BEFORE as f64);
            let sinc = if t == 0.0 {
                1.0
            } else {
                (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
            };
            let window = 0.5 * (1.0 + (std::f64::consts::PI * t / half_width).cos());
            *tap = sinc * window;
        }
        let sum: f64 = taps.iter().sum();
        for (out, tap) in phase.iter_mut().zip(taps) {
            *out = (tap / sum) as f32;
        }
    }
    phases
}

/// How many of the first frames of `block` (interleaved stereo, finite) have no sample over
/// `quiet`. Checked a few frames at a time, which the compiler can vectorise.
fn quiet_run(block: &[f32], quiet: f32) -> usize {
    const STRIDE: usize = 32;
    let mut frames = 0;
    for chunk in block.chunks(STRIDE) {
        if chunk.iter().fold(false, |loud, s| loud | (s.abs() > quiet)) {
            let loud_at = chunk
                .chunks_exact(2)
                .position(|frame| frame[0].abs().max(frame[1].abs()) > quiet);
            return frames + loud_at.unwrap_or(0);
        }
        frames += chunk.len() / 2;
    }
    frames
}

fn finite(sample: f32) -> f32 {
    if sample.is_finite() { sample } else { 0.0 }
}

#[cfg(test)]
#[path = "limiter_tests.rs"]
mod tests;
