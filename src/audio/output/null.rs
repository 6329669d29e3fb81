//! [`NullOutput`]: plays to nowhere, in real time, so a session runs the same with no sound.

use std::time::Duration;

use super::pace::{Pace, Pacer};
use super::{Output, OutputError};

/// Paced, one block per this long: a tenth of the wake-ups of a sound card's blocks, and still
/// quick enough that a command or a track's start is seen within a blink.
const PACED_BLOCK: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub struct NullOutput {
    pacer: Pacer,
    pace: Pace,
    rate: u32,
    /// Why it stands in for a sound card, when it does.
    fallback_reason: Option<String>,
}

impl NullOutput {
    pub fn new(rate: u32, pace: Pace, fallback_reason: Option<String>) -> Self {
        NullOutput {
            pacer: Pacer::new(pace, rate),
            pace,
            rate,
            fallback_reason,
        }
    }
}

impl Output for NullOutput {
    fn write(&mut self, block: &[f32]) -> Result<(), OutputError> {
        self.pacer.wait(block.len() / 2);
        Ok(())
    }

    fn is_heard(&self) -> bool {
        false
    }

    /// Unpaced (tests) it keeps the player's block, so that commands land where they did.
    fn block_frames(&self, player_block: usize) -> usize {
        match self.pace {
            Pace::RealTime => player_block.max((PACED_BLOCK.as_secs_f64() * f64::from(self.rate)) as usize),
            Pace::Unpaced => player_block,
        }
    }

    fn describe(&self) -> String {
        match &self.fallback_reason {
            Some(reason) => format!("null: no sound card, the music plays to nowhere ({reason})"),
            None => "null: the music plays to nowhere".into(),
        }
    }
}
