//! The daemon's heartbeat as a deadline: when the room's standing chores fall due and which
//! of them there are. A running session is saved even when nothing changed (the saved
//! wall-clock time is what a restart measures the outage from, so the beat bounds how far the
//! logged downtime can overstate it), the space kept back for emergencies is taken again, and
//! logs the disk refused are tried again. The core says when and what; the shell sleeps until
//! the deadline and does the I/O, so a heartbeat runs in virtual time in a unit test.

use crate::time::Millis;

/// A beat at least every 10 s of session time. At rehearsal speed it beats more often in
/// real time, so the outage a restart counts is overstated by no more session time than at
/// speed 1.
pub const HEARTBEAT: Millis = Millis(10_000);

/// Never more often than this in real time (ms): each beat saves the state file.
const FASTEST_MS: u64 = 100;

/// What a beat asks of the shell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chores {
    /// Take the space for emergencies again (it may have been missing at start-up, or
    /// given up to an emergency on a full disk).
    pub keep_reserve: bool,
    /// Try the running session's log again (held entries, the gap entry).
    pub retry_log: bool,
    /// Try again the logs of sessions that ended while the disk refused some of their entries.
    pub retry_finished: bool,
    /// Save the running session as it stands.
    pub save: bool,
}

/// What the room holds when a beat falls due.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holding {
    /// A session runs and has not ended.
    pub session: bool,
    /// Logs of ended sessions still hold entries the disk refused.
    pub finished_logs: bool,
}

/// The next beat, on the monotonic clock (ms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    every_ms: u64,
    next_ms: u64,
}

impl Heartbeat {
    /// A heartbeat for a daemon running at `speed` (session seconds per real second), its
    /// first beat due at `first_ms`.
    pub fn new(first_ms: u64, speed: f64) -> Heartbeat {
        Heartbeat {
            every_ms: Heartbeat::every_ms(speed),
            next_ms: first_ms,
        }
    }

    /// Real milliseconds between beats at `speed`: [`HEARTBEAT`] of session time, never
    /// longer than it in real time (a slow rehearsal still saves every 10 s) and never
    /// shorter than [`FASTEST_MS`].
    pub fn every_ms(speed: f64) -> u64 {
        let every = if speed.is_finite() && speed > 1.0 {
            (HEARTBEAT.0 as f64 / speed).ceil() as u64
        } else {
            HEARTBEAT.0
        };
        every.clamp(FASTEST_MS, HEARTBEAT.0)
    }

    /// When the next beat falls due (monotonic ms).
    pub fn next_deadline(&self) -> u64 {
        self.next_ms
    }

    /// The chores due by `now_ms`, or `None` before the beat. A beat that woke late is one
    /// beat, and the next is counted from it (never a burst to catch up).
    pub fn due(&mut self, now_ms: u64, holding: Holding) -> Option<Chores> {
        if now_ms < self.next_ms {
            return None;
        }
        self.next_ms = now_ms.saturating_add(self.every_ms);
        Some(Chores {
            keep_reserve: holding.session,
            retry_log: holding.session,
            retry_finished: holding.finished_logs,
            save: holding.session,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNNING: Holding = Holding {
        session: true,
        finished_logs: false,
    };

    #[test]
    fn a_running_session_is_saved_every_ten_seconds_and_its_log_retried() {
        let mut beat = Heartbeat::new(0, 1.0);
        let chores = beat.due(0, RUNNING).expect("the first beat is due at once");
        assert!(chores.save && chores.retry_log && chores.keep_reserve);
        assert!(!chores.retry_finished);
        assert_eq!(beat.next_deadline(), 10_000);
        assert_eq!(beat.due(9_999, RUNNING), None);
        assert!(beat.due(10_000, RUNNING).is_some());
        assert_eq!(beat.next_deadline(), 20_000);
    }

    #[test]
    fn a_late_wake_is_one_beat_and_the_next_counts_from_it() {
        let mut beat = Heartbeat::new(10_000, 1.0);
        assert!(beat.due(35_000, RUNNING).is_some());
        assert_eq!(beat.due(35_000, RUNNING), None);
        assert_eq!(beat.next_deadline(), 45_000);
    }

    #[test]
    fn an_ended_session_is_never_saved_again_but_its_refused_log_is_retried() {
        let mut beat = Heartbeat::new(0, 1.0);
        let ended = Holding {
            session: false,
            finished_logs: true,
        };
        let chores = beat.due(0, ended).expect("due");
        assert!(!chores.save && !chores.retry_log && !chores.keep_reserve);
        assert!(chores.retry_finished);
        assert_eq!(beat.due(10_000, Holding::default()), Some(Chores::default()));
    }

    #[test]
    fn at_rehearsal_speed_it_beats_every_ten_seconds_of_session_time() {
        assert_eq!(Heartbeat::every_ms(1.0), 10_000);
        assert_eq!(
            Heartbeat::every_ms(0.5),
            10_000,
            "a slow rehearsal still saves every 10 s"
        );
        assert_eq!(Heartbeat::every_ms(10.0), 1_000);
        assert_eq!(Heartbeat::every_ms(60.0), 167);
        assert_eq!(
            Heartbeat::every_ms(10_000.0),
            100,
            "never faster than 10 a second"
        );
        assert_eq!(Heartbeat::every_ms(f64::NAN), 10_000);
        let mut beat = Heartbeat::new(0, 60.0);
        beat.due(0, RUNNING);
        assert_eq!(beat.next_deadline(), 167);
    }
}
