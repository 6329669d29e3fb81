//! Moving through the scene: entering phases, phase ends, cues, and finishing the session.

use crate::scene::{MusicSpec, PhaseEnd};
use crate::time::{Millis, format_duration};

use super::action::Action;
use super::command::Source;
use super::core::Timeline;
use super::due::CueRef;
use super::event::EventKind;
use super::state::{ActiveRamp, Fired, ZoneScene};

impl Timeline {
    /// Enters phase `index` now: its mark, looks and music.
    pub(super) fn enter_phase(&mut self, index: usize, reason: &str, source: Source, out: &mut Vec<Action>) {
        let prev = self.state.phase;
        self.state
            .fired
            .retain(|key, _| !key.starts_with(&format!("phase:{prev}:")));
        let now = self.state.timeline;
        self.state.phase = index;
        self.state.phase_entered = now;
        self.state.phase_anchor = now;
        self.state.extension = Millis::ZERO;
        self.state.held = false;
        self.state.prompted_planned = false;
        self.state.prompted_max = false;
        self.state.pending_prompt = None;

        let phase = self.scene.phases[index].clone();
        self.log(
            out,
            EventKind::PhaseEntered {
                index,
                id: phase.id.clone(),
                title: phase.title.clone(),
                reason: reason.to_string(),
                source: source.clone(),
            },
        );
        if let Some(mark) = phase.sets_mark.filter(|m| !self.state.marks.contains_key(m)) {
            self.state.marks.insert(mark, now);
            self.log(out, EventKind::MarkSet { mark, source });
        }
        for (zone, spec) in &phase.light {
            let ramp = spec.ramp.as_ref().map(|r| ActiveRamp {
                to: r.to,
                start: now + r.start,
                end: now + r.start + r.over,
                started: r.start == Millis::ZERO,
            });
            self.state.scene_lights.insert(
                zone.clone(),
                ZoneScene {
                    look: spec.look,
                    ramp,
                },
            );
            self.refresh_zone(zone, spec.fade, false, out);
        }
        match &phase.music {
            None => {}
            Some(MusicSpec::Silence { fade }) => {
                self.state.scene_music.playlist = None;
                self.sync_music(*fade, false, out);
            }
            Some(MusicSpec::Playlist {
                name,
                level_db,
                crossfade,
            }) => {
                self.state.scene_music.playlist = Some(name.clone());
                self.state.scene_music.level_db = *level_db;
                self.sync_music(*crossfade, false, out);
            }
        }
    }

    /// Moves to the next phase, or ends the session after the last.
    pub(super) fn advance_phase(&mut self, reason: &str, source: Source, out: &mut Vec<Action>) {
        let next = self.state.phase + 1;
        if next < self.scene.phases.len() {
            self.enter_phase(next, reason, source, out);
        } else {
            self.finish("the last phase ended", source, out);
        }
    }

    pub(super) fn planned_time_reached(&mut self, out: &mut Vec<Action>) {
        let phase = &self.scene.phases[self.state.phase];
        let title = phase.title.clone();
        let planned = format_duration(phase.planned + self.state.extension);
        let next = self.next_phase_hint();
        let text = match (phase.ends, self.state.held) {
            (PhaseEnd::Timer, false) => {
                return self.advance_phase("planned time reached", Source::timer(), out);
            }
            (_, true) => {
                format!("`{title}` is held past its planned {planned}; `setting release` lets it move on.")
            }
            (PhaseEnd::Therapist, false) => format!("The planned {planned} of `{title}` has passed; {next}."),
            (PhaseEnd::Prompt, false) => {
                let by_itself = match phase.max {
                    Some(max) => format!(" (it moves on by itself at {})", format_duration(max)),
                    None => String::new(),
                };
                format!("`{title}` has reached its planned {planned}: {next}?{by_itself}")
            }
        };
        self.state.prompted_planned = true;
        self.prompt(text, out);
    }

