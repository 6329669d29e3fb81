//! Builds the read-only [`Status`] view of a session.

use std::collections::BTreeMap;

use crate::time::Millis;

use super::core::Timeline;
use super::due::Due;
use super::event::OverrideKind;
use super::status::{ActiveOverride, PhaseStatus, Status, Upcoming};

impl Timeline {
    pub(super) fn view(&self, now: Millis) -> Status {
        let now = now.max(self.state.now);
        let tl = self.state.timeline_at(now);
        let phase = &self.scene.phases[self.state.phase];
        let planned = phase.planned + self.state.extension;
        let elapsed = tl - self.state.phase_entered;
        let mut overrides: Vec<ActiveOverride> = self
            .state
            .overrides
            .iter()
            .map(|o| ActiveOverride {
                kind: o.kind,
                target: o.target.clone(),
                since: o.since,
            })
            .collect();
        overrides.sort_by_key(|o| o.kind);
        let lights = self
            .all_zones()
            .into_iter()
            .filter_map(|z| Some((z.clone(), self.current_look(&z, tl)?)))
            .collect::<BTreeMap<_, _>>();
        Status {
            session: self.state.session.clone(),
            scene: self.scene.name.clone(),
            scene_title: self.scene.title.clone(),
            session_time: now,
            timeline_time: tl,
            phase: PhaseStatus {
                index: self.state.phase,
                count: self.scene.phases.len(),
                id: phase.id.clone(),
                title: phase.title.clone(),
                ends: phase.ends,
                elapsed,
                planned,
                max: phase.max.map(|m| m + self.state.extension),
                remaining: self.planned_end() - tl,
                next_phase: self.scene.phases.get(self.state.phase + 1).map(|p| p.id.clone()),
            },
            marks: self.state.marks.clone(),
            next: self.upcoming(tl),
            overrides,
            held: self.state.held,
            paused: self.state.overrides.iter().any(|o| o.kind == OverrideKind::Pause),
            muted: self.state.muted,
            volume_offset_db: self.state.volume_offset_db,
            music: self.music_target(Millis::ZERO),
            lights,
            pending_prompt: self.state.pending_prompt.clone(),
            prompts: self.state.prompts.clone(),
            skipped_phases: self.state.skipped.clone(),
            finished: self.state.finished,
            unrecorded: 0,
        }
    }

    fn upcoming(&self, tl: Millis) -> Option<Upcoming> {
        let (at, due) = self.next_due()?;
        let phase = &self.scene.phases[self.state.phase];
        let what = match due {
            Due::RampStart(zone) => format!("light ramp begins in zone {zone}"),
            Due::Cue(c) => format!("cue: {}", self.cue(c).label),
            Due::Planned if phase.ends == crate::scene::PhaseEnd::Timer && !self.state.held => {
                match self.scene.phases.get(self.state.phase + 1) {
                    Some(next) => format!("moves on to `{}`", next.title),
                    None => "the session ends".to_string(),
                }
            }
            Due::Planned => format!("hint: planned time of `{}` reached", phase.title),
            Due::Max if phase.ends == crate::scene::PhaseEnd::Prompt && !self.state.held => {
                "moves on by itself (longest time reached)".to_string()
            }
            Due::Max => format!("hint: longest time of `{}` reached", phase.title),
            Due::Reminder(number) => format!("reminder of prompt #{number}, not yet acknowledged"),
        };
        Some(Upcoming {
            what,
            at,
            in_: at - tl,
        })
    }
}
