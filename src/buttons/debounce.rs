//! Presses that say again what was just said: a held Hue button repeats its `hold` every
//! second, a worried hand presses twice, two buttons are pressed at once. An emergency pressed
//! twice is one emergency. Pure: the caller gives the time.

use std::time::{Duration, Instant};

use crate::config::ButtonCommand;

/// How long after a press the same command, from any button, counts as the same press.
pub const REPEAT_WITHIN: Duration = Duration::from_secs(2);

/// The last command let through, and when it was last pressed.
#[derive(Debug, Default)]
pub struct Debounce {
    last: Option<(ButtonCommand, Option<String>, Instant)>,
}

impl Debounce {
    /// Whether a press of `command` on `zone` at `now` is sent. A repeat of the last command
    /// sent, within [`REPEAT_WITHIN`] of its last press, is not, and holds the window open: a
    /// held button stays one press. Any other command is always sent (a resume between two
    /// emergencies makes the second one count).
    pub fn admit(&mut self, command: ButtonCommand, zone: Option<&str>, now: Instant) -> bool {
        if let Some((last, last_zone, at)) = &mut self.last
            && *last == command
            && last_zone.as_deref() == zone
            && now.saturating_duration_since(*at) < REPEAT_WITHIN
        {
            *at = now;
            return false;
        }
        self.last = Some((command, zone.map(str::to_string), now));
        true
    }

    /// The room's overrides were changed by someone else: the next press is a new one.
    pub fn forget(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ButtonCommand::{Check, Emergency, Resume};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn an_emergency_pressed_twice_is_one_emergency() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        assert!(d.admit(Emergency, None, t0));
        assert!(!d.admit(Emergency, None, t0 + ms(300)));
        // A held button reporting every second stays one press.
        assert!(!d.admit(Emergency, None, t0 + ms(1_800)));
        assert!(!d.admit(Emergency, None, t0 + ms(3_600)));
        // Released, and pressed again later: a new emergency.
        assert!(d.admit(Emergency, None, t0 + ms(6_000)));
    }

    #[test]
    fn another_command_or_zone_always_goes_through() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        assert!(d.admit(Emergency, None, t0));
        assert!(d.admit(Resume, None, t0 + ms(200)));
        // The resume came between: this emergency is meant.
        assert!(d.admit(Emergency, None, t0 + ms(400)));
        assert!(d.admit(Check, Some("mat-1"), t0 + ms(500)));
        assert!(d.admit(Check, Some("mat-2"), t0 + ms(600)));
        assert!(!d.admit(Check, Some("mat-2"), t0 + ms(700)));
        // The therapist resumed from the CLI: the same press again is meant.
        d.forget();
        assert!(d.admit(Check, Some("mat-2"), t0 + ms(800)));
    }
}
