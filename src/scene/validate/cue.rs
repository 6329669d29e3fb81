//! One cue: when it comes, what it does (prompt, music, light), how often; scene-level cues
//! are reminders only.

use std::collections::BTreeMap;

use super::{light, music};
use crate::diagnostic::Document;
use crate::scene::cue_time::parse_cue_time;
use crate::scene::load::SceneContext;
use crate::scene::model::{Anchor, Asks, Cue, MusicCue, Repeat};
use crate::scene::raw::RawCue;

/// Where a cue sits, which decides what it may do and count from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Phase,
    /// `[[cue]]`: survives the therapist moving on, so it may only remind, and a phase
    /// anchor would be meaningless.
    Scene,
}

pub fn validate(doc: &mut Document<'_>, raw: &RawCue, level: Level, ctx: &SceneContext<'_>) -> Option<Cue> {
    let at = match parse_cue_time(raw.at.get_ref()) {
        Ok(at) => Some(at),
        Err(e) => {
            doc.error_at(&raw.at, e.to_string());
            None
        }
    };
    if level == Level::Scene && at.is_some_and(|at| at.anchor == Anchor::Phase) {
        let msg = "a scene-level cue counts from `start` or a mark (dose, infusion, booster), not from a phase; \
                   write e.g. `start+10m` or `dose+40m`";
        doc.error_at(&raw.at, msg);
        return None;
    }
    let prompt = match &raw.prompt {
        Some(p) => super::not_empty(doc, p, "prompt").map(Some),
        None => Some(None),
    };
    let asks = asks(doc, raw);
    if level == Level::Scene {
        return scene_level(doc, raw, at?, prompt?, asks?);
    }
    if raw.prompt.is_none() && raw.music.is_none() && raw.light.is_none() {
        doc.error_at(
            &raw.at,
            "a cue needs at least one of `prompt`, `music` or `light`",
        );
        return None;
    }
    let music = match &raw.music {
        Some(m) => music::cue(doc, m, ctx).map(Some),
        None => Some(None),
    };
    let mut light = Some(BTreeMap::new());
    for (zone, look) in raw.light.iter().flat_map(|l| l.get_ref()) {
        let zone = light::zone(doc, zone, ctx);
        let look = light::cue_light(doc, look);
        match (zone, look, light.as_mut()) {
            (Some(zone), Some(look), Some(light)) => {
                light.insert(zone, look);
            }
            _ => light = None,
        }
    }
    let repeat = repeat(doc, raw);
    let (prompt, music, light, asks) = (prompt?, music?, light?, asks?);
    let label = raw
        .label
        .clone()
        .unwrap_or_else(|| default_label(prompt.as_deref(), music.as_ref(), &light));
    Some(Cue {
        label,
        at: at?,
        repeat: repeat?,
        prompt,
        asks,
        music,
        light,
    })
}

/// `Some(None)` when the cue asks for nothing; `None` when `asks` is wrong. Only a prompt can
/// ask: a cue that only changes the music has nobody to answer it.
fn asks(doc: &mut Document<'_>, raw: &RawCue) -> Option<Option<Asks>> {
    let Some(value) = &raw.asks else {
        return Some(None);
    };
    let asks = doc.one_of(value, "asks", &Asks::ALL)?;
    if raw.prompt.is_none() {
        doc.error_at(value, "`asks` needs a `prompt`: it says what the prompt asks for");
        return None;
    }
    Some(Some(asks))
}

fn scene_level(
    doc: &mut Document<'_>,
    raw: &RawCue,
    at: crate::scene::model::CueTime,
    prompt: Option<String>,
    asks: Option<Asks>,
) -> Option<Cue> {
    let mut ok = true;
    if let Some(music) = &raw.music {
        doc.error_at(
            music,
            "a scene-level cue is a reminder: prompt only; change music in a [[phase.cue]]",
        );
        ok = false;
    }
    if let Some(light) = &raw.light {
        doc.error_at(
            light,
            "a scene-level cue is a reminder: prompt only; change light in a [[phase.cue]]",
        );
        ok = false;
    }
    let Some(prompt) = prompt else {
        if raw.prompt.is_none() {
            doc.error_at(&raw.at, "a scene-level cue needs a `prompt`");
        }
        return None;
    };
    let repeat = repeat(doc, raw);
    if !ok {
        return None;
    }
    let label = raw.label.clone().unwrap_or_else(|| prompt.clone());
    Some(Cue {
        label,
        at,
        repeat: repeat?,
        prompt: Some(prompt),
        asks,
        music: None,
        light: BTreeMap::new(),
    })
}

/// `Some(None)` when the cue does not repeat; `None` when its repeat is wrong.
fn repeat(doc: &mut Document<'_>, raw: &RawCue) -> Option<Option<Repeat>> {
    let Some(r) = &raw.repeat else {
        return Some(None);
    };
    let r = r.get_ref();
    let every = doc.duration(&r.every);
    if every == Some(crate::time::Millis::ZERO) {
        doc.error_at(&r.every, "repeat `every` must be longer than zero");
        return None;
    }
    let times = doc.in_range(&r.times, "repeat times", 1..=1000, "");
    Some(Some(Repeat {
        every: every?,
        times: u32::try_from(times?).ok()?,
    }))
}

/// What the status line shows for a cue nobody labelled: its prompt, else what it changes.
fn default_label(
    prompt: Option<&str>,
    music: Option<&MusicCue>,
    light: &BTreeMap<String, crate::scene::LightCue>,
) -> String {
    if let Some(prompt) = prompt {
        return prompt.to_string();
    }
    let mut parts = Vec::new();
    if let Some(m) = music {
        if m.silence {
            parts.push("music to silence".to_string());
        } else if let Some(p) = &m.playlist {
            parts.push(format!("music to playlist {p}"));
        }
        if let Some(level) = m.level_db {
            parts.push(format!("music to {level} dB"));
        }
    }
    for (zone, l) in light {
        parts.push(format!(
            "{zone} light to {} % {} K",
            l.look.brightness, l.look.kelvin
        ));
    }
    parts.join(", ")
}
