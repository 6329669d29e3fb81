//! The session clock: maps the monotonic clock to session time, scaled by the rehearsal speed.
//!
//! Session time is always computed from one fixed origin (`origin_session` at
//! `origin_instant`), never by adding up sleeps, so it cannot drift over a three-hour session
//! however late the loop wakes. Deadlines go the other way: the instant at which session time
//! reaches a given value, for `sleep_until`.

use std::time::Duration;

use tokio::time::Instant;

use crate::time::Millis;

#[derive(Clone, Copy, Debug)]
pub struct SessionClock {
    origin_instant: Instant,
    origin_session: Millis,
    speed: f64,
}

impl SessionClock {
    /// A clock that reads `session` now. `speed` must be finite and positive (the config and
    /// the command line check it), so that deadlines can be computed by division.
    pub fn starting_at(session: Millis, speed: f64) -> SessionClock {
        SessionClock::with_origin(Instant::now(), session, speed)
    }

    /// A clock that read `session` at `origin`.
    pub fn with_origin(origin: Instant, session: Millis, speed: f64) -> SessionClock {
        debug_assert!(speed.is_finite() && speed > 0.0, "speed {speed}");
        SessionClock {
            origin_instant: origin,
            origin_session: session,
            speed,
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn now(&self) -> Millis {
        self.at(Instant::now())
    }

    /// Session time at `instant` (the origin for instants before it).
    pub fn at(&self, instant: Instant) -> Millis {
        let real = instant.saturating_duration_since(self.origin_instant);
        // Whole nanoseconds in u128 so hours at high speed stay exact; floor, so that a
        // deadline is never reported as reached early.
        let session_ns = (real.as_nanos() as f64 * self.speed) as u128;
        // Saturating: an origin near the end of time (a damaged state file) must read as the
        // end of time, not overflow.
        let elapsed = u64::try_from(session_ns / 1_000_000).unwrap_or(u64::MAX);
        Millis(self.origin_session.0.saturating_add(elapsed))
    }

    /// The instant at which session time reaches `deadline` (now-ish for one already past).
    pub fn instant_for(&self, deadline: Millis) -> Instant {
        let ahead = deadline.saturating_sub(self.origin_session);
        let real_ns = (ahead.0 as f64 * 1_000_000.0 / self.speed).ceil();
        // A deadline centuries away (a finished timer at very low speed) is as good as never.
        let real = Duration::from_nanos(real_ns.min(u64::MAX as f64 / 2.0) as u64);
        self.origin_instant.checked_add(real).unwrap_or_else(far_future)
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// Real time for a span of session time, at `speed` (how long a fade really takes).
pub fn real_duration(span: Millis, speed: f64) -> Duration {
    Duration::from_secs_f64(span.as_secs_f64() / speed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_its_origin_at_its_speed() {
        let origin = Instant::now();
        let clock = SessionClock::with_origin(origin, Millis::from_secs(100), 60.0);
        assert_eq!(clock.at(origin), Millis::from_secs(100));
        assert_eq!(clock.at(origin + Duration::from_secs(2)), Millis::from_secs(220));
        // Before the origin is the origin: session time never runs backwards.
        assert_eq!(clock.at(origin - Duration::from_secs(1)), Millis::from_secs(100));
    }

    #[test]
    fn an_origin_at_the_end_of_time_saturates_instead_of_overflowing() {
        let origin = Instant::now();
        let clock = SessionClock::with_origin(origin, Millis(u64::MAX - 5), 1000.0);
        assert_eq!(clock.at(origin + Duration::from_secs(3600)), Millis(u64::MAX));
    }

    #[test]
    fn a_deadline_instant_reads_back_as_the_deadline() {
        let origin = Instant::now();
        for speed in [1.0, 3.0, 60.0, 0.7] {
            let clock = SessionClock::with_origin(origin, Millis(12_345), speed);
            for deadline in [
                Millis(12_345),
                Millis(12_346),
                Millis(99_999),
                Millis::from_mins(180),
            ] {
                let at = clock.at(clock.instant_for(deadline));
                assert!(at >= deadline, "speed {speed}: {at:?} < {deadline:?}");
                assert!(
                    at.0 - deadline.0 <= 1,
                    "speed {speed}: {at:?} overshoots {deadline:?}"
                );
            }
            assert_eq!(clock.instant_for(Millis(0)), origin);
        }
    }

    #[test]
    fn three_hours_of_late_wakeups_do_not_drift() {
        let origin = Instant::now();
        let clock = SessionClock::with_origin(origin, Millis::ZERO, 1.0);
        let mut woke = origin;
        for second in 1..=(3 * 3600) {
            let deadline = Millis::from_secs(second);
            // Every wakeup comes 0.7 ms late (work done in the loop); the next deadline is
            // still computed from the origin, so lateness never accumulates.
            let due = clock.instant_for(deadline);
            assert!(due >= woke, "deadline {deadline:?} before the last wakeup");
            woke = due + Duration::from_micros(700);
            assert_eq!(clock.at(woke), deadline);
        }
        assert_eq!(clock.at(woke), Millis::from_mins(180));
    }
}
