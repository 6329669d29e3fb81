//! The session's mutable state, serialisable as it stands for the state file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::scene::{Look, Mark};
use crate::time::Millis;

use super::action::MusicTarget;
use super::command::Target;
use super::event::OverrideKind;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub session: String,
    /// Session time of the last input.
    pub now: Millis,
    pub finished: bool,
    /// Timeline time at session time `now` (re-based on every input, so that pausing and
    /// resuming the clock never needs history).
    pub timeline: Millis,
    /// How long the music has run at session time `now`: session time less the time the
    /// player was told to hold it paused. Unlike the timeline it runs on through a room-wide
    /// emergency, as the muted track does. Zero in state files from before it was kept.
    #[serde(default)]
    pub music_clock: Millis,

    pub phase: usize,
    /// Timeline time the phase was entered.
    pub phase_entered: Millis,
    /// Where the phase timer counts from: the entry, or the latest booster.
    pub phase_anchor: Millis,
    pub extension: Millis,
    pub held: bool,
    pub prompted_planned: bool,
    pub prompted_max: bool,
    /// Latest time of each mark, in timeline time.
    pub marks: BTreeMap<Mark, Millis>,
    /// Cues fired, by key, with the anchor time they fired against (a booster moves the
    /// anchor and so re-arms them).
    pub fired: BTreeMap<String, Fired>,

    /// The scene's own layer: what the scene would show with no override.
    pub scene_lights: BTreeMap<String, ZoneScene>,
    pub scene_music: SceneMusic,

    /// Active overrides, in the order they began.
    pub overrides: Vec<Override>,
    pub muted: bool,
    pub volume_offset_db: f32,
    pub light_nudges: BTreeMap<String, Nudge>,

    /// What the adapters were last told, so that only changes are sent.
    pub emitted_lights: BTreeMap<String, Look>,
    pub emitted_music: Option<MusicTarget>,
    pub pending_prompt: Option<String>,
    /// The track the player last reported starting, so that a restart can carry on with it.
    pub current_track: Option<CurrentTrack>,
}

/// The track that plays now, as the player reported it. Saved by older versions as a
/// `[playlist, path]` pair, which still reads (serde takes a sequence for a struct), with no
/// start time and so no resumption.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrentTrack {
    pub playlist: String,
    pub path: String,
    /// Timeline time it started: where a state file from before `started_music` was kept
    /// resumes from.
    #[serde(default)]
    pub started_at: Option<Millis>,
    /// The music clock when it started ([`State::music_clock`]), which stands still while the
    /// track is held paused and runs on through a mute or an emergency, as the track does.
    #[serde(default)]
    pub started_music: Option<Millis>,
    /// A restart asked the player to carry on with this track: its next start report is that
    /// resumption, not a new start, and must not reset `started_at`.
    #[serde(default)]
    pub resuming: bool,
    /// Flagged for the curators in this play: `Some(true)` by a skip to the grounding track.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fired {
    pub anchor: Millis,
    /// Repetitions fired so far.
    pub count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneScene {
    pub look: Look,
    pub ramp: Option<ActiveRamp>,
}

/// A ramp in timeline time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActiveRamp {
    pub to: Look,
    pub start: Millis,
    pub end: Millis,
    /// Whether the move towards `to` has been sent yet.
    pub started: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneMusic {
    pub playlist: Option<String>,
    pub level_db: f32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub kind: OverrideKind,
    pub target: Target,
    /// Session time it began.
    pub since: Millis,
    /// For a pause: leave the walking light on.
    pub walk_light: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Nudge {
    pub brightness: f32,
    pub kelvin: i32,
}

impl State {
    pub fn new(session: String) -> State {
        State {
            session,
            now: Millis::ZERO,
            finished: false,
            timeline: Millis::ZERO,
            music_clock: Millis::ZERO,
            phase: 0,
            phase_entered: Millis::ZERO,
            phase_anchor: Millis::ZERO,
            extension: Millis::ZERO,
            held: false,
            prompted_planned: false,
            prompted_max: false,
            marks: BTreeMap::new(),
            fired: BTreeMap::new(),
            scene_lights: BTreeMap::new(),
            scene_music: SceneMusic {
                playlist: None,
                level_db: 0.0,
            },
            overrides: Vec::new(),
            muted: false,
            volume_offset_db: 0.0,
            light_nudges: BTreeMap::new(),
            emitted_lights: BTreeMap::new(),
            emitted_music: None,
            pending_prompt: None,
            current_track: None,
        }
    }

    /// The timeline stands still while paused or in a room-wide emergency.
    pub fn clock_running(&self) -> bool {
        !self.finished
            && !self.overrides.iter().any(|o| {
                o.kind == OverrideKind::Pause
                    || (o.kind == OverrideKind::Emergency && o.target == Target::Room)
            })
    }

    /// Timeline time at session time `now` (not before the last input).
    pub fn timeline_at(&self, now: Millis) -> Millis {
        if self.clock_running() {
            self.timeline + (now - self.now)
        } else {
            self.timeline
        }
    }

    /// Moves the reference point to `now`; call before anything that may stop or start the
    /// clock or the music.
    pub fn rebase(&mut self, now: Millis) {
        if now > self.now {
            self.timeline = self.timeline_at(now);
            if !self.emitted_music.as_ref().is_some_and(|m| m.paused) {
                self.music_clock += now - self.now;
            }
            self.now = now;
        }
    }

    /// The anchor time a cue counts from. A booster re-anchors cues counted from the dose or
    /// the infusion: what follows a booster runs from the booster.
    pub fn mark_anchor(&self, mark: Mark) -> Option<Millis> {
        let own = *self.marks.get(&mark)?;
        match mark {
            Mark::Booster => Some(own),
            Mark::Dose | Mark::Infusion => {
                Some(self.marks.get(&Mark::Booster).map_or(own, |b| (*b).max(own)))
            }
        }
    }
}

/// Linear interpolation between two looks; `f` in 0..=1.
pub fn mix(a: Look, b: Look, f: f64) -> Look {
    let f = f.clamp(0.0, 1.0);
    Look {
        brightness: (a.brightness as f64 + (b.brightness as f64 - a.brightness as f64) * f) as f32,
        kelvin: (a.kelvin as f64 + (b.kelvin as f64 - a.kelvin as f64) * f).round() as u16,
    }
}
