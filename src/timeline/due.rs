//! What the timeline will do next by itself, and when: phase ends, cues, ramp starts.

use crate::scene::{Anchor, Cue, PhaseEnd};
use crate::time::Millis;

use super::core::Timeline;

/// One thing that comes due in timeline time. Listed in the order ties are taken: a phase's
/// own ramps and cues happen before the phase ends at the same instant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Due {
    RampStart(String),
    Cue(CueRef),
    Planned,
    Max,
    /// A clinical prompt, by number, waiting long enough to be reminded of.
    Reminder(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum CueRef {
    Phase(usize, usize),
    Scene(usize),
}

impl CueRef {
    pub(super) fn key(self) -> String {
        match self {
            CueRef::Phase(p, c) => format!("phase:{p}:{c}"),
            CueRef::Scene(c) => format!("scene:{c}"),
        }
    }
}

impl Timeline {
    pub(super) fn cue(&self, cue: CueRef) -> &Cue {
        match cue {
            CueRef::Phase(p, c) => &self.scene.phases[p].cues[c],
            CueRef::Scene(c) => &self.scene.cues[c],
        }
    }

    /// The anchor a cue counts from now, if it is set.
    pub(super) fn cue_anchor(&self, cue: CueRef) -> Option<Millis> {
        match self.cue(cue).at.anchor {
            Anchor::Phase => Some(self.state.phase_entered),
            Anchor::Session => Some(Millis::ZERO),
            Anchor::Mark(m) => self.state.mark_anchor(m),
        }
    }

    /// Repetitions already fired against the current anchor.
    pub(super) fn cue_fired(&self, cue: CueRef, anchor: Millis) -> u32 {
        self.state
            .fired
            .get(&cue.key())
            .filter(|f| f.anchor == anchor)
            .map_or(0, |f| f.count)
    }

    /// When the cue next fires, in timeline time, or `None` when it is spent or unanchored.
    pub(super) fn cue_due(&self, cue: CueRef) -> Option<Millis> {
        let anchor = self.cue_anchor(cue)?;
        let c = self.cue(cue);
        let fired = self.cue_fired(cue, anchor);
        let (times, every) = c.repeat.map_or((1, Millis::ZERO), |r| (r.times, r.every));
        if fired >= times {
            return None;
        }
        let due = anchor + c.at.offset + Millis(every.0 * fired as u64);
        // A phase's cue whose time came before the phase began fires on entry.
        Some(match cue {
            CueRef::Phase(..) => due.max(self.state.phase_entered),
            CueRef::Scene(_) => due,
        })
    }

    pub(super) fn planned_end(&self) -> Millis {
        let phase = &self.scene.phases[self.state.phase];
        self.state.phase_anchor + phase.planned + self.state.extension
    }

    pub(super) fn max_end(&self) -> Option<Millis> {
        let phase = &self.scene.phases[self.state.phase];
        Some(self.state.phase_anchor + phase.max? + self.state.extension)
    }

    /// Everything still to come, each with its timeline time.
    pub(super) fn due_items(&self) -> Vec<(Millis, Due)> {
        let mut items = Vec::new();
        if self.state.finished {
            return items;
        }
        for (zone, zs) in &self.state.scene_lights {
            if let Some(r) = zs.ramp.as_ref().filter(|r| !r.started) {
                items.push((r.start, Due::RampStart(zone.clone())));
            }
        }
        let p = self.state.phase;
        for c in 0..self.scene.phases[p].cues.len() {
            if let Some(t) = self.cue_due(CueRef::Phase(p, c)) {
                items.push((t, Due::Cue(CueRef::Phase(p, c))));
            }
        }
        for c in 0..self.scene.cues.len() {
            if let Some(t) = self.cue_due(CueRef::Scene(c)) {
                items.push((t, Due::Cue(CueRef::Scene(c))));
            }
        }
        let phase = &self.scene.phases[p];
        let held = self.state.held;
        // A timer phase stays due until it moves on; others are due once, for their prompt.
        if (phase.ends == PhaseEnd::Timer && !held) || !self.state.prompted_planned {
            items.push((self.planned_end(), Due::Planned));
        }
        if let Some(max) = self.max_end() {
            let auto = phase.ends == PhaseEnd::Prompt && !held;
            // A timer phase that is not held never reaches its max.
            let reminder = !self.state.prompted_max && (phase.ends != PhaseEnd::Timer || held);
            if auto || reminder {
                items.push((max, Due::Max));
            }
        }
        for prompt in &self.state.prompts {
            items.push((prompt.remind_at, Due::Reminder(prompt.number)));
        }
        items
    }

    /// The earliest item, ties broken by kind.
    pub(super) fn next_due(&self) -> Option<(Millis, Due)> {
        self.due_items().into_iter().min()
    }
}
