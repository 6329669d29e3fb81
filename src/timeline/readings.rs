//! Vital signs as an input of the core: a reading is logged, and answers the oldest waiting
//! prompt that asks for vitals, which is acknowledged in the reading's name.
//!
//! One reading answers one prompt, the oldest, as `setting ack` with no number does: each check
//! the scene asks for (a baseline, one 40 minutes after the dose) stands in the record with a
//! reading of its own, and a check that was missed keeps waiting, reminded of, until a second
//! reading answers it or the therapist acknowledges it by number.

use crate::scene::Asks;
use crate::time::Millis;
use crate::vitals::{Flag, Reading};

use super::action::Action;
use super::command::Source;
use super::core::Timeline;
use super::error::CommandError;
use super::event::EventKind;

impl Timeline {
    /// Records `reading` at `now` (with the clinic's thresholds it crossed) and acknowledges
    /// the oldest prompt waiting for vitals, if one is. Refused only once the session is over.
    pub fn vitals(
        &mut self,
        now: Millis,
        reading: Reading,
        flags: Vec<Flag>,
        source: Source,
    ) -> Result<Vec<Action>, CommandError> {
        self.take_reading(now, reading, flags, source, |tl| tl.oldest_asking(Asks::Vitals))
    }

    /// A logged reading taken back: it acknowledges the prompt it acknowledged then (`answers`),
    /// never one a later rule would choose, so that a log from before readings acknowledged
    /// anything replays as it happened.
    pub(super) fn replay_vitals(
        &mut self,
        at: Millis,
        reading: Reading,
        flags: Vec<Flag>,
        source: Source,
        answers: Option<u32>,
    ) -> Result<Vec<Action>, CommandError> {
        self.take_reading(at, reading, flags, source, |tl| {
            let number = answers?;
            tl.state.prompts.iter().position(|p| p.number == number)
        })
    }

    fn take_reading(
        &mut self,
        now: Millis,
        reading: Reading,
        flags: Vec<Flag>,
        source: Source,
        answered: impl FnOnce(&Timeline) -> Option<usize>,
    ) -> Result<Vec<Action>, CommandError> {
        let mut out = std::mem::take(&mut self.pending);
        // A check that comes due this very moment is raised first, and answered.
        self.advance(now, &mut out);
        if self.state.finished {
            self.finish_output(&mut out);
            self.pending = out;
            return Err(CommandError::Finished);
        }
        let index = answered(self);
        let answers = index.map(|i| self.state.prompts[i].number);
        self.log(
            &mut out,
            EventKind::Vitals {
                reading,
                flags,
                source: source.clone(),
                answers,
            },
        );
        if let Some(index) = index {
            self.acknowledge_at(index, source, Some(Asks::Vitals), &mut out);
        }
        self.finish_output(&mut out);
        Ok(out)
    }
}
