//! The output ceiling: a look-ahead-free peak limiter with a final clamp.
//!
//! Gain drops at once to whatever keeps the loudest channel at the ceiling (a stereo-linked,
//! instant attack) and recovers over about 100 ms, so after the first peak of a too-loud passage
//! the following ones pass undistorted. Without look-ahead that first peak is bent, which is the
//! price of never being late; the clamp after it only guards against rounding and non-finite
//! samples, so the ceiling holds for any input.

const RELEASE_SECONDS: f32 = 0.1;

#[derive(Debug, Clone)]
pub struct Limiter {
    ceiling: f32,
    gain: f32,
    release: f32,
}

impl Limiter {
    pub fn new(ceiling_amp: f32, sample_rate: u32) -> Self {
        let release = 1.0 - (-1.0 / (RELEASE_SECONDS * sample_rate as f32)).exp();
        Limiter {
            ceiling: ceiling_amp.max(0.0),
            gain: 1.0,
            release,
        }
    }

    pub fn ceiling(&self) -> f32 {
        self.ceiling
    }

    /// Current gain reduction as an amplitude factor (1.0 when idle).
    pub fn gain(&self) -> f32 {
        self.gain
    }

    pub fn process(&mut self, left: f32, right: f32) -> (f32, f32) {
        let (left, right) = (finite(left), finite(right));
        let peak = left.abs().max(right.abs());
        let allowed = if peak > self.ceiling {
            self.ceiling / peak
        } else {
            1.0
        };
        self.gain = (self.gain + (1.0 - self.gain) * self.release).min(allowed);
        let clamp = |s: f32| (s * self.gain).clamp(-self.ceiling, self.ceiling);
        (clamp(left), clamp(right))
    }
}

fn finite(sample: f32) -> f32 {
    if sample.is_finite() { sample } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_signal_passes_untouched() {
        let mut limiter = Limiter::new(0.5, 48_000);
        assert_eq!(limiter.process(0.25, -0.5), (0.25, -0.5));
        assert_eq!(limiter.gain(), 1.0);
    }

    #[test]
    fn never_exceeds_the_ceiling_and_recovers() {
        let mut limiter = Limiter::new(0.5, 1000);
        for s in [4.0, -8.0, f32::INFINITY, f32::NAN, 1e30] {
            let (l, r) = limiter.process(s, -s);
            assert!(l.abs() <= 0.5 && r.abs() <= 0.5, "{s}: {l} {r}");
        }
        for _ in 0..2000 {
            limiter.process(0.0, 0.0);
        }
        assert!(limiter.gain() > 0.99);
    }
}
