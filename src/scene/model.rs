//! The validated scene: what the timeline core runs. Built only by `scene::load`, so every
//! value here has passed validation (zones and playlists exist, cues sit inside their phase).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// A whole scene script, validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// The file stem, which is how therapists name it (`setting start sublingual`).
    pub name: String,
    pub title: String,
    pub description: String,
    pub kind: SceneKind,
    /// At least one phase, in order.
    pub phases: Vec<Phase>,
    /// Reminders that belong to the session rather than to one phase (a blood-pressure check
    /// at dose+40m must not be lost because the therapist moved on early). Prompts only.
    pub cues: Vec<Cue>,
    /// Index of the phase `setting end` goes to.
    pub closing_phase: usize,
    /// A calm track the skip command can fall back to; a path under the media root.
    pub grounding_track: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SceneKind {
    Individual,
    Group,
    Preparation,
    Integration,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub planned: Millis,
    pub min: Option<Millis>,
    pub max: Option<Millis>,
    pub ends: PhaseEnd,
    /// A mark set when the phase is entered (the dosing phase sets `dose`).
    pub sets_mark: Option<Mark>,
    /// `None` keeps whatever music the previous phase had.
    pub music: Option<MusicSpec>,
    /// Looks per zone; a zone not named keeps its previous look.
    pub light: BTreeMap<String, LightSpec>,
    pub cues: Vec<Cue>,
}

/// How a phase moves on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhaseEnd {
    /// Moves on by itself at its planned time (unless held).
    Timer,
    /// Waits for the therapist; prompts once the planned time has passed, again at max.
    Therapist,
    /// Asks the therapist at the planned time; moves on by itself at max if nobody answered.
    Prompt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Dose,
    Booster,
    Infusion,
}

impl Mark {
    pub const ALL: [Mark; 3] = [Mark::Dose, Mark::Booster, Mark::Infusion];

    pub fn name(self) -> &'static str {
        match self {
            Mark::Dose => "dose",
            Mark::Booster => "booster",
            Mark::Infusion => "infusion",
        }
    }

    pub fn parse(s: &str) -> Option<Mark> {
        Mark::ALL.into_iter().find(|m| m.name() == s)
    }
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A phase's music.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum MusicSpec {
    Silence {
        fade: Millis,
    },
    Playlist {
        name: String,
        /// dB relative to the ceiling; never above 0.
        level_db: f32,
        /// Crossfade into this phase's music.
        crossfade: Millis,
    },
}

/// A light look: what the room should look like, in the scene's terms.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Look {
    /// Perceived brightness, 0-100 %; 0 is off.
    pub brightness: f32,
    /// Colour temperature in Kelvin.
    pub kelvin: u16,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LightSpec {
    pub look: Look,
    /// How long the change into `look` takes when the phase is entered.
    pub fade: Millis,
    pub ramp: Option<Ramp>,
}

/// A slow move from the phase's look to another across (part of) the phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ramp {
    pub to: Look,
    /// Offset from the phase start.
    pub start: Millis,
    pub over: Millis,
}

/// What a cue's offset counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", content = "mark", rename_all = "lowercase")]
pub enum Anchor {
    Phase,
    Session,
    Mark(Mark),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CueTime {
    pub anchor: Anchor,
    pub offset: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cue {
    /// Short name for logs and status (defaults to the prompt text).
    pub label: String,
    pub at: CueTime,
    /// Repeat every so often, this many times in all (IV blood-pressure checks).
    pub repeat: Option<Repeat>,
    pub prompt: Option<String>,
    /// What the prompt asks the therapist to record (`asks = "vitals"`), so that recording it
    /// can acknowledge the prompt. Absent from scenes saved before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asks: Option<Asks>,
    pub music: Option<MusicCue>,
    pub light: BTreeMap<String, LightCue>,
}

/// Something a prompt asks to be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Asks {
    /// Blood pressure and pulse (and what else the clinic takes): `setting vitals`.
    Vitals,
}

impl Asks {
    pub const ALL: [(&'static str, Asks); 1] = [("vitals", Asks::Vitals)];

    pub fn name(self) -> &'static str {
        match self {
            Asks::Vitals => "vitals",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeat {
    pub every: Millis,
    pub times: u32,
}

/// A music change within a phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MusicCue {
    /// New level, dB relative to the ceiling.
    pub level_db: Option<f32>,
    /// Switch to silence (fading over `ramp`).
    pub silence: bool,
    /// Switch to another playlist.
    pub playlist: Option<String>,
    /// How long the change takes.
    pub ramp: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LightCue {
    pub look: Look,
    pub fade: Millis,
}

impl Scene {
    pub fn phase_index(&self, id: &str) -> Option<usize> {
        self.phases.iter().position(|p| p.id == id)
    }

    /// Every zone any phase or cue names, sorted.
    pub fn zones(&self) -> Vec<String> {
        let mut zones: Vec<String> = self
            .phases
            .iter()
            .flat_map(|p| p.light.keys().chain(p.cues.iter().flat_map(|c| c.light.keys())))
            .cloned()
            .collect();
        zones.sort();
        zones.dedup();
        zones
    }

    /// Every playlist any phase or cue names, sorted.
    pub fn playlists(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .phases
            .iter()
            .flat_map(|p| {
                let phase = match &p.music {
                    Some(MusicSpec::Playlist { name, .. }) => Some(name.clone()),
                    _ => None,
                };
                phase
                    .into_iter()
                    .chain(p.cues.iter().filter_map(|c| c.music.as_ref()?.playlist.clone()))
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }
}
