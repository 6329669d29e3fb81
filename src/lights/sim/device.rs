//! One simulated Zigbee bulb, pure: it applies Zigbee2MQTT `/set` payloads at a given instant,
//! interpolates a running transition, and says when its state should next be reported. In
//! device units (brightness 0-254, mireds) like a real bulb.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::lights::driver::DeviceState;

const BRIGHTNESS_MAX: f32 = 254.0;
/// A typical tunable-white bulb's range, 6500 K to 2000 K.
const MIREDS_MIN: f32 = 153.0;
const MIREDS_MAX: f32 = 500.0;
/// How often a running transition reports its progress, like Zigbee2MQTT's polling of a
/// bulb that is fading.
pub(super) const REPORT_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug)]
struct Fade {
    start: Instant,
    duration: Duration,
    from_level: f32,
    to_level: f32,
    from_mireds: f32,
    to_mireds: f32,
    /// An OFF with a transition: the level falls to 0, then the bulb is off.
    off_at_end: bool,
}

impl Fade {
    fn end(&self) -> Instant {
        self.start + self.duration
    }

    fn progress(&self, now: Instant) -> f32 {
        if self.duration.is_zero() {
            return 1.0;
        }
        (now.saturating_duration_since(self.start).as_secs_f32() / self.duration.as_secs_f32())
            .clamp(0.0, 1.0)
    }
}

#[derive(Clone, Debug)]
pub(super) struct Device {
    on: bool,
    /// Brightness 0-254 when no fade runs (or when the running one started).
    level: f32,
    mireds: f32,
    /// The level an ON without a brightness returns to: what it had before it went off.
    remembered: f32,
    fade: Option<Fade>,
    last_report: Option<Instant>,
}

/// The state message a Zigbee2MQTT light publishes.
#[derive(Serialize)]
struct StateMessage {
    state: &'static str,
    brightness: u16,
    color_temp: u16,
}

impl Default for Device {
    /// Off, remembering full brightness at 2700 K, as a new bulb from the box.
    fn default() -> Self {
        Device {
            on: false,
            level: BRIGHTNESS_MAX,
            mireds: 370.0,
            remembered: BRIGHTNESS_MAX,
            fade: None,
            last_report: None,
        }
    }
}

impl Device {
    /// Where the bulb is at `now`: (on, brightness, mireds).
    fn at(&self, now: Instant) -> (bool, f32, f32) {
        match self.fade {
            None => (self.on, self.level, self.mireds),
            Some(fade) => {
                let t = fade.progress(now);
                let level = fade.from_level + (fade.to_level - fade.from_level) * t;
                let mireds = fade.from_mireds + (fade.to_mireds - fade.from_mireds) * t;
                if t >= 1.0 && fade.off_at_end {
                    (false, self.remembered, mireds)
                } else {
                    (self.on, level, mireds)
                }
            }
        }
    }

    /// Ends the running fade where it is at `now` (its end, if it has ended).
    fn settle(&mut self, now: Instant) {
        let (on, level, mireds) = self.at(now);
        self.on = on;
        self.level = level;
        self.mireds = mireds;
        self.fade = None;
    }

    /// The state in the drivers' terms; an off bulb reports the level it will come back to.
    pub(super) fn state(&self, now: Instant) -> DeviceState {
        let (on, level, mireds) = self.at(now);
        DeviceState {
            on: Some(on),
            level: Some(level.round() / BRIGHTNESS_MAX),
            kelvin: Some((1_000_000.0 / mireds.round()).round() as u16),
        }
    }

    /// The JSON it publishes on `zigbee2mqtt/<name>`; marks `now` as reported.
    pub(super) fn report(&mut self, now: Instant) -> Vec<u8> {
        let (on, level, mireds) = self.at(now);
        self.last_report = Some(now);
        if self.fade.is_some_and(|fade| now >= fade.end()) {
            self.settle(now);
        }
        let message = StateMessage {
            state: if on { "ON" } else { "OFF" },
            brightness: level.round() as u16,
            color_temp: mireds.round() as u16,
        };
        serde_json::to_vec(&message).expect("a struct of numbers and strings serialises")
    }

