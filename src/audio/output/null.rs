//! [`NullOutput`]: plays to nowhere, in real time, so a session runs the same with no sound.

use super::pace::{Pace, Pacer};
use super::{Output, OutputError};

#[derive(Debug)]
pub struct NullOutput {
    pacer: Pacer,
    /// Why it stands in for a sound card, when it does.
    fallback_reason: Option<String>,
}

impl NullOutput {
    pub fn new(rate: u32, pace: Pace, fallback_reason: Option<String>) -> Self {
        NullOutput {
            pacer: Pacer::new(pace, rate),
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

    fn describe(&self) -> String {
        match &self.fallback_reason {
            Some(reason) => format!("null: no sound card, the music plays to nowhere ({reason})"),
            None => "null: the music plays to nowhere".into(),
        }
    }
}
