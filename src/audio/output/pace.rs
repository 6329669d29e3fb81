//! Real-time pacing for the outputs that have no sound card to set the pace.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// As fast as the room would hear it.
    RealTime,
    /// As fast as the mixer renders: for tests, never for a session.
    Unpaced,
}

/// Sleeps so that `frames` written so far take as long as they would to play.
#[derive(Debug)]
pub(super) struct Pacer {
    pace: Pace,
    rate: f64,
    start: Option<Instant>,
    frames: u64,
}

/// Further behind than this (a suspended machine, a stalled disk), the pacer starts over
/// rather than rushing to catch up.
const MAX_LAG: Duration = Duration::from_secs(1);

impl Pacer {
    pub fn new(pace: Pace, rate: u32) -> Self {
        Pacer {
            pace,
            rate: f64::from(rate.max(1)),
            start: None,
            frames: 0,
        }
    }

    pub fn wait(&mut self, frames: usize) {
        if self.pace == Pace::Unpaced {
            return;
        }
        let now = Instant::now();
        let start = *self.start.get_or_insert(now);
        self.frames += frames as u64;
        let due = start + Duration::from_secs_f64(self.frames as f64 / self.rate);
        if due > now {
            std::thread::sleep(due - now);
        } else if now - due > MAX_LAG {
            self.restart();
        }
    }

    /// Forgets the past, as when the output the pacer stands in for just went away.
    pub fn restart(&mut self) {
        self.start = None;
        self.frames = 0;
    }
}
