//! A light's desired trajectory (a straight line in perceived brightness and Kelvin, as the
//! scene means it) and how to cut it into device transitions, which are straight lines in the
//! device's level instead.

use crate::config::Curve;
use crate::lights::level::{curve_level, curve_perceived};
use crate::scene::Look;
use crate::time::Millis;

/// How far (in perceived brightness points, of 100) a device's linear transition may stray
/// from the scene's ramp before the fade is cut into another segment. About two just
/// noticeable differences of lightness: nobody lying in the room sees a kink that small in a
/// slow fade.
pub const MAX_ERROR: f32 = 2.0;

/// No segment is cut shorter than this (unless the ramp ends sooner): the error bound is a
/// nicety, the traffic budget is not. A scene's 30 s fade is thus always one command.
pub const MIN_SEGMENT: Millis = Millis(30_000);

/// Where the error of a segment is sampled, moving and holding; the curves are smooth, so
/// this is plenty.
const SAMPLES: u32 = 24;

/// Software steps for lights that cannot fade themselves: never more than one per this.
pub const STEP_INTERVAL: Millis = Millis(2000);
/// ... and only once the change is visible: this many perceived points ...
pub const STEP_BRIGHTNESS: f32 = 1.0;
/// ... or this many Kelvin.
pub const STEP_KELVIN: f32 = 50.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ramp {
    pub from: Look,
    pub to: Look,
    pub start: Millis,
    pub end: Millis,
}

impl Ramp {
    /// Already at `look`: nothing left to move.
    pub fn hold(look: Look, at: Millis) -> Ramp {
        Ramp {
            from: look,
            to: look,
            start: at,
            end: at,
        }
    }

    fn fraction(&self, t: Millis) -> f32 {
        if t >= self.end || self.end <= self.start {
            1.0
        } else if t <= self.start {
            0.0
        } else {
            (t.0 - self.start.0) as f32 / (self.end.0 - self.start.0) as f32
        }
    }

    /// The look the scene wants at `t`.
    pub fn at(&self, t: Millis) -> Look {
        let f = self.fraction(t);
        Look {
            brightness: lerp(self.from.brightness, self.to.brightness, f),
            kelvin: lerp(self.from.kelvin as f32, self.to.kelvin as f32, f).round() as u16,
        }
    }

    pub fn done(&self, t: Millis) -> bool {
        t >= self.end
    }

    /// The perceived-brightness error, at its worst, of one command sent at `a` that aims at
    /// the ramp's point at `b` over `transition` (the device moves in a straight line in its
    /// level, then holds until `b` if the transition is shorter).
    pub fn segment_error(&self, curve: Curve, a: Millis, b: Millis, transition: Millis) -> f32 {
        let la = curve_level(curve, self.at(a).brightness);
        let lb = curve_level(curve, self.at(b).brightness);
        let arrive = Millis(a.0 + transition.0.min(b.0 - a.0));
        let error = |t: Millis| {
            let device = if t >= arrive {
                lb
            } else {
                lerp(la, lb, (t.0 - a.0) as f32 / (arrive.0 - a.0) as f32)
            };
            (curve_perceived(curve, device) - self.at(t).brightness).abs()
        };
        let part =
            |from: Millis, to: Millis, i: u32| Millis(from.0 + (to.0 - from.0) * i as u64 / SAMPLES as u64);
        let moving = (1..=SAMPLES).map(|i| part(a, arrive, i));
        let holding = (1..=SAMPLES).map(|i| part(arrive, b, i));
        moving.chain(holding).map(error).fold(0.0, f32::max)
    }

    /// When the command sent at `from` should be followed by the next: as late as keeps the
    /// error within [`MAX_ERROR`]. A light that fades for long (`max_transition` of
    /// [`MIN_SEGMENT`] or more) chains its transitions end to end, each at most
    /// `max_transition`; one that fades only briefly (Tasmota, Shelly Gen1, WLED) fades and
    /// then holds until the ramp has moved on far enough, rather than sending one short fade
    /// after another through a slow ramp.
    pub fn segment_end(&self, curve: Curve, from: Millis, max_transition: Millis) -> Millis {
        let reach = if max_transition >= MIN_SEGMENT {
            Millis(from.0 + max_transition.0)
        } else {
            self.end
        };
        let hi = self.end.min(reach);
        let fits = |t: Millis| self.segment_error(curve, from, t, max_transition) <= MAX_ERROR;
        if hi <= from || fits(hi) {
            return hi.max(from);
        }
        let floor = Millis(from.0 + MIN_SEGMENT.0.min(max_transition.0));
        if floor >= hi {
            return hi;
        }
        // The error only grows with the segment's length, so bisect to the second.
        let (mut ok, mut bad) = (floor, hi);
        while bad.0 - ok.0 > 1000 {
            let mid = Millis((ok.0 + bad.0) / 2);
            if fits(mid) {
                ok = mid;
            } else {
                bad = mid;
            }
        }
        ok
    }

