//! A read-only view of where a session stands, for `setting status` and `watch`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::scene::{Look, Mark, PhaseEnd};
use crate::time::Millis;

use super::action::MusicTarget;
use super::command::Target;
use super::event::OverrideKind;
use super::prompts::{QueuedPrompt, SkippedPhase};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub session: String,
    pub scene: String,
    pub scene_title: String,
    /// Session time: real time since start, pauses included.
    pub session_time: Millis,
    /// Timeline time: what phases and cues count in.
    pub timeline_time: Millis,
    pub phase: PhaseStatus,
    pub marks: BTreeMap<Mark, Millis>,
    pub next: Option<Upcoming>,
    pub overrides: Vec<ActiveOverride>,
    pub held: bool,
    pub paused: bool,
    pub muted: bool,
    pub volume_offset_db: f32,
    pub music: MusicTarget,
    pub lights: BTreeMap<String, Look>,
    /// The latest hint from the system (a planned time passed) not yet followed by a phase
    /// change. Clinical prompts are in `prompts`.
    pub pending_prompt: Option<String>,
    /// Clinical prompts waiting to be acknowledged (`setting ack`), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<QueuedPrompt>,
    /// Phases a mark jumped over, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_phases: Vec<SkippedPhase>,
    pub finished: bool,
    /// Entries of this session held in memory because the state disk refuses them (the
    /// engine fills it in; the core does not know the disk).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unrecorded: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseStatus {
    pub index: usize,
    pub count: usize,
    pub id: String,
    pub title: String,
    pub ends: PhaseEnd,
    pub elapsed: Millis,
    pub planned: Millis,
    pub max: Option<Millis>,
    /// Time until the planned end, or zero once past it.
    pub remaining: Millis,
    pub next_phase: Option<String>,
}

/// The next thing the timeline will do by itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Upcoming {
    pub what: String,
    /// In timeline time.
    pub at: Millis,
    /// From now, in timeline time.
    pub in_: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActiveOverride {
    pub kind: OverrideKind,
    pub target: Target,
    /// Session time it began.
    pub since: Millis,
}
