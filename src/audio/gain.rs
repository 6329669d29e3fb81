//! Gain arithmetic: dB helpers, the per-sample ramp every gain change goes through, and the
//! equal-power crossfade curve.
//!
//! The ramp is linear in dB, not in amplitude: a fade linear in dB sounds even from start to
//! end, whereas one linear in amplitude seems to hang near full level and then drop away; and a
//! slew limit in dB per second means the same audible speed whatever the starting level. The
//! cost is that dB never reaches silence, so below [`SILENCE_DB`] the ramp outputs exactly 0: a
//! step from -90 dBFS to nothing is far below hearing and below the noise of any room.

use std::f32::consts::FRAC_PI_2;

/// Levels at or below this are silence.
pub const SILENCE_DB: f32 = -90.0;

pub fn db_to_amp(db: f32) -> f32 {
    if db <= SILENCE_DB {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
}

pub fn amp_to_db(amp: f32) -> f32 {
    if amp <= 0.0 {
        SILENCE_DB
    } else {
        (20.0 * amp.log10()).max(SILENCE_DB)
    }
}

/// Equal-power crossfade gains at progress `t` in 0..=1: `(outgoing, incoming)`. The squares sum
/// to 1, so two uncorrelated pieces of music keep the same loudness through the fade.
pub fn equal_power(t: f32) -> (f32, f32) {
    let angle = t.clamp(0.0, 1.0) * FRAC_PI_2;
    (angle.cos(), angle.sin())
}

/// A gain that glides to its target at no more than a fixed number of dB per sample.
#[derive(Debug, Clone)]
pub struct GainRamp {
    current_db: f32,
    target_db: f32,
    step_db: f32,
    max_step_db: f32,
    /// `current_db` as an amplitude: a settled ramp (nearly always) costs no `powf` a sample.
    amp: f32,
}

impl GainRamp {
    /// `max_db_per_second` is the slew limit: no request, however short its time, moves faster.
    pub fn new(initial_db: f32, max_db_per_second: f32, sample_rate: u32) -> Self {
        let initial = initial_db.max(SILENCE_DB);
        let max_step_db = max_db_per_second.abs() / sample_rate as f32;
        GainRamp {
            current_db: initial,
            target_db: initial,
            step_db: max_step_db,
            max_step_db,
            amp: db_to_amp(initial),
        }
    }

    /// Glides to `target_db` over `samples` samples, or more slowly if the slew limit says so.
    pub fn set_target(&mut self, target_db: f32, samples: u64) {
        self.target_db = target_db.max(SILENCE_DB);
        let distance = (self.target_db - self.current_db).abs();
        let wanted = if samples == 0 {
            f32::INFINITY
        } else {
            distance / samples as f32
        };
        self.step_db = wanted.min(self.max_step_db);
    }

    /// Arrives at `db` now, slew limit or not: for a level nobody hears yet, where a glide
    /// would only be heard later, over whatever fades in.
    pub fn jump_to(&mut self, db: f32) {
        let db = db.max(SILENCE_DB);
        self.current_db = db;
        self.target_db = db;
        self.amp = db_to_amp(db);
    }

    pub fn target_db(&self) -> f32 {
        self.target_db
    }

    pub fn current_db(&self) -> f32 {
        self.current_db
    }

    pub fn is_settled(&self) -> bool {
        self.current_db == self.target_db
    }

    /// The amplitude for the next sample, advancing the ramp by one sample.
    pub fn next_amp(&mut self) -> f32 {
        if self.current_db == self.target_db {
            return self.amp;
        }
        let delta = self.target_db - self.current_db;
        if delta.abs() <= self.step_db {
            self.current_db = self.target_db;
        } else {
            self.current_db += self.step_db.copysign(delta);
        }
        self.amp = db_to_amp(self.current_db);
        self.amp
    }
}

/// A fade between two amplitudes over a fixed number of samples, on the equal-power curve:
/// rising follows `sin`, falling follows `cos`, so a rise and a fall started together are a
/// crossfade whose squares sum to 1. Used where a fade must reach true silence (crossfades,
/// pause, mute), which a ramp in dB only approaches.
#[derive(Debug, Clone)]
pub struct Fade {
    from: f32,
    to: f32,
    position: u64,
    length: u64,
}

impl Fade {
    /// A fade that has already arrived at `amp`.
    pub fn at(amp: f32) -> Self {
        Fade {
            from: amp,
            to: amp,
            position: 0,
            length: 0,
        }
    }

    /// Starts from the current value, so a fade reversed halfway never jumps.
    pub fn restart(&mut self, to: f32, length: u64) {
        *self = Fade {
            from: self.value(),
            to,
            position: 0,
            length,
        };
    }

    pub fn value(&self) -> f32 {
        // A "fade" to where it already is (unmuting what was never muted) is the same number
        // every sample: no curve to work out.
        if self.position >= self.length || self.from == self.to {
            return self.to;
        }
        let (falling, rising) = equal_power(self.position as f32 / self.length as f32);
        if self.to >= self.from {
            self.from + (self.to - self.from) * rising
        } else {
            self.to + (self.from - self.to) * falling
        }
    }

    pub fn is_done(&self) -> bool {
        self.position >= self.length
    }

    /// Whether every sample from here on has the same amplitude: arrived, or going nowhere.
    pub fn is_constant(&self) -> bool {
        self.is_done() || self.from == self.to
    }

    /// Moves on `samples` samples at once, exactly as that many [`Fade::next_amp`] calls.
    pub fn advance(&mut self, samples: u64) {
        if self.position < self.length {
            self.position = (self.position + samples).min(self.length);
        }
    }

    pub fn target(&self) -> f32 {
        self.to
    }

    /// The amplitude for the next sample, advancing the fade by one sample.
    pub fn next_amp(&mut self) -> f32 {
        let value = self.value();
        if self.position < self.length {
            self.position += 1;
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_round_trips() {
        for db in [-60.0, -12.0, -6.0, 0.0, 6.0] {
            assert!((amp_to_db(db_to_amp(db)) - db).abs() < 1e-4, "{db}");
        }
        assert!((db_to_amp(-6.0206) - 0.5).abs() < 1e-4);
        assert_eq!(db_to_amp(SILENCE_DB), 0.0);
        assert_eq!(amp_to_db(0.0), SILENCE_DB);
    }

    #[test]
    fn equal_power_keeps_power_and_ends_at_the_extremes() {
        assert_eq!(equal_power(0.0), (1.0, 0.0));
        let (out_end, in_end) = equal_power(1.0);
        assert!(out_end.abs() < 1e-6 && (in_end - 1.0).abs() < 1e-6);
        for i in 0..=100 {
            let (a, b) = equal_power(i as f32 / 100.0);
            assert!((a * a + b * b - 1.0).abs() < 1e-5);
        }
        // At the midpoint each side is at -3 dB, not -6 dB as a linear fade would be.
        let (a, b) = equal_power(0.5);
        assert!((amp_to_db(a) + 3.01).abs() < 0.01 && (a - b).abs() < 1e-6);
    }

    #[test]
    fn ramp_reaches_target_in_the_asked_time() {
        let mut ramp = GainRamp::new(0.0, 1000.0, 1000);
        ramp.set_target(-20.0, 100);
        for _ in 0..99 {
            ramp.next_amp();
        }
        assert!(!ramp.is_settled());
        let last = ramp.next_amp();
        assert!(ramp.is_settled());
        assert!((last - 0.1).abs() < 1e-6);
    }

    #[test]
    fn slew_limit_overrides_a_fast_request() {
        // 6 dB per second at 1 kHz: +30 dB asked for at once still takes 5 seconds.
        let mut ramp = GainRamp::new(-40.0, 6.0, 1000);
        ramp.set_target(-10.0, 0);
        for _ in 0..4999 {
            ramp.next_amp();
        }
        assert!(!ramp.is_settled());
        ramp.next_amp();
        assert!(ramp.is_settled());
    }

    #[test]
    fn a_jump_ignores_the_slew_limit_and_settles_at_once() {
        let mut ramp = GainRamp::new(0.0, 6.0, 1000);
        ramp.set_target(-10.0, 0);
        ramp.next_amp();
        ramp.jump_to(-30.0);
        assert!(ramp.is_settled());
        assert_eq!(ramp.current_db(), -30.0);
        assert!((ramp.next_amp() - db_to_amp(-30.0)).abs() < 1e-9);
    }

    #[test]
    fn fade_pair_is_an_equal_power_crossfade_of_the_asked_length() {
        let mut down = Fade::at(1.0);
        let mut up = Fade::at(0.0);
        down.restart(0.0, 480);
        up.restart(1.0, 480);
        for _ in 0..480 {
            let (a, b) = (down.next_amp(), up.next_amp());
            assert!((a * a + b * b - 1.0).abs() < 1e-5);
        }
        assert!(down.is_done() && up.is_done());
        assert_eq!((down.next_amp(), up.next_amp()), (0.0, 1.0));
    }

    #[test]
    fn a_fade_to_where_it_is_is_constant_and_advances_as_sample_by_sample() {
        let mut stepped = Fade::at(1.0);
        stepped.restart(1.0, 100);
        let mut jumped = stepped.clone();
        assert!(stepped.is_constant() && !stepped.is_done());
        for _ in 0..60 {
            assert_eq!(stepped.next_amp(), 1.0);
        }
        jumped.advance(60);
        assert_eq!(jumped.position, stepped.position);
        jumped.advance(1000);
        assert!(jumped.is_done());
    }

    #[test]
    fn reversing_a_fade_halfway_continues_from_where_it_was() {
        let mut fade = Fade::at(0.0);
        fade.restart(1.0, 100);
        for _ in 0..50 {
            fade.next_amp();
        }
        let before = fade.value();
        fade.restart(0.0, 100);
        assert_eq!(fade.next_amp(), before);
    }

    #[test]
    fn fading_to_silence_ends_at_exact_zero() {
        let mut ramp = GainRamp::new(0.0, 100_000.0, 1000);
        ramp.set_target(SILENCE_DB, 50);
        let mut last = 1.0;
        for _ in 0..50 {
            let amp = ramp.next_amp();
            assert!(amp <= last);
            last = amp;
        }
        assert_eq!(last, 0.0);
    }
}