    /// When a light without transitions should next be stepped, after a step at `from` that
    /// showed `shown`: once the ramp has moved visibly, never sooner than [`STEP_INTERVAL`],
    /// and at the end of the ramp at the latest. `None` once nothing is left to show.
    pub fn next_step(&self, from: Millis, shown: Look) -> Option<Millis> {
        if self.done(from) {
            return None;
        }
        let earliest = Millis(from.0 + STEP_INTERVAL.0);
        if earliest >= self.end {
            return Some(self.end);
        }
        let span = (self.end.0 - self.start.0) as f32;
        // Rates per millisecond along the ramp; the ramp is a straight line, so the time the
        // change reaches the visible threshold can be solved for directly.
        let db = (self.to.brightness - self.from.brightness) / span;
        let dk = (self.to.kelvin as f32 - self.from.kelvin as f32) / span;
        let now = self.at(from);
        let until = |rate: f32, gap: f32, step: f32| -> Option<f32> {
            if rate == 0.0 {
                return None;
            }
            // Remaining change before the threshold counting from what was last shown.
            let needed = step - gap.abs().min(step);
            Some(needed / rate.abs())
        };
        let wait = [
            until(db, now.brightness - shown.brightness, STEP_BRIGHTNESS),
            until(dk, now.kelvin as f32 - shown.kelvin as f32, STEP_KELVIN),
        ]
        .into_iter()
        .flatten()
        .fold(f32::INFINITY, f32::min);
        if !wait.is_finite() {
            return Some(self.end);
        }
        let at = Millis(from.0 + wait.ceil() as u64).max(earliest);
        Some(at.min(self.end))
    }
}

fn lerp(a: f32, b: f32, f: f32) -> f32 {
    a + (b - a) * f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(brightness: f32, kelvin: u16) -> Look {
        Look { brightness, kelvin }
    }

    #[test]
    fn interpolates_in_perceived_terms_and_holds_at_the_ends() {
        let r = Ramp {
            from: look(10.0, 2200),
            to: look(60.0, 3200),
            start: Millis(1000),
            end: Millis(11_000),
        };
        assert_eq!(r.at(Millis(0)), look(10.0, 2200));
        assert_eq!(r.at(Millis(6000)), look(35.0, 2700));
        assert_eq!(r.at(Millis(50_000)), look(60.0, 3200));
    }

    #[test]
    fn linear_lights_take_the_longest_segments() {
        let r = Ramp {
            from: look(10.0, 2200),
            to: look(80.0, 2200),
            start: Millis::ZERO,
            end: Millis::from_mins(15),
        };
        let max = Millis::from_secs(300);
        assert_eq!(r.segment_end(Curve::Linear, Millis::ZERO, max), max);
        let cie = r.segment_end(Curve::Cie, Millis::ZERO, max);
        assert!(cie < max && cie >= MIN_SEGMENT, "{cie:?}");
        assert!(r.segment_error(Curve::Cie, Millis::ZERO, cie, max) <= MAX_ERROR);
    }

    #[test]
    fn steps_wait_for_a_visible_change() {
        // 10 points over 100 s: one point every 10 s.
        let r = Ramp {
            from: look(10.0, 2700),
            to: look(20.0, 2700),
            start: Millis::ZERO,
            end: Millis::from_secs(100),
        };
        assert_eq!(
            r.next_step(Millis::ZERO, r.at(Millis::ZERO)),
            Some(Millis(10_000))
        );
        assert_eq!(
            r.next_step(Millis(99_000), r.at(Millis(99_000))),
            Some(Millis(100_000))
        );
        assert_eq!(r.next_step(Millis(100_000), r.to), None);
    }
}
