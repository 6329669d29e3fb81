//! From the raw scene to the validated [`Scene`]: every value checked and every problem
//! recorded in the document; rules across phases (unique ids, marks, cue windows) come last.

mod cue;
mod light;
mod music;
mod phase;
mod window;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde_spanned::Spanned;

use super::load::SceneContext;
use super::model::{Mark, Phase, Scene, SceneKind};
use super::raw::{RawPhase, RawScene};
use crate::diagnostic::Document;

const KINDS: &[(&str, SceneKind)] = &[
    ("individual", SceneKind::Individual),
    ("group", SceneKind::Group),
    ("preparation", SceneKind::Preparation),
    ("integration", SceneKind::Integration),
];

pub fn scene(doc: &mut Document<'_>, name: &str, raw: RawScene, ctx: &SceneContext<'_>) -> Option<Scene> {
    // Rules across phases only hold when every phase was read: with one missing, indices and
    // the planned timeline shift and the errors they give would mislead.
    let complete = raw.every_phase_read;
    let title = required(doc, &raw, raw.title.as_ref(), "title").and_then(|t| not_empty(doc, t, "title"));
    let kind = required(doc, &raw, raw.kind.as_ref(), "kind").and_then(|k| doc.one_of(k, "kind", KINDS));
    let grounding_track = match &raw.grounding_track {
        Some(track) => doc.media_path(track).map(Some),
        None => Some(None),
    };
    if raw.phase.is_empty() && complete {
        doc.error_whole("the scene has no phases; expected at least one [[phase]]");
    }
    let phases: Vec<Option<Phase>> = raw.phase.iter().map(|p| phase::validate(doc, p, ctx)).collect();
    unique_ids(doc, &raw.phase);
    marks_set_once(doc, &raw.phase);
    let cues: Vec<_> = raw
        .cue
        .iter()
        .map(|c| cue::validate(doc, c, cue::Level::Scene, ctx))
        .collect();
    let closing_phase = closing_phase(doc, &raw, complete);
    if complete {
        window::check(doc, &raw.phase, &raw.cue);
    }
    Some(Scene {
        name: name.to_string(),
        title: title?,
        description: raw.description,
        kind: kind?,
        phases: phases.into_iter().collect::<Option<_>>()?,
        cues: cues.into_iter().collect::<Option<_>>()?,
        closing_phase: closing_phase?,
        grounding_track: grounding_track?,
    })
}

/// A key the scene must have, or the error serde would give for it, at the top of the file.
/// A key written with a value of the wrong type has had its error; it is not missing as well.
fn required<'r>(
    doc: &mut Document<'_>,
    raw: &RawScene,
    value: Option<&'r Spanned<String>>,
    key: &str,
) -> Option<&'r Spanned<String>> {
    if value.is_none() && !doc.was_refused(&raw.place, key) {
        doc.error(raw.place.clone(), format!("missing field `{key}`"));
    }
    value
}

pub(super) fn not_empty(doc: &mut Document<'_>, value: &Spanned<String>, what: &str) -> Option<String> {
    if value.get_ref().trim().is_empty() {
        doc.error_at(value, format!("{what} is empty"));
        return None;
    }
    Some(value.get_ref().clone())
}

fn unique_ids(doc: &mut Document<'_>, phases: &[RawPhase]) {
    let mut seen = HashMap::new();
    for p in phases {
        let id = p.id.get_ref().as_str();
        match seen.get(id) {
            Some(line) => {
                doc.error_at(
                    &p.id,
                    format!("duplicate phase id `{id}`; first used on line {line}"),
                );
            }
            None => {
                let line = doc.line_of(p.id.span());
                seen.insert(id, line);
            }
        }
    }
}

fn marks_set_once(doc: &mut Document<'_>, phases: &[RawPhase]) {
    let mut seen: HashMap<Mark, (&str, usize)> = HashMap::new();
    for p in phases {
        let Some(mark) = p
            .sets_mark
            .as_ref()
            .filter(|m| Mark::parse(m.get_ref()).is_some())
        else {
            continue;
        };
        let m = Mark::parse(mark.get_ref()).expect("filtered above");
        match seen.get(&m) {
            Some((first, line)) => {
                let msg = format!(
                    "mark `{m}` is already set by phase `{first}` on line {line}; a mark is set once"
                );
                doc.error_at(mark, msg);
            }
            None => {
                let line = doc.line_of(mark.span());
                seen.insert(m, (p.id.get_ref().as_str(), line));
            }
        }
    }
}

fn closing_phase(doc: &mut Document<'_>, raw: &RawScene, complete: bool) -> Option<usize> {
    let Some(wanted) = &raw.closing_phase else {
        return raw.phase.len().checked_sub(1);
    };
    let found = raw.phase.iter().position(|p| p.id.get_ref() == wanted.get_ref());
    if found.is_none() && complete {
        let ids: Vec<&str> = raw.phase.iter().map(|p| p.id.get_ref().as_str()).collect();
        let msg = format!(
            "closing_phase `{}` names no phase; expected one of {}",
            wanted.get_ref(),
            ids.join(", ")
        );
        doc.error_at(wanted, msg);
    }
    found
}

/// The shortest change of music or light a scene may ask for: every change must glide, and
/// one of many dB or many points in under a second is heard or seen as a jump.
const MIN_GLIDE: crate::time::Millis = crate::time::Millis(1000);

/// A fade, crossfade or ramp of a scene (`default` when not written), refused with its place
/// when shorter than [`MIN_GLIDE`]; `changing` says what it would change at once.
fn gliding(
    doc: &mut Document<'_>,
    value: Option<&Spanned<String>>,
    default: crate::time::Millis,
    what: &str,
    changing: &str,
) -> Option<crate::time::Millis> {
    let d = doc.duration_or(value, default)?;
    if d < MIN_GLIDE
        && let Some(value) = value
    {
        doc.error_at(
            value,
            format!(
                "`{what}` of {} would change {changing} at once; every change must glide: use at least 1s",
                value.get_ref()
            ),
        );
        return None;
    }
    Some(d)
}