    /// When the bulb next has something to report: the end of its fade, or the next progress
    /// report during one.
    pub(super) fn next_report(&self) -> Option<Instant> {
        let fade = self.fade?;
        let progress = self.last_report.map_or(fade.start, |at| at + REPORT_EVERY);
        Some(progress.min(fade.end()))
    }

    /// Applies a `/set` payload at `now`. Returns whether it changed anything worth reporting;
    /// `Err` says why a payload was not understood (a real bridge logs those too).
    pub(super) fn apply(&mut self, now: Instant, payload: &[u8]) -> Result<bool, String> {
        let command: Map<String, Value> = match serde_json::from_slice(payload) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err("not a JSON object".to_string()),
            Err(cause) => return Err(format!("invalid JSON ({cause})")),
        };
        if let Some(rate) = command.get("brightness_move") {
            let rate = match rate {
                Value::String(s) if s == "stop" => 0.0,
                other => other
                    .as_f64()
                    .ok_or_else(|| format!("brightness_move {other} is not a rate"))?,
            };
            self.settle(now);
            return Ok(self.apply_move(now, rate));
        }
        let transition = match command.get("transition") {
            None => Duration::ZERO,
            Some(value) => {
                let seconds = value.as_f64().filter(|s| s.is_finite() && *s >= 0.0);
                let seconds = seconds.ok_or_else(|| format!("transition {value} is not a duration"))?;
                Duration::from_secs_f64(seconds.min(6553.5))
            }
        };
        let state = match command.get("state") {
            None => None,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("on") => Some(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("off") => Some(false),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("toggle") => Some(!self.at(now).0),
            Some(other) => return Err(format!("state {other} is not ON, OFF or TOGGLE")),
        };
        let brightness = match command.get("brightness") {
            None => None,
            Some(value) => {
                let b = value
                    .as_f64()
                    .ok_or_else(|| format!("brightness {value} is not a number"))?;
                Some((b as f32).clamp(0.0, BRIGHTNESS_MAX))
            }
        };
        let mireds = match command.get("color_temp") {
            None => None,
            Some(value) => {
                let m = value
                    .as_f64()
                    .ok_or_else(|| format!("color_temp {value} is not a number"))?;
                Some((m as f32).clamp(MIREDS_MIN, MIREDS_MAX))
            }
        };
        if state.is_none() && brightness.is_none() && mireds.is_none() {
            return Ok(false);
        }
        // Every command starts from wherever a running transition has got to: a new target
        // preempts, it does not queue.
        self.settle(now);
        let to_mireds = mireds.unwrap_or(self.mireds);
        let turn_off = state == Some(false) || brightness == Some(0.0);
        if turn_off {
            if self.on {
                self.remembered = self.level.max(1.0);
                self.start_fade(now, transition, 0.0, to_mireds, true);
            } else {
                self.mireds = to_mireds;
            }
            return Ok(true);
        }
        if state == Some(true) || brightness.is_some() {
            let target = brightness.unwrap_or(self.remembered).max(1.0);
            if !self.on {
                // An off bulb rises from nothing, not from its cached level.
                self.on = true;
                self.level = 0.0;
            }
            self.start_fade(now, transition, target, to_mireds, false);
        } else if self.on {
            self.start_fade(now, transition, self.level, to_mireds, false);
        } else {
            // Colour temperature sent to an off bulb: taken, shown when it comes on.
            self.mireds = to_mireds;
        }
        Ok(true)
    }

    /// `brightness_move`: a rate in brightness per second towards either end; 0 stops.
    fn apply_move(&mut self, now: Instant, rate: f64) -> bool {
        if rate == 0.0 || !self.on {
            return true;
        }
        let target = if rate > 0.0 { BRIGHTNESS_MAX } else { 1.0 };
        let seconds = f64::from((target - self.level).abs()) / rate.abs();
        let duration = Duration::from_secs_f64(seconds.min(6553.5));
        self.start_fade(now, duration, target, self.mireds, false);
        true
    }