    pub(super) fn max_time_reached(&mut self, out: &mut Vec<Action>) {
        let phase = &self.scene.phases[self.state.phase];
        if phase.ends == PhaseEnd::Prompt && !self.state.held {
            return self.advance_phase("longest time reached without an answer", Source::timer(), out);
        }
        let title = phase.title.clone();
        let max = format_duration(phase.max.unwrap_or(phase.planned) + self.state.extension);
        let next = self.next_phase_hint();
        self.state.prompted_max = true;
        self.prompt(
            format!("`{title}` has reached its longest planned time of {max}; {next}."),
            out,
        );
    }

    fn next_phase_hint(&self) -> String {
        match self.scene.phases.get(self.state.phase + 1) {
            Some(next) => format!("`setting next` moves on to `{}`", next.title),
            None => "`setting stop` ends the session".to_string(),
        }
    }

    /// A hint from the system (a planned time passed): shown until the phase changes, never
    /// queued, since the timeline itself says what happens if nobody acts.
    pub(super) fn prompt(&mut self, text: String, out: &mut Vec<Action>) {
        self.state.pending_prompt = Some(text.clone());
        let kind = EventKind::Prompt {
            text: text.clone(),
            number: None,
            asks: None,
            skipped_phase: None,
        };
        self.log(out, kind);
        out.push(Action::Prompt { text, number: None });
    }

    pub(super) fn fire_cue(&mut self, cue_ref: CueRef, out: &mut Vec<Action>) {
        let Some(anchor) = self.cue_anchor(cue_ref) else {
            return;
        };
        let cue = self.cue(cue_ref).clone();
        // A cue come due late (a restart, a phase entered after its time) fires once, and
        // counts every repetition whose time has passed, rather than firing in a burst.
        let fired = self.cue_fired(cue_ref, anchor);
        let (times, every) = cue.repeat.map_or((1, Millis::ZERO), |r| (r.times, r.every));
        let first_due = anchor + cue.at.offset;
        let passed = if every == Millis::ZERO {
            times
        } else {
            (((self.state.timeline - first_due).0 / every.0) as u32 + 1).min(times)
        };
        let count = passed.max(fired + 1).min(times);
        self.state.fired.insert(cue_ref.key(), Fired { anchor, count });

        let phase = match cue_ref {
            CueRef::Phase(p, _) => Some(self.scene.phases[p].id.clone()),
            CueRef::Scene(_) => None,
        };
        self.log(
            out,
            EventKind::CueFired {
                phase,
                label: cue.label.clone(),
                prompted: cue.prompt.is_some(),
            },
        );
        if let Some(text) = &cue.prompt {
            self.raise(text.clone(), cue.asks, None, out);
        }
        if let Some(music) = &cue.music {
            if music.silence {
                self.state.scene_music.playlist = None;
            }
            if let Some(p) = &music.playlist {
                self.state.scene_music.playlist = Some(p.clone());
            }
            if let Some(level) = music.level_db {
                self.state.scene_music.level_db = level;
            }
            self.sync_music(music.ramp, false, out);
        }
        for (zone, light) in &cue.light {
            self.state.scene_lights.insert(
                zone.clone(),
                ZoneScene {
                    look: light.look,
                    ramp: None,
                },
            );
            self.refresh_zone(zone, light.fade, false, out);
        }
    }

    /// Ends the session: the music fades out; the lights stay as they are, since plunging
    /// the room into dark or glare at the end would be an abrupt change.
    pub(super) fn finish(&mut self, reason: &str, source: Source, out: &mut Vec<Action>) {
        self.log(
            out,
            EventKind::SessionEnded {
                reason: reason.to_string(),
                source,
            },
        );
        self.state.scene_music.playlist = None;
        self.sync_music(self.policy.stop_fade, false, out);
        self.state.finished = true;
        out.push(Action::Finished);
    }
}
