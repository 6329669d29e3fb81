//! The scene file as written: serde structures that mirror the TOML, reject unknown keys and
//! keep the spans that later checks point at. Nothing here judges a value.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serde_spanned::Spanned;
use toml::de::DeValue;

use crate::diagnostic::Document;

/// `title` and `kind` are required, but their absence is reported by the validation, so that
/// one of them written with a value of the wrong type does not keep the phases from theirs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScene {
    pub title: Option<Spanned<String>>,
    #[serde(default)]
    pub description: String,
    pub kind: Option<Spanned<String>>,
    pub closing_phase: Option<Spanned<String>>,
    pub grounding_track: Option<Spanned<String>>,
    /// Filled by [`read`] one phase at a time.
    #[serde(default)]
    pub phase: Vec<RawPhase>,
    /// Filled by [`read`] one cue at a time.
    #[serde(default)]
    pub cue: Vec<RawCue>,
    /// Whether every `[[phase]]` could be read, so that rules across phases may be checked.
    #[serde(skip)]
    pub every_phase_read: bool,
    /// Where the scene's top-level table is written, for the keys it lacks.
    #[serde(skip)]
    pub place: Range<usize>,
}

/// A phase. `title`, `planned` and `ends` are required, but their absence is reported by the
/// validation rather than by serde, so that the phase still counts in the checks across
/// phases and its cues are still checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub id: Spanned<String>,
    pub title: Option<Spanned<String>>,
    pub planned: Option<Spanned<String>>,
    pub min: Option<Spanned<String>>,
    pub max: Option<Spanned<String>>,
    pub ends: Option<Spanned<String>>,
    pub sets_mark: Option<Spanned<String>>,
    pub music: Option<Spanned<RawPhaseMusic>>,
    #[serde(default)]
    pub light: BTreeMap<Spanned<String>, RawLight>,
    /// Filled by [`read`] one cue at a time.
    #[serde(default)]
    pub cue: Vec<RawCue>,
    /// Where the phase's table is written, for the keys it lacks.
    #[serde(skip)]
    pub place: Range<usize>,
}

/// Either `{ playlist, level_db, crossfade }` or `{ silence = true, fade }`; which keys go
/// together is checked later, so that the error can say so in the scene's own terms.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhaseMusic {
    pub playlist: Option<Spanned<String>>,
    pub level_db: Option<Spanned<f64>>,
    pub crossfade: Option<Spanned<String>>,
    pub silence: Option<Spanned<bool>>,
    pub fade: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLight {
    pub brightness: Spanned<f64>,
    pub kelvin: Spanned<i64>,
    pub fade: Option<Spanned<String>>,
    pub ramp: Option<Spanned<RawRamp>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLook {
    pub brightness: Spanned<f64>,
    pub kelvin: Spanned<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRamp {
    pub to: RawLook,
    pub start: Option<Spanned<String>>,
    pub over: Option<Spanned<String>>,
}

/// A cue, in a phase (`[[phase.cue]]`) or at scene level (`[[cue]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCue {
    pub at: Spanned<String>,
    pub label: Option<String>,
    pub prompt: Option<Spanned<String>>,
    pub asks: Option<Spanned<String>>,
    pub music: Option<Spanned<RawCueMusic>>,
    pub light: Option<Spanned<BTreeMap<Spanned<String>, RawCueLight>>>,
    pub repeat: Option<Spanned<RawRepeat>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCueMusic {
    pub level_db: Option<Spanned<f64>>,
    pub silence: Option<Spanned<bool>>,
    pub playlist: Option<Spanned<String>>,
    pub ramp: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCueLight {
    pub brightness: Spanned<f64>,
    pub kelvin: Spanned<i64>,
    pub fade: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRepeat {
    pub every: Spanned<String>,
    pub times: Spanned<i64>,
}

/// Reads the file into raw structures, each phase and cue on its own so that every malformed
/// one is reported. `None` when the file is not TOML or its top-level keys are wrong; phases
/// and cues that fail are left out (their problems are in `doc`).
pub fn read(doc: &mut Document<'_>) -> Option<RawScene> {
    let mut root = doc.parse()?;
    let before = doc.problem_count();
    let phases = doc.take_tables(root.get_mut(), "phase");
    let tables_read = doc.problem_count() == before;
    let cues = doc.take_tables(root.get_mut(), "cue");
    let place = root.span();
    let scene: Option<RawScene> = doc.read_table(root);
    let written = phases.len();
    let phases: Vec<RawPhase> = phases.into_iter().filter_map(|p| read_phase(doc, p)).collect();
    let cues: Vec<RawCue> = cues.into_iter().filter_map(|c| doc.read(c)).collect();
    let mut scene = scene?;
    scene.every_phase_read = tables_read && phases.len() == written;
    scene.place = place;
    scene.phase = phases;
    scene.cue = cues;
    Some(scene)
}

fn read_phase<'a>(doc: &mut Document<'a>, mut part: Spanned<DeValue<'a>>) -> Option<RawPhase> {
    let cues = match part.get_mut() {
        DeValue::Table(table) => doc.take_tables(table, "cue"),
        _ => Vec::new(),
    };
    let place = part.span();
    let phase: Option<RawPhase> = doc.read(part);
    let cues: Vec<RawCue> = cues.into_iter().filter_map(|c| doc.read(c)).collect();
    let mut phase = phase?;
    phase.cue = cues;
    phase.place = place;
    Some(phase)
}