    fn start_fade(&mut self, now: Instant, duration: Duration, to_level: f32, to_mireds: f32, off: bool) {
        let fade = Fade {
            start: now,
            duration,
            from_level: self.level,
            to_level,
            from_mireds: self.mireds,
            to_mireds,
            off_at_end: off,
        };
        if duration.is_zero() {
            self.fade = Some(fade);
            self.settle(now);
        } else {
            self.fade = Some(fade);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: f32) -> Instant {
        start + Duration::from_secs_f32(seconds)
    }

    #[test]
    fn a_transition_interpolates_and_ends_at_its_target() {
        let t0 = Instant::now();
        let mut bulb = Device::default();
        bulb.apply(t0, br#"{"state":"ON","brightness":200,"color_temp":250}"#)
            .unwrap();
        bulb.apply(t0, br#"{"brightness":100,"color_temp":450,"transition":10}"#)
            .unwrap();
        let halfway = bulb.state(at(t0, 5.0));
        assert_eq!(halfway.level, Some(150.0 / 254.0));
        assert_eq!(halfway.kelvin, Some(2857));
        assert_eq!(bulb.state(at(t0, 30.0)).level, Some(100.0 / 254.0));
        assert_eq!(bulb.next_report(), Some(t0));
    }

    #[test]
    fn a_new_command_preempts_from_where_the_fade_had_got_to() {
        let t0 = Instant::now();
        let mut bulb = Device::default();
        bulb.apply(t0, br#"{"state":"ON","brightness":254}"#).unwrap();
        bulb.apply(t0, br#"{"brightness":54,"transition":10}"#).unwrap();
        bulb.apply(at(t0, 5.0), br#"{"brightness":254,"transition":10}"#)
            .unwrap();
        // From 154 at 5 s towards 254 over 10 s: 204 at 10 s.
        assert_eq!(bulb.state(at(t0, 10.0)).level, Some(204.0 / 254.0));
    }

    #[test]
    fn brightness_move_zero_stops_where_it_is() {
        let t0 = Instant::now();
        let mut bulb = Device::default();
        bulb.apply(t0, br#"{"state":"ON","brightness":254}"#).unwrap();
        bulb.apply(t0, br#"{"brightness":54,"transition":10}"#).unwrap();
        bulb.apply(at(t0, 2.5), br#"{"brightness_move":0}"#).unwrap();
        assert_eq!(bulb.state(at(t0, 60.0)).level, Some(204.0 / 254.0));
        assert_eq!(bulb.next_report(), None);
    }

    #[test]
    fn off_with_a_transition_dims_then_goes_off_remembering_its_level() {
        let t0 = Instant::now();
        let mut bulb = Device::default();
        bulb.apply(t0, br#"{"state":"ON","brightness":100}"#).unwrap();
        bulb.apply(t0, br#"{"state":"OFF","transition":4}"#).unwrap();
        let during = bulb.state(at(t0, 2.0));
        assert_eq!((during.on, during.level), (Some(true), Some(50.0 / 254.0)));
        let after = bulb.state(at(t0, 4.0));
        assert_eq!((after.on, after.level), (Some(false), Some(100.0 / 254.0)));
        // On again without a brightness: rises from nothing back to the remembered level.
        bulb.report(at(t0, 5.0));
        bulb.apply(at(t0, 5.0), br#"{"state":"ON","transition":2}"#)
            .unwrap();
        let rising = bulb.state(at(t0, 6.0));
        assert_eq!((rising.on, rising.level), (Some(true), Some(50.0 / 254.0)));
    }

    #[test]
    fn malformed_commands_are_refused_without_changing_anything() {
        let t0 = Instant::now();
        let mut bulb = Device::default();
        bulb.apply(t0, br#"{"state":"ON","brightness":254}"#).unwrap();
        bulb.apply(t0, br#"{"brightness":54,"transition":10}"#).unwrap();
        let later = at(t0, 5.0);
        let before = bulb.state(later);
        assert!(bulb.apply(at(t0, 1.0), b"{").is_err());
        assert!(
            bulb.apply(at(t0, 1.0), br#"{"state":"ON","transition":-1}"#)
                .is_err()
        );
        assert!(
            bulb.apply(at(t0, 1.0), br#"{"brightness":"x","transition":1}"#)
                .is_err()
        );
        assert!(bulb.apply(at(t0, 1.0), br#"{"brightness_move":[]}"#).is_err());
        // The fade runs on as if nothing had come.
        assert_eq!(bulb.state(later), before);
    }
}
